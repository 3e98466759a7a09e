package dev.sluice.engine.queue;

import dev.sluice.core.Ticker;
import dev.sluice.engine.PipelineMetrics;
import dev.sluice.engine.SinkSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delivery thread of a sink: one virtual thread per run (from start or resume to pause, reconfiguration or stop)
 * that takes the next piece of work and does it outside the lock: store work first (so that failing messages stop
 * holding the slot), then loading spilled groups, then a batch when one is due and the in-flight limit allows.
 * Completions arrive on the sink's threads and are applied by {@link Outcomes}.
 *
 * <p>State: the current run ({@link Worker}); a stopped run builds no more batches.
 *
 * <p>Concurrency: everything it reads and changes is guarded by the queue's lock; {@link #start} and {@link #stop}
 * are called by the queue's control methods, which serialise on the queue.
 *
 * <p>Failure: a batch still out after a stop's grace period is abandoned (its late outcome is ignored) and its
 * messages, still at the head of their groups, go again later: at least once, with the same idempotency keys.
 */
final class Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    private static final long IDLE_WAIT = TimeUnit.SECONDS.toNanos(1);

    /** One dispatcher's run; a stopped run builds no more batches. */
    private static final class Worker {
        final QueueConfig config;
        volatile boolean go = true;
        // Set by the final stop: transactions already partly delivered are finished first, within the grace.
        volatile boolean finish;

        @Nullable
        Thread thread;

        Worker(QueueConfig config) {
            this.config = config;
        }
    }

    private final QueueLock lock;
    private final GroupQueue q;
    private final AckTracker ack;
    private final Batcher batcher;
    private final Outcomes outcomes;
    private final Backlog backlog;
    private final Fences fences;
    private final Reload reload;
    private final PipelineMetrics metrics;
    private final Ticker ticker;
    private final RecentMessages recent;
    // Guarded by the lock.
    private @Nullable Worker worker;
    // Times the dispatcher looked for work: lets tests wait until it has seen a state before asserting what it did.
    private long looks;

    Dispatcher(
            QueueLock lock,
            GroupQueue q,
            AckTracker ack,
            Batcher batcher,
            Outcomes outcomes,
            Backlog backlog,
            Fences fences,
            Reload reload,
            PipelineMetrics metrics,
            Ticker ticker,
            RecentMessages recent) {
        this.lock = lock;
        this.q = q;
        this.ack = ack;
        this.batcher = batcher;
        this.outcomes = outcomes;
        this.backlog = backlog;
        this.fences = fences;
        this.reload = reload;
        this.metrics = metrics;
        this.ticker = ticker;
        this.recent = recent;
    }

    /** Starts a run delivering with {@code c}. */
    void start(QueueConfig c) {
        Worker w = new Worker(c);
        lock.lock.lock();
        try {
            worker = w;
            backlog.writing(true);
            w.thread = Thread.ofVirtual().name("sink-" + c.spec().name()).unstarted(() -> loop(w));
        } finally {
            lock.lock.unlock();
        }
        w.thread.start();
    }

    /**
     * Stops the run, waits up to {@code grace} for the batches in delivery (and, with {@code finishTransactions}, for
     * the rest of the transactions already partly delivered), and abandons those still out: their messages are at the
     * head of their groups, ready to go again.
     */
    void stop(Duration grace, boolean finishTransactions) {
        long deadline = ticker.nanos() + grace.toNanos();
        Worker w;
        lock.lock.lock();
        try {
            w = worker;
            if (w == null) {
                return;
            }
            w.finish = finishTransactions;
            w.go = false;
            backlog.writing(false); // a full buffer no longer waits for the store
            lock.notFull.signalAll();
            lock.wake.signalAll();
        } finally {
            lock.lock.unlock();
        }
        boolean interrupted = false;
        Thread t = w.thread;
        if (t != null) {
            try {
                while (t.isAlive() && ticker.nanos() - deadline < 0) {
                    t.join(Duration.ofNanos(lock.slice(Math.max(1, deadline - ticker.nanos()))));
                }
                if (t.isAlive()) {
                    t.interrupt();
                    t.join(Duration.ofSeconds(1));
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        int abandoned;
        lock.lock.lock();
        try {
            worker = null;
            while (batcher.inFlight() > 0 && !interrupted) {
                long left = deadline - ticker.nanos();
                if (left <= 0) {
                    break;
                }
                try {
                    lock.await(lock.settled, left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            abandoned = batcher.abandonAll();
            if (abandoned > 0) {
                // From here on, the outcome of those batches is ignored, even if the sink is stuck on them.
                long now = ticker.nanos();
                for (GroupQueue.Group g : List.copyOf(q.groups())) {
                    if (g.inFlight > 0) {
                        g.inFlight = 0;
                        q.list(g, now);
                    }
                }
            }
        } finally {
            lock.lock.unlock();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (abandoned > 0) {
            log.warn(
                    "sink {}: {} batch(es) still in delivery after the grace period; they will be delivered again",
                    w.config.spec().name(),
                    abandoned);
        }
    }

    private void loop(Worker w) {
        while (true) {
            Object work;
            try {
                work = next(w);
            } catch (InterruptedException e) {
                return;
            }
            switch (work) {
                case null -> {
                    return;
                }
                case Batcher.Dispatch d -> send(w.config, d);
                case Backlog.StoreWork sw -> backlog.save(w.config, sw);
                case Reload.LoadWork lw -> reload.load(w.config, lw);
                default -> throw new IllegalStateException("unknown work " + work);
            }
        }
    }

    /** Waits for a batch worth sending, or store work; null when this run is over. */
    private @Nullable Object next(Worker w) throws InterruptedException {
        SinkSpec spec = w.config.spec();
        lock.lock.lock();
        try {
            while (true) {
                looks++;
                if (worker != w) {
                    return null;
                }
                long now = ticker.nanos();
                if (fences.releaseDue()) {
                    // Here, not where the truncate finished: outcomes are applied group by group.
                    fences.release(now);
                    backlog.fenceReleased();
                }
                long wait = q.promoteDue(now, IDLE_WAIT);
                long storeIn = backlog.storeDueIn(now);
                Backlog.StoreWork sw = storeIn == 0 ? backlog.storeWork() : null;
                if (sw != null) {
                    return sw;
                } else if (storeIn > 0) {
                    wait = Math.min(wait, storeIn);
                }
                if (!w.go) {
                    if (!w.finish) {
                        return null;
                    }
                    Batcher.Dispatch d =
                            batcher.inFlight() < spec.maxInFlight() ? batcher.build(q, spec, true, false, now) : null;
                    if (d != null) {
                        return d;
                    }
                    if (batcher.inFlight() == 0) {
                        return null; // nothing more of a started transaction can go out
                    }
                    lock.await(lock.wake, TimeUnit.MILLISECONDS.toNanos(10));
                    continue;
                }
                // The peer looks down: one probe batch at a time, on the sink's own back-off, instead of every failing
                // row retrying on its own.
                boolean outage = outcomes.outage();
                if (reload.loadDue(now)) {
                    Reload.LoadWork lw =
                            reload.loadWork(room(spec, outage), spec.name()); // null while there is no room
                    if (lw != null) {
                        return lw;
                    }
                }
                if (outage && q.readyCount() > 0 && batcher.inFlight() == 0 && now - outcomes.probeAt() < 0) {
                    wait = Math.min(wait, Math.max(1, outcomes.probeAt() - now));
                }
                if (q.readyCount() > 0 && batcher.inFlight() < outcomes.limit(spec, now)) {
                    if (batcher.due(spec, q, ack.inTransaction(), now)) {
                        Batcher.Dispatch d = batcher.build(q, spec, false, outage, now);
                        if (d != null) {
                            return d;
                        }
                    }
                    wait = Math.min(wait, Math.max(1, batcher.dueAt(spec, q) - now));
                }
                lock.await(lock.wake, wait);
            }
        } finally {
            lock.lock.unlock();
        }
    }

    /**
     * How far the buffer is filled from the store: half, leaving the rest to new messages so that a full buffer does
     * not drop again what was just loaded, or all of it when nothing is ready to go out; during an outage, only when
     * nothing is ready for the next probe, and then half. Starved, at least one message.
     */
    private Reload.Room room(SinkSpec spec, boolean outage) {
        boolean nothingReady = q.readyCount() == 0;
        long cap = outage
                ? (nothingReady ? spec.maxQueueBytes() / 2 : 0)
                : (nothingReady ? spec.maxQueueBytes() : spec.maxQueueBytes() / 2);
        return new Reload.Room(cap, nothingReady && batcher.inFlight() == 0);
    }

    private void send(QueueConfig c, Batcher.Dispatch d) {
        CompletionStage<Void> outcome;
        try {
            outcome = Delivery.deliver(c, d.msgs(), metrics, recent, ticker);
        } catch (RuntimeException e) {
            outcome = CompletableFuture.failedFuture(e);
        }
        outcome.whenComplete((ok, error) -> complete(c, d, error));
    }

    private void complete(QueueConfig c, Batcher.Dispatch d, @Nullable Throwable error) {
        SinkSpec spec = c.spec();
        lock.lock.lock();
        try {
            if (!batcher.settle(d)) {
                return;
            }
            if (error == null) {
                outcomes.succeeded(spec, d);
            } else {
                outcomes.failed(spec, d, error);
            }
            ack.advance();
            lock.notFull.signalAll();
            lock.wake.signal();
            lock.settled.signalAll();
        } finally {
            lock.lock.unlock();
        }
        if (error == null) {
            metrics.delivered(
                    spec.name(), d.msgs().size(), outcomes.sinceCommit(d.msgs().getFirst().committedAt));
            long bytes = 0;
            for (Msg m : d.msgs()) {
                bytes += m.sentBytes;
            }
            metrics.deliveredBytes(spec.name(), bytes);
        }
    }

    /** Times the dispatcher looked for work (holding the lock). */
    long looks() {
        return looks;
    }
}
