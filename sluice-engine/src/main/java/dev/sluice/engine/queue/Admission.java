package dev.sluice.engine.queue;

import dev.sluice.core.Change;
import dev.sluice.core.MessageContext;
import dev.sluice.core.Ticker;
import dev.sluice.engine.LoadShedding;
import dev.sluice.engine.PipelineMetrics;
import dev.sluice.engine.SinkSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes new messages into a sink's queue, within its memory bound.
 *
 * <p>Rules: a message fits when the buffer holds less than {@code maxQueueBytes} with it, after spilling what the
 * {@link Spill} can spill; an oversized message still fits an empty buffer, so that it can never wedge the reader.
 * When it does not fit and the store can take more of the sink's messages ({@link Backlog#canStore}), groups are
 * marked for storing and the caller waits for the store, whatever the policy: stored messages no longer hold the
 * slot, and then leave memory. Except with {@link LoadShedding#PAUSE_ON_FULL} while the sink keeps up
 * ({@link Outcomes#keepingUp}: it is slower than the reader, not failing nor stuck), when the reader simply waits for
 * room. Otherwise (no store, the store down, the sink paused, its spill budget used up)
 * {@link LoadShedding#PAUSE_ON_FULL} waits for room (running the caller's keep-alive about once a second) and
 * {@link LoadShedding#DISCARD_ON_FULL} drops it, counts it and warns once per full spell. A change from
 * the slot joins the open transaction of the {@link AckTracker}; a replay of what the sink resolved before a restart
 * is skipped. A truncate always fits and opens a fence ({@link Fences}).
 *
 * <p>Concurrency: called by the reader (changes) and a backfill's thread (reads); takes the queue's lock per message,
 * or per run of reads that fit.
 */
final class Admission {
    private static final Logger log = LoggerFactory.getLogger(Admission.class);
    private static final Duration KEEPALIVE_WHILE_FULL = Duration.ofSeconds(1);
    private static final long ROOM_POLL_NANOS = Duration.ofMillis(100).toNanos();

    private final QueueLock lock;
    private final GroupQueue q;
    private final AckTracker ack;
    private final Backlog backlog;
    private final Spill spill;
    private final Outcomes outcomes;
    private final Fences fences;
    private final PipelineMetrics metrics;
    private final Ticker ticker;
    private final Supplier<QueueConfig> config;
    private final AtomicLong shed = new AtomicLong();
    private volatile boolean closed;
    // Guarded by the lock.
    private boolean warnedFull;

    /** @param config the queue's config as of now (a reconfiguration may replace it while a caller waits) */
    Admission(
            QueueLock lock,
            GroupQueue q,
            AckTracker ack,
            Backlog backlog,
            Spill spill,
            Outcomes outcomes,
            Fences fences,
            PipelineMetrics metrics,
            Ticker ticker,
            Supplier<QueueConfig> config) {
        this.outcomes = outcomes;
        this.config = config;
        this.lock = lock;
        this.q = q;
        this.ack = ack;
        this.backlog = backlog;
        this.spill = spill;
        this.fences = fences;
        this.metrics = metrics;
        this.ticker = ticker;
    }

    /** Takes no more messages, and releases a caller waiting for room. */
    void close() {
        closed = true;
        lock.lock.lock();
        try {
            lock.notFull.signalAll();
        } finally {
            lock.lock.unlock();
        }
    }

    long shedCount() {
        return shed.get();
    }

    /** See {@link SinkQueue#enqueue(Change, Runnable)}. */
    boolean enqueue(Change change, Runnable whileWaiting) throws InterruptedException {
        long size = SinkQueue.sizeOf(change);
        long lastKeepAlive = ticker.nanos();
        String name = "";
        while (true) {
            lock.lock.lock();
            try {
                if (closed || ack.alreadyResolved(change.position())) {
                    return false; // stopped, or a replay of what this sink had before the restart
                }
                QueueConfig c = config.get();
                SinkSpec spec = c.spec();
                name = spec.name();
                boolean full = !fits(spec, size);
                if (full && !storing() && spec.loadShedding() == LoadShedding.DISCARD_ON_FULL) {
                    shed.incrementAndGet();
                    warnShedding(spec);
                    metrics.shed(spec.name(), 1);
                    return false;
                }
                if (!full) {
                    warnedFull = false;
                    AckTracker.Txn t = ack.join(change.commitTimestamp());
                    String groupId = c.groupId(change);
                    Msg m = new Msg(change, t, size, groupId, null, null, null, null);
                    q.hold(size);
                    backlog.joined(q.add(m, c.key(groupId, m.table), ticker.nanos()), m);
                    lock.wake.signal();
                    break;
                }
                lock.await(lock.notFull, ROOM_POLL_NANOS);
            } finally {
                lock.lock.unlock();
            }
            if (ticker.nanos() - lastKeepAlive >= KEEPALIVE_WHILE_FULL.toNanos()) {
                whileWaiting.run();
                lastKeepAlive = ticker.nanos();
            }
        }
        metrics.ingested(name, 1);
        return true;
    }

    /** See {@link SinkQueue#enqueueTruncate}. */
    boolean enqueueTruncate(List<Change> truncates) {
        List<Msg> taken = new ArrayList<>(truncates.size());
        String name;
        lock.lock.lock();
        try {
            if (closed) {
                return false;
            }
            QueueConfig c = config.get();
            name = c.spec().name();
            long now = ticker.nanos();
            for (Change change : truncates) {
                if (ack.alreadyResolved(change.position())) {
                    continue;
                }
                long size = SinkQueue.sizeOf(change);
                Msg m = new Msg(change, ack.join(change.commitTimestamp()), size, null, null, null, null, null);
                q.hold(size);
                q.add(m, c.key(m), now); // never stored (see Fences): not the backlog's
                taken.add(m);
            }
            if (taken.isEmpty()) {
                return false;
            }
            fences.add(taken);
            lock.wake.signal();
        } finally {
            lock.lock.unlock();
        }
        metrics.ingested(name, taken.size());
        return true;
    }

    /** See {@link SinkQueue#enqueueReads}. */
    int enqueueReads(
            List<SinkQueue.Read> reads,
            MessageContext encodedWith,
            Runnable onResolved,
            Runnable whileWaiting,
            BooleanSupplier givenUp)
            throws InterruptedException {
        int n = reads.size();
        long[] sizes = new long[n];
        for (int i = 0; i < n; i++) {
            SinkQueue.Read r = reads.get(i);
            // Both the row and its JSON are held until it is delivered.
            sizes[i] = r.rowSize() + r.json().length;
        }
        int taken = 0;
        int shedHere = 0;
        int i = 0;
        long lastKeepAlive = ticker.nanos();
        String name = config.get().spec().name();
        try {
            while (i < n) {
                lock.lock.lock();
                try {
                    if (closed) {
                        return taken;
                    }
                    QueueConfig c = config.get();
                    SinkSpec spec = c.spec();
                    name = spec.name();
                    int before = i;
                    long now = ticker.nanos();
                    while (i < n) {
                        long size = sizes[i];
                        boolean full = !fits(spec, size);
                        if (full && !storing() && spec.loadShedding() == LoadShedding.DISCARD_ON_FULL) {
                            shedHere++;
                            warnShedding(spec);
                            i++;
                            continue;
                        }
                        if (full) {
                            break;
                        }
                        warnedFull = false;
                        SinkQueue.Read r = reads.get(i);
                        Change change = r.change();
                        String groupId = c.groupId(change);
                        Msg m = new Msg(change, null, size, groupId, r.key(), onResolved, r.json(), encodedWith);
                        q.hold(size);
                        backlog.joined(q.add(m, c.key(groupId, m.table), now), m);
                        taken++;
                        i++;
                    }
                    if (i > before) {
                        lock.wake.signal();
                    }
                    if (i < n) {
                        if (givenUp.getAsBoolean()) {
                            return taken; // a stopped backfill must not keep the reader waiting for room
                        }
                        lock.await(lock.notFull, ROOM_POLL_NANOS);
                    }
                } finally {
                    lock.lock.unlock();
                }
                if (ticker.nanos() - lastKeepAlive >= KEEPALIVE_WHILE_FULL.toNanos()) {
                    whileWaiting.run();
                    lastKeepAlive = ticker.nanos();
                }
            }
        } finally {
            if (shedHere > 0) {
                shed.addAndGet(shedHere);
                metrics.shed(name, shedHere);
            }
            if (taken > 0) {
                metrics.ingested(name, taken);
            }
        }
        return taken;
    }

    /**
     * Whether {@code size} more bytes fit the buffer, after spilling what can be spilled. Holding the lock. An
     * oversized message still fits an empty buffer, so that it can never wedge the reader.
     */
    private boolean fits(SinkSpec spec, long size) {
        long max = spec.maxQueueBytes();
        boolean full = q.heldBytes() > 0 && q.heldBytes() + size > max;
        // Down to half: dropping stored messages costs nothing now, and the reader then goes on for a while.
        if (full && spill.spill(Math.min(max - size, max / 2), spec.name())) {
            full = q.heldBytes() > 0 && q.heldBytes() + size > max;
        }
        return !full;
    }

    /**
     * Holding the lock, the buffer full: whether the store takes some of it, so that the caller waits for that rather
     * than apply the load-shedding policy. Marks the backlog for storing, and wakes the dispatcher to store it.
     */
    private boolean storing() {
        long now = ticker.nanos();
        if (config.get().spec().loadShedding() == LoadShedding.PAUSE_ON_FULL && outcomes.keepingUp(now)) {
            return false; // slower than the reader, not stuck: the reader waits for room
        }
        if (!backlog.canStore(now)) {
            return false;
        }
        if (!spill.markForStore()) {
            return false; // nothing to store: what is in memory is in delivery or failing
        }
        lock.wake.signal();
        return true;
    }

    // Holding the lock: warns once per full spell that new messages are dropped.
    private void warnShedding(SinkSpec spec) {
        if (!warnedFull) {
            warnedFull = true;
            log.warn(
                    "sink {}: buffer full ({} MiB); dropping new messages (load_shedding_policy: discard_on_full)"
                            + " until there is room",
                    spec.name(),
                    spec.maxQueueBytes() >> 20);
        }
    }
}
