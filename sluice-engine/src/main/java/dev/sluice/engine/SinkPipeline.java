package dev.sluice.engine;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.MessageEncoder;
import dev.sluice.core.TableSchema;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sink's queue and delivery loop.
 *
 * <p>State: a FIFO of changes and commit marks, in slot order. A commit mark carries the end LSN of a
 * transaction; once every change before it has been delivered (or discarded after
 * {@code max_retry_count}), the sink has acknowledged that LSN. The database pipeline flushes the slot
 * to the minimum acknowledged LSN over its sinks.
 *
 * <p>Concurrency: the database's reader thread calls {@link #accepts}, {@link #enqueue},
 * {@link #markCommit} and {@link #positionAt}; one virtual thread (the worker) delivers, one batch at a
 * time, so every message (and so every row's changes) goes out in commit order. The control methods
 * ({@link #start}, {@link #pause}, {@link #resume}, {@link #reconfigure}, {@link #stop},
 * {@link #remove}) are called from any thread and serialise on this object; the reader is never blocked
 * by them except through the queue bound.
 *
 * <p>Reconfiguration: spec, sink, encoder and the per-spec caches live in one {@link Config} swapped as
 * a whole, so no cache outlives the spec it was computed from. The worker is stopped first; the
 * entries it had taken off the queue (the batch being filled, delivered or retried, with the commit
 * marks taken along with it) go back to the head of the queue in their order, so the next worker
 * delivers them first and nothing is lost. A batch that is in a delivery call when the worker is
 * stopped is waited for up to a grace period, then abandoned and put back too; if the peer had in
 * fact accepted it, it is delivered once more (at-least-once, same idempotency keys).
 *
 * <p>Failure: a failed batch is retried unchanged with {@link RetryPolicy} back-off, logging one line
 * per attempt. The queue is bounded in bytes: when full, {@link #enqueue} blocks the reader, which
 * stops reading the slot until there is room (no unbounded memory, no loss). That includes a paused
 * sink's full queue.
 */
final class SinkPipeline {
    private static final Logger log = LoggerFactory.getLogger(SinkPipeline.class);
    private static final long ENTRY_OVERHEAD = 96;

    private record Mark(long endLsn) {}

    /**
     * Everything that a reconfiguration replaces. {@code accepts} is used by the reader only,
     * {@code encoder} and {@code groupIndexes} by this config's worker only.
     */
    private record Config(
            SinkSpec spec,
            Sink sink,
            MessageEncoder encoder,
            Map<TableSchema, Boolean> accepts,
            Map<TableSchema, int[]> groupIndexes) {
        Config(SinkSpec spec, Sink sink) {
            this(spec, sink, new MessageEncoder(spec.context()), new IdentityHashMap<>(), new IdentityHashMap<>());
        }
    }

    /** One delivery thread's run; a stopped worker never touches the queue again. */
    private static final class Worker {
        final Config config;
        volatile boolean go = true;
        // Set by the final stop: the open transaction is finished first, within the grace period.
        volatile boolean finish;

        @Nullable
        Thread thread;

        Worker(Config config) {
            this.config = config;
        }
    }

    private final RetryPolicy retry;
    private final PipelineMetrics metrics;
    private volatile Config config;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    // Guarded by lock.
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private long queuedBytes;
    // Entries of the batch being filled or delivered, in queue order; empty when nothing is in flight.
    private final List<Object> taken = new ArrayList<>();
    private @Nullable Worker worker;
    // Whether the last entry taken was a commit mark / a transaction is partly delivered.
    private boolean endedOnMark = true;
    private boolean endedOnMarkBeforeBatch = true;
    private boolean midTransaction;

    // Written holding this; paused and closed are read without it.
    private boolean started;
    private boolean sinkStarted;
    private volatile boolean paused;
    private volatile boolean closed;

    private volatile long acknowledgedLsn;
    private volatile boolean positioned;

    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong discarded = new AtomicLong();
    private volatile @Nullable String lastError;

    SinkPipeline(SinkSpec spec, Sink sink, RetryPolicy retry) {
        this(spec, sink, retry, PipelineMetrics.NONE);
    }

    SinkPipeline(SinkSpec spec, Sink sink, RetryPolicy retry, PipelineMetrics metrics) {
        this.retry = retry;
        this.metrics = metrics;
        this.config = new Config(spec, sink);
    }

    SinkSpec spec() {
        return config.spec();
    }

    Sink sink() {
        return config.sink();
    }

    /** The spec's state, or PAUSED while {@link #pause() paused}. */
    SinkState state() {
        SinkState s = config.spec().state();
        return s == SinkState.ACTIVE && paused ? SinkState.PAUSED : s;
    }

    /** True when {@code change} belongs to this sink. Called by the reader only. */
    boolean accepts(TableSchema table, Action action) {
        Config c = config;
        SinkSpec spec = c.spec();
        if (spec.state() == SinkState.DISABLED || !spec.actions().contains(action)) {
            return false;
        }
        return c.accepts().computeIfAbsent(table, t -> spec.tables().test(t.id()));
    }

    synchronized void start() {
        if (started || closed) {
            return;
        }
        Config c = config;
        c.sink().start(new SinkContext(c.spec().id(), c.spec().name()));
        started = true;
        sinkStarted = true;
        // A paused sink buffers up to the queue bound and holds its acknowledgement; nothing is delivered.
        paused = c.spec().state() == SinkState.PAUSED;
        if (!paused) {
            startWorker(c);
        }
    }

    /**
     * Stops delivering and keeps the queue: a batch being retried goes back to its head. Waits up to
     * {@code grace} for a delivery call in progress.
     */
    synchronized void pause(Duration grace) {
        if (!started || closed) {
            return;
        }
        paused = true;
        stopWorker(grace, false);
    }

    /** Delivers again after {@link #pause}; no-op unless paused. */
    synchronized void resume() {
        if (!started || closed || !paused) {
            return;
        }
        paused = false;
        startWorker(config);
    }

    /**
     * Replaces spec and sink, keeping the queue and the acknowledged position: stops the worker (see
     * {@link #pause}), closes the old sink unless {@code sink} is the same instance, starts the new one
     * and a new worker unless the new state is PAUSED. Before {@link #start} it only swaps them. If the
     * new sink's start throws, the pipeline stays paused, keeping its queue, and the error propagates.
     *
     * @throws IllegalArgumentException if the id differs or the new state is DISABLED (remove instead)
     */
    synchronized void reconfigure(SinkSpec spec, Sink sink, Duration grace) {
        Config old = config;
        if (!spec.id().equals(old.spec().id())) {
            throw new IllegalArgumentException(
                    "sink id " + spec.id() + " does not match " + old.spec().id());
        }
        if (spec.state() == SinkState.DISABLED) {
            throw new IllegalArgumentException("a disabled sink is removed, not reconfigured");
        }
        if (closed) {
            throw new IllegalStateException("sink " + old.spec().name() + " is stopped");
        }
        Config next = new Config(spec, sink);
        if (!started) {
            config = next;
            if (sink != old.sink()) {
                closeQuietly(old);
            }
            return;
        }
        stopWorker(grace, false);
        paused = true;
        config = next;
        if (sink != old.sink()) {
            closeQuietly(old);
            sinkStarted = false;
        }
        if (!sinkStarted) {
            // If this throws, the sink stays paused with its queue until the next reconfiguration.
            sink.start(new SinkContext(spec.id(), spec.name()));
            sinkStarted = true;
        }
        if (spec.state() == SinkState.ACTIVE) {
            paused = false;
            startWorker(next);
        }
        log.info("sink {}: reconfigured ({})", spec.name(), spec.state());
    }

    /**
     * Final stop on shutdown. Waits up to {@code grace} for the batch in flight and for the rest of a
     * transaction already partly delivered; undelivered messages stay unacknowledged in the slot and are
     * delivered after the next start.
     */
    synchronized void stop(Duration grace) {
        shutDown(grace, true);
    }

    /**
     * Final stop when the sink is removed: delivers nothing more once the batch in flight is done (or
     * abandoned after {@code grace}), then closes the sink.
     */
    synchronized void remove(Duration grace) {
        shutDown(grace, false);
    }

    private void shutDown(Duration grace, boolean finishTransaction) {
        if (closed) {
            return;
        }
        closed = true;
        stopWorker(grace, finishTransaction);
        lock.lock();
        try {
            notFull.signalAll(); // a reader waiting for room goes on
        } finally {
            lock.unlock();
        }
        closeQuietly(config);
    }

    /** Adds a change; blocks while the queue is full. */
    void enqueue(Change change) throws InterruptedException {
        long size = sizeOf(change);
        long bound = config.spec().maxQueueBytes();
        lock.lock();
        try {
            // An oversized change is still accepted into an empty queue, so it can never wedge the reader.
            while (!closed && queuedBytes > 0 && queuedBytes + size > bound) {
                notFull.await(100, TimeUnit.MILLISECONDS);
            }
            if (closed) {
                return;
            }
            queue.addLast(change);
            queuedBytes += size;
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
        metrics.ingested(config.spec().name(), 1);
    }

    /** Records the end of a transaction routed to this sink (possibly with no change for it). */
    void markCommit(long endLsn) {
        lock.lock();
        try {
            if (queue.isEmpty() && taken.isEmpty()) {
                acknowledgedLsn = endLsn;
            } else {
                queue.addLast(new Mark(endLsn));
                notEmpty.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sets where a sink added while streaming starts: transactions ending at or before {@code endLsn}
     * were routed before it existed, so it has nothing to deliver for them. Called by the reader once.
     */
    void positionAt(long endLsn) {
        lock.lock();
        try {
            if (Long.compareUnsigned(endLsn, acknowledgedLsn) > 0) {
                acknowledgedLsn = endLsn;
            }
            positioned = true;
        } finally {
            lock.unlock();
        }
    }

    boolean positioned() {
        return positioned;
    }

    /** Every transaction ending at or before this LSN has been delivered by this sink. */
    long acknowledgedLsn() {
        return acknowledgedLsn;
    }

    boolean idle() {
        lock.lock();
        try {
            return queue.isEmpty() && taken.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    long deliveredCount() {
        return delivered.get();
    }

    long discardedCount() {
        return discarded.get();
    }

    int queuedMessages() {
        lock.lock();
        try {
            int n = 0;
            for (Object o : queue) {
                if (o instanceof Change) {
                    n++;
                }
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    @Nullable
    String lastError() {
        return lastError;
    }

    // Called holding this.
    private void startWorker(Config c) {
        Worker w = new Worker(c);
        lock.lock();
        try {
            worker = w;
            w.thread = Thread.ofVirtual().name("sink-" + c.spec().name()).unstarted(() -> deliverLoop(w));
        } finally {
            lock.unlock();
        }
        w.thread.start();
    }

    /**
     * Stops the current worker (called holding this) and puts the entries it had taken back at the head
     * of the queue. The batch in a delivery call may finish and be acknowledged within {@code grace};
     * a retry wait is cut short.
     */
    private void stopWorker(Duration grace, boolean finishTransaction) {
        Worker w;
        lock.lock();
        try {
            w = worker;
            if (w == null) {
                return;
            }
            w.finish = finishTransaction;
            w.go = false;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
        Thread t = w.thread;
        boolean exited = true;
        if (t != null) {
            try {
                if (!t.join(grace)) {
                    t.interrupt();
                    exited = t.join(Duration.ofSeconds(1));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exited = !t.isAlive();
            }
        }
        lock.lock();
        try {
            // From here on the worker's outcome is ignored, even if it is stuck in the sink.
            worker = null;
            if (!taken.isEmpty()) {
                for (int i = taken.size() - 1; i >= 0; i--) {
                    Object o = taken.get(i);
                    queue.addFirst(o);
                    if (o instanceof Change c) {
                        queuedBytes += sizeOf(c);
                    }
                }
                taken.clear();
                endedOnMark = endedOnMarkBeforeBatch;
            }
        } finally {
            lock.unlock();
        }
        if (!exited) {
            log.warn(
                    "sink {}: delivery thread did not stop; its batch is queued again",
                    w.config.spec().name());
        }
    }

    private void deliverLoop(Worker w) {
        List<Change> changes = new ArrayList<>(w.config.spec().batchSize());
        // On the final stop, a transaction whose first changes went out is finished (within the grace
        // period): acknowledgement is per transaction, so a half-delivered one would be delivered again.
        while (w.go || (w.finish && midTransaction())) {
            long mark;
            try {
                mark = take(w, changes);
            } catch (InterruptedException e) {
                return; // what was taken is put back by stopWorker
            }
            if (!changes.isEmpty() && !deliver(w, changes)) {
                return; // stopped while retrying: nothing acknowledged, the batch is put back
            }
            lock.lock();
            try {
                if (worker != w) {
                    return; // abandoned by stopWorker, which queued the batch again
                }
                taken.clear();
                // Marks that arrived while the batch was in flight end transactions it completed. Taking
                // them now acknowledges those transactions even if stop() ends this loop next.
                while (queue.peekFirst() instanceof Mark m) {
                    queue.pollFirst();
                    mark = m.endLsn();
                    endedOnMark = true;
                }
                midTransaction = !endedOnMark && (midTransaction || !changes.isEmpty());
                if (mark != 0) {
                    acknowledgedLsn = mark;
                }
            } finally {
                lock.unlock();
            }
            changes.clear();
        }
    }

    private boolean midTransaction() {
        lock.lock();
        try {
            return midTransaction;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes up to batch_size changes (waiting up to the batch timeout for a partial batch) and the
     * commit marks behind them; returns the last mark taken, or 0. Throws when the worker is stopped
     * first (the final stop lets it fill a batch that finishes an open transaction).
     */
    private long take(Worker w, List<Change> out) throws InterruptedException {
        SinkSpec spec = w.config.spec();
        long mark = 0;
        lock.lock();
        try {
            while (queue.isEmpty()) {
                if (!w.go) {
                    throw new InterruptedException("stopping");
                }
                notEmpty.await();
            }
            // From here until deliverLoop records the outcome, entries taken off the queue are neither
            // queued nor delivered: markCommit must queue its mark behind them, not acknowledge it.
            endedOnMarkBeforeBatch = endedOnMark;
            long deadline = System.nanoTime() + spec.batchTimeout().toNanos();
            while (true) {
                Object head = queue.peekFirst();
                if (head == null) {
                    if (out.isEmpty() || out.size() >= spec.batchSize()) {
                        break;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0 || mark != 0) {
                        // A transaction just ended: deliver now rather than wait on the next one.
                        break;
                    }
                    if (!w.go && !(w.finish && midTransaction)) {
                        throw new InterruptedException("stopping"); // paused: the partial batch is put back
                    }
                    notEmpty.awaitNanos(left);
                    continue;
                }
                if (head instanceof Mark m) {
                    taken.add(queue.pollFirst());
                    mark = m.endLsn();
                    endedOnMark = true;
                } else if (out.size() < spec.batchSize()) {
                    endedOnMark = false;
                    Change c = (Change) queue.pollFirst();
                    taken.add(c);
                    queuedBytes -= sizeOf(c);
                    out.add(c);
                } else {
                    break;
                }
            }
            notFull.signalAll();
            return mark;
        } finally {
            lock.unlock();
        }
    }

    /** Delivers until success or discard; false only when the worker is stopped first. */
    private boolean deliver(Worker w, List<Change> changes) {
        Config c = w.config;
        SinkSpec spec = c.spec();
        List<SinkMessage> messages = new ArrayList<>(changes.size());
        for (Change ch : changes) {
            String key = ch.position().idempotencyKey();
            messages.add(new SinkMessage(ch, c.encoder().encode(ch, key), groupId(c, ch), key));
        }
        Batch batch = new Batch(messages);
        int failures = 0;
        while (true) {
            try {
                c.sink().deliver(batch).toCompletableFuture().get();
                delivered.addAndGet(batch.size());
                metrics.delivered(spec.name(), batch.size(), sinceCommit(changes.getFirst()));
                if (failures > 0) {
                    log.info("sink {}: delivery recovered after {} failed attempts", spec.name(), failures);
                }
                lastError = null;
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException | RuntimeException e) {
                failures++;
                metrics.failed(spec.name(), batch.size());
                Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                String reason = cause instanceof SinkException ? cause.getMessage() : cause.toString();
                lastError = reason;
                boolean permanent = cause instanceof SinkException se && !se.retriable();
                Integer max = spec.maxRetryCount();
                if (permanent || (max != null && failures > max)) {
                    discarded.addAndGet(batch.size());
                    metrics.discarded(spec.name(), batch.size());
                    log.warn(
                            "sink {}: discarding {} message(s) {}..{} after {} failed attempt(s): {}",
                            spec.name(),
                            batch.size(),
                            changes.getFirst().position(),
                            changes.getLast().position(),
                            failures,
                            reason);
                    return true;
                }
                if (!w.go) {
                    return false; // stopping: the batch stays unacknowledged
                }
                Duration wait = retry.delayAfter(failures);
                log.warn(
                        "sink {}: delivery of {} message(s) failed (attempt {}): {}; retrying in {} ms",
                        spec.name(),
                        batch.size(),
                        failures,
                        reason,
                        wait.toMillis());
                try {
                    long until = System.nanoTime() + wait.toNanos();
                    while (w.go && System.nanoTime() < until) {
                        Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
                    }
                    if (!w.go) {
                        return false;
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    private static void closeQuietly(Config c) {
        try {
            c.sink().close();
        } catch (RuntimeException e) {
            log.warn("sink {}: error while closing: {}", c.spec().name(), e.toString());
        }
    }

    // Wall clock against the source's commit clock: skew between the hosts shows up as latency.
    private static long sinceCommit(Change oldest) {
        Instant committed = oldest.commitTimestamp();
        return committed == null
                ? 0
                : Math.max(0, Duration.between(committed, Instant.now()).toNanos());
    }

    private static @Nullable String groupId(Config config, Change c) {
        if (!config.spec().messageGrouping()) {
            return null;
        }
        int[] idx = config.groupIndexes().computeIfAbsent(c.table(), t -> groupColumnIndexes(config.spec(), t));
        if (idx.length == 0) {
            return null;
        }
        String[] rec = c.record();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < idx.length; i++) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(rec[idx[i]]);
        }
        return sb.toString();
    }

    private static int[] groupColumnIndexes(SinkSpec spec, TableSchema t) {
        List<String> cols = spec.groupColumns().get(t.id());
        if (cols == null || cols.isEmpty()) {
            return t.primaryKey();
        }
        int[] out = new int[cols.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.indexOf(cols.get(i));
            if (out[i] < 0) {
                log.warn(
                        "sink {}: group column {} is not in {}; grouping by primary key",
                        spec.name(),
                        cols.get(i),
                        t.id());
                return t.primaryKey();
            }
        }
        return out;
    }

    private static long sizeOf(Change c) {
        long n = ENTRY_OVERHEAD;
        for (String v : c.record()) {
            n += v == null ? 8 : 40 + 2L * v.length();
        }
        String[] old = c.old();
        if (old != null) {
            for (String v : old) {
                n += v == null ? 8 : 40 + 2L * v.length();
            }
        }
        return n;
    }
}
