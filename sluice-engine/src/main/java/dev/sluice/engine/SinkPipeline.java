package dev.sluice.engine;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.MessageContext;
import dev.sluice.core.MessageEncoder;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
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
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sink's buffer and deliveries: ordered per group, parallel across groups.
 *
 * <p>State (guarded by {@code lock}): every message taken from the slot and not yet resolved (delivered or
 * discarded) sits in its group's FIFO. A group is the message's group id (primary-key values or the configured
 * group columns); a table without a key is one group, so its changes stay in order; without message grouping every
 * message is a group of its own. A group is <em>ready</em> (it has messages and none in flight), <em>in flight</em>
 * (its head messages are in a batch being delivered; the rest wait) or <em>waiting</em> (its last delivery failed;
 * it is retried after a back-off with jitter, per group). Batches are filled from ready groups in the order they
 * became ready, each group contributing its head messages in order; up to {@code maxInFlight} batches are in
 * delivery at once, so one slow or failing group never holds back the others.
 *
 * <p>Acknowledgement: each transaction routed to this sink counts its unresolved messages; the sink has
 * acknowledged the end LSN of the last transaction such that it and every earlier one have none left. The database
 * pipeline flushes the slot to the minimum over its sinks.
 *
 * <p>Concurrency: the database's reader thread calls {@link #accepts}, {@link #enqueue}, {@link #markCommit} and
 * {@link #positionAt}. One virtual thread (the dispatcher) builds batches and hands them to the sink; completions
 * arrive on the sink's threads. The control methods ({@link #start}, {@link #pause}, {@link #resume},
 * {@link #reconfigure}, {@link #stop}, {@link #remove}) are called from any thread and serialise on this object.
 *
 * <p>Pause and reconfiguration stop the dispatcher and wait up to a grace period for the batches in delivery; a
 * batch still out after that is abandoned (a late outcome is ignored) and its messages, still at the head of their
 * groups, are delivered again later (at-least-once, same idempotency keys). A reconfiguration regroups every
 * buffered message with the new spec, in slot order.
 *
 * <p>Memory: buffered messages are bounded in bytes ({@code maxQueueBytes}). When full, {@link #enqueue} either
 * blocks the reader, which stops reading the slot until there is room, or, with {@code discardOnFull}, drops the
 * new message and counts it.
 */
final class SinkPipeline {
    private static final Logger log = LoggerFactory.getLogger(SinkPipeline.class);
    private static final long ENTRY_OVERHEAD = 96;
    private static final Duration LOG_EVERY = Duration.ofSeconds(10);
    private static final Duration KEEPALIVE_WHILE_FULL = Duration.ofSeconds(1);
    private static final int STORE_CHUNK = 1000;
    // Consecutive failed batches after which the peer is taken for down, and the longest wait between probes then.
    private static final int OUTAGE_STREAK = 8;
    private static final Duration MAX_PROBE_INTERVAL = Duration.ofSeconds(30);
    private static final Duration STORE_RETRY = Duration.ofSeconds(5);
    // Spilled groups loaded per round trip to the store.
    private static final int LOAD_GROUPS = 16;

    /**
     * Everything that a reconfiguration replaces. {@code accepts} is used by the reader only, {@code encoder} by the
     * dispatcher only, {@code groupIndexes} under the lock only.
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

    /** A transaction's share of this sink's messages. */
    private static final class Txn {
        long endLsn;
        boolean ended;
        int outstanding;
        // Positions of its resolved messages, for the ledger until the whole transaction is acknowledged.
        final List<Position> done = new ArrayList<>();
        // Commit time of the source transaction, for the sink's lag.
        @Nullable
        Instant committedAt;
        // Some of its messages went out: the final stop tries to finish it.
        boolean started;
    }

    private static final class Msg {
        final Position position;
        final TableId table;
        final Action action;
        final Instant committedAt;
        // Null for a message restored from the store: only its JSON survives.
        final @Nullable Change change;
        // Encoded once it is stored (or as restored); encoded per attempt until then.
        byte @Nullable [] json;
        // A backfill's read, encoded before it was queued, under preContext: used while the sink's context is
        // the same (a reconfiguration may change it).
        final byte @Nullable [] pre;
        final @Nullable MessageContext preContext;
        // Null for a restored message: its transaction was acknowledged before this run; and for a backfill's read.
        final @Nullable Txn txn;
        // A backfill's read: told when it is resolved (it does not hold the slot; the backfill's cursor does).
        final @Nullable Runnable onResolved;
        final String key;
        final long bytes;
        final @Nullable String groupId;
        // The order it was queued in: the slot's order, reads included (a read at a high watermark may share its
        // commit position with the change right after it, so positions alone cannot order a batch).
        long seq;
        int attempts;

        @Nullable
        String lastError;

        @Nullable
        Instant lastAttemptAt;

        @Nullable
        Instant firstFailedAt;
        // Counted for the acknowledgement: delivered, discarded or stored.
        boolean resolved;
        // The store holds it as it is now.
        boolean stored;
        // Delivered or discarded: gone from its group.
        boolean finished;
        // Given up on: recorded as discarded in the store rather than removed.
        boolean discarded;

        Msg(
                Change change,
                @Nullable Txn txn,
                long bytes,
                @Nullable String groupId,
                @Nullable String key,
                @Nullable Runnable onResolved) {
            this(change, txn, bytes, groupId, key, onResolved, null, null);
        }

        Msg(
                Change change,
                @Nullable Txn txn,
                long bytes,
                @Nullable String groupId,
                @Nullable String key,
                @Nullable Runnable onResolved,
                byte @Nullable [] pre,
                @Nullable MessageContext preContext) {
            this.pre = pre;
            this.preContext = preContext;
            this.position = change.position();
            this.table = change.table().id();
            this.action = change.action();
            this.committedAt = change.commitTimestamp();
            this.change = change;
            this.txn = txn;
            this.onResolved = onResolved;
            this.key = key != null ? key : change.position().idempotencyKey();
            this.bytes = bytes;
            this.groupId = groupId;
        }

        Msg(MessageStore.Stored s) {
            this.position = s.position();
            this.table = s.table();
            this.action = s.action();
            this.committedAt = s.committedAt();
            this.change = null;
            this.json = s.json();
            this.pre = null;
            this.preContext = null;
            this.txn = null;
            this.onResolved = null;
            this.key = s.idempotencyKey();
            this.bytes = ENTRY_OVERHEAD + s.json().length;
            this.groupId = s.groupId();
            this.attempts = s.deliverCount();
            this.lastError = s.lastError();
            this.lastAttemptAt = s.lastAttemptAt();
            this.resolved = true;
            this.stored = true;
        }

        /** The same message, grouped anew. */
        Msg(Msg m, @Nullable String groupId) {
            this.position = m.position;
            this.table = m.table;
            this.action = m.action;
            this.committedAt = m.committedAt;
            this.change = m.change;
            this.json = m.json;
            this.pre = m.pre;
            this.preContext = m.preContext;
            this.txn = m.txn;
            this.onResolved = m.onResolved;
            this.key = m.key;
            this.bytes = m.bytes;
            this.groupId = groupId;
            this.attempts = m.attempts;
            this.lastError = m.lastError;
            this.lastAttemptAt = m.lastAttemptAt;
            this.firstFailedAt = m.firstFailedAt;
            this.resolved = m.resolved;
            this.stored = m.stored;
        }
    }

    private enum Where {
        NONE,
        READY,
        WAITING,
        // Its next messages are in the store only: the dispatcher loads some before it can be ready.
        LOADING
    }

    private static final class Group {
        final Object key;
        final ArrayDeque<Msg> msgs = new ArrayDeque<>();
        // Head messages in the batch in delivery; 0 when none.
        int inFlight;
        int failures;
        long notBefore;
        Where where = Where.NONE;
        // Failing: its messages, and those that join it, are stored so that they do not hold the slot.
        boolean persist;
        // Spilled (memory ran short): `spilled` of its messages, positions in (spillAfter, spillTo], are in the store
        // only. They come after the first `aCount` messages of msgs and before the rest.
        int spilled;
        int aCount;

        @Nullable
        Position spillAfter;

        @Nullable
        Position spillTo;

        /** Messages that can go out now: those ahead of the spilled ones. */
        int available() {
            return spilled > 0 ? aCount : msgs.size();
        }

        Group(Object key) {
            this.key = key;
        }
    }

    /**
     * Messages to store (with their attempt counts when taken, and rows to complete), positions to delete, and
     * discarded messages to record.
     */
    private record StoreWork(
            List<Msg> msgs,
            List<Group> groups,
            List<Integer> attempts,
            List<MessageStore.Stored> rows,
            List<Position> deletes,
            List<Msg> discards) {}

    /** Spilled groups whose next messages to load, each from {@code after} up to {@code upTo}. */
    private record LoadWork(List<Group> groups, List<Position> after, List<Position> upTo) {}

    /** A batch handed to the sink; its outcome counts only while {@code generation} is current. */
    private record Dispatch(long generation, List<Group> groups, List<Msg> msgs, boolean probe) {}

    /** One dispatcher's run; a stopped dispatcher builds no more batches. */
    private static final class Worker {
        final Config config;
        volatile boolean go = true;
        // Set by the final stop: transactions already partly delivered are finished first, within the grace.
        volatile boolean finish;

        @Nullable
        Thread thread;

        Worker(Config config) {
            this.config = config;
        }
    }

    // Guarded by lock once started; replaced when a reconfiguration changes the spec's back-off.
    private RetryPolicy retry;
    private final PipelineMetrics metrics;
    private volatile Config config;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final Condition settled = lock.newCondition();
    // Guarded by lock.
    private final Map<Object, Group> groups = new HashMap<>();
    private final ArrayDeque<Group> ready = new ArrayDeque<>();
    private final PriorityQueue<Group> waiting = new PriorityQueue<>(Comparator.comparingLong(g -> g.notBefore));
    private final ArrayDeque<Txn> txns = new ArrayDeque<>();
    private @Nullable Txn open;
    private int held;
    private long heldBytes;
    private int readyCount;
    private long readySince;
    private int inFlightBatches;
    private long generation;
    private long ungroupedSeq;
    // Numbers messages as they are queued (guarded by lock).
    private long queuedSeq;
    private long progressVersion;
    private final MessageStore store;
    // Failing groups with messages the store does not hold as they are; positions to remove from the store.
    private final Set<Group> toPersist = new java.util.LinkedHashSet<>();
    private final List<Position> toDelete = new ArrayList<>();
    private final List<Msg> toDiscard = new ArrayList<>();
    // Spilled groups waiting for their next messages from the store.
    private final Set<Group> toLoad = new java.util.LinkedHashSet<>();
    // Messages in the store only, over all groups; bumped whenever messages become stored, so that a full buffer
    // looks for something to spill only when there may be something new.
    private long spilledTotal;
    private long storedVersion;
    private long spillScanVersion = -1;
    private boolean warnedSpill;
    private long storeRetryAt;
    // Consecutive failed batches, across groups; while at OUTAGE_STREAK or more, one probe at a time after probeAt.
    private int streak;
    private long probeAt;
    // Failed probes of the current outage: the wait between probes grows with these only, not with the batches
    // that were in flight together when the peer went down.
    private int failedProbes;
    private boolean storeFailing;
    // Groups whose last delivery failed (waiting for a retry, or being retried).
    private int failing;
    // Failed delivery attempts since every group last succeeded, and when that streak was last logged.
    private long failedAttempts;
    private long lastFailureLog;
    // What the ledger said at start: replayed changes before or in these are not delivered again.
    private long skipBefore;
    private Set<Position> skipped = Set.of();
    private @Nullable Worker worker;

    // Written holding this; paused and closed are read without it.
    private boolean started;
    private boolean sinkStarted;
    private volatile boolean paused;
    private volatile boolean closed;

    private volatile long acknowledgedLsn;
    private volatile boolean positioned;

    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong discarded = new AtomicLong();
    private final AtomicLong shed = new AtomicLong();
    private volatile @Nullable String lastError;
    private volatile boolean warnedFull;

    SinkPipeline(SinkSpec spec, Sink sink, RetryPolicy retry) {
        this(spec, sink, retry, PipelineMetrics.NONE);
    }

    SinkPipeline(SinkSpec spec, Sink sink, RetryPolicy retry, PipelineMetrics metrics) {
        this(spec, sink, retry, metrics, MessageStore.NONE);
    }

    SinkPipeline(SinkSpec spec, Sink sink, RetryPolicy retry, PipelineMetrics metrics, MessageStore store) {
        this.retry = retry;
        this.metrics = metrics;
        this.config = new Config(spec, sink);
        this.store = store;
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
        // A paused sink buffers up to its bound and holds its acknowledgement; nothing is delivered.
        paused = c.spec().state() == SinkState.PAUSED;
        if (!paused) {
            startWorker(c);
        }
    }

    /**
     * Stops delivering and keeps every buffered message. Waits up to {@code grace} for the batches in delivery;
     * those still out are delivered again after {@link #resume}.
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
     * Replaces spec and sink, keeping the buffered messages (regrouped by the new spec) and the acknowledged
     * position: stops delivering (see {@link #pause}), closes the old sink unless {@code sink} is the same instance,
     * starts the new one and delivers again unless the new state is PAUSED. Before {@link #start} it only swaps
     * them. If the new sink's start throws, the pipeline stays paused, keeping its messages, and the error
     * propagates.
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
        if (started) {
            stopWorker(grace, false);
            paused = true;
        }
        lock.lock();
        try {
            config = next;
            if (!spec.retry().equals(old.spec().retry())) {
                retry = spec.retry();
            }
            regroup(next);
        } finally {
            lock.unlock();
        }
        if (!started) {
            if (sink != old.sink()) {
                closeQuietly(old);
            }
            return;
        }
        if (sink != old.sink()) {
            closeQuietly(old);
            sinkStarted = false;
        }
        if (!sinkStarted) {
            // If this throws, the sink stays paused with its messages until the next reconfiguration.
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
     * Final stop on shutdown. Waits up to {@code grace} for the batches in delivery and for the rest of the
     * transactions already partly delivered; undelivered messages stay unacknowledged in the slot and are delivered
     * after the next start.
     */
    synchronized void stop(Duration grace) {
        shutDown(grace, true);
    }

    /**
     * Final stop when the sink is removed: delivers nothing more once the batches in delivery are done (or
     * abandoned after {@code grace}), then closes the sink.
     */
    synchronized void remove(Duration grace) {
        shutDown(grace, false);
    }

    private void shutDown(Duration grace, boolean finishTransactions) {
        if (closed) {
            return;
        }
        closed = true;
        stopWorker(grace, finishTransactions);
        flushDeletes();
        lock.lock();
        try {
            notFull.signalAll(); // a reader waiting for room goes on
        } finally {
            lock.unlock();
        }
        closeQuietly(config);
    }

    /**
     * Adds a change to its group. When the buffer is full, blocks until there is room, or drops the change when the
     * sink sheds load ({@code discardOnFull}).
     */
    void enqueue(Change change) throws InterruptedException {
        enqueue(change, () -> {});
    }

    /**
     * As {@link #enqueue(Change)}; while blocked on a full buffer, runs {@code whileWaiting} about once a second
     * (the reader answers the server there, so that a long wait does not end its replication connection). Returns
     * whether the sink took it: false when stopped, when it precedes what this sink had already resolved, or when it
     * was shed on a full buffer.
     */
    boolean enqueue(Change change, Runnable whileWaiting) throws InterruptedException {
        return enqueueChange(change, whileWaiting);
    }

    /** The context messages are encoded with now: reads encoded under it before {@link #enqueueReads} need no more. */
    MessageContext context() {
        return config.spec().context();
    }

    /**
     * A backfill's read for {@link #enqueueReads}: the row, its idempotency key, its JSON under some context and the
     * row's {@link #sizeOf}.
     */
    record Read(Change change, String key, byte[] json, long rowSize) {}

    /**
     * Adds a backfill's reads, in order, one by one outside any transaction (they do not hold the slot: the backfill resumes from its own cursor), taking the lock once per run of
     * reads that fit. Their JSON was encoded under {@code encodedWith}; the sink encodes them again only if its
     * context differs by then. Returns how many were taken (the rest: stopped, dropped on a full buffer with
     * discard_on_full, or left when {@code givenUp} says so while waiting for room); {@code onResolved} runs once
     * for each taken read.
     */
    int enqueueReads(
            List<Read> reads,
            MessageContext encodedWith,
            Runnable onResolved,
            Runnable whileWaiting,
            java.util.function.BooleanSupplier givenUp)
            throws InterruptedException {
        int n = reads.size();
        long[] sizes = new long[n];
        for (int i = 0; i < n; i++) {
            Read r = reads.get(i);
            // Both the row and its JSON are held until it is delivered.
            sizes[i] = r.rowSize() + r.json().length;
        }
        int taken = 0;
        int shedHere = 0;
        int i = 0;
        long lastKeepAlive = System.nanoTime();
        String name = config.spec().name();
        try {
            while (i < n) {
                lock.lock();
                try {
                    if (closed) {
                        return taken;
                    }
                    Config c = config;
                    SinkSpec spec = c.spec();
                    name = spec.name();
                    int before = i;
                    while (i < n) {
                        long size = sizes[i];
                        boolean full = !fits(spec, size);
                        if (full && spec.discardOnFull()) {
                            shedHere++;
                            warnShedding(spec);
                            i++;
                            continue;
                        }
                        if (full) {
                            break;
                        }
                        warnedFull = false;
                        Read r = reads.get(i);
                        Change change = r.change();
                        add(
                                new Msg(
                                        change,
                                        null,
                                        size,
                                        groupId(c, change),
                                        r.key(),
                                        onResolved,
                                        r.json(),
                                        encodedWith),
                                c);
                        held++;
                        heldBytes += size;
                        taken++;
                        i++;
                    }
                    if (i > before) {
                        wake.signal();
                    }
                    if (i < n) {
                        if (givenUp.getAsBoolean()) {
                            return taken; // a stopped backfill must not keep the reader waiting for room
                        }
                        notFull.await(100, TimeUnit.MILLISECONDS);
                    }
                } finally {
                    lock.unlock();
                }
                if (System.nanoTime() - lastKeepAlive >= KEEPALIVE_WHILE_FULL.toNanos()) {
                    whileWaiting.run();
                    lastKeepAlive = System.nanoTime();
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

    private boolean enqueueChange(Change change, Runnable whileWaiting) throws InterruptedException {
        long size = sizeOf(change);
        long lastKeepAlive = System.nanoTime();
        while (true) {
            lock.lock();
            try {
                if (closed || alreadyResolved(change.position())) {
                    return false; // stopped, or a replay of what this sink had before the restart
                }
                SinkSpec spec = config.spec();
                boolean full = !fits(spec, size);
                if (full && spec.discardOnFull()) {
                    shed.incrementAndGet();
                    warnShedding(spec);
                    metrics.shed(spec.name(), 1);
                    return false;
                }
                if (!full) {
                    warnedFull = false;
                    Txn t = open;
                    if (t == null) {
                        t = new Txn();
                        t.committedAt = change.commitTimestamp();
                        open = t;
                        txns.addLast(t);
                    }
                    t.outstanding++;
                    Config c = config;
                    add(new Msg(change, t, size, groupId(c, change), null, null), c);
                    held++;
                    heldBytes += size;
                    wake.signal();
                    break;
                }
                notFull.await(100, TimeUnit.MILLISECONDS);
            } finally {
                lock.unlock();
            }
            if (System.nanoTime() - lastKeepAlive >= KEEPALIVE_WHILE_FULL.toNanos()) {
                whileWaiting.run();
                lastKeepAlive = System.nanoTime();
            }
        }
        metrics.ingested(config.spec().name(), 1);
        return true;
    }

    /**
     * Whether {@code size} more bytes fit the buffer, after spilling what can be spilled. Under the lock. An oversized
     * message still fits an empty buffer, so that it can never wedge the reader.
     */
    private boolean fits(SinkSpec spec, long size) {
        boolean full = heldBytes > 0 && heldBytes + size > spec.maxQueueBytes();
        if (full && spill(spec.maxQueueBytes() - size)) {
            full = heldBytes > 0 && heldBytes + size > spec.maxQueueBytes();
        }
        return !full;
    }

    /** Warns once per full spell that discard_on_full drops messages. Under the lock. */
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

    /** Records the end of a transaction routed to this sink (possibly with no change for it). */
    void markCommit(long endLsn) {
        lock.lock();
        try {
            Txn t = open;
            if (t != null) {
                open = null;
                t.endLsn = endLsn;
                t.ended = true;
                advanceAck();
                wake.signal(); // a partial batch need not wait for more of this transaction
            } else if (txns.isEmpty()) {
                raiseAck(endLsn);
            } else {
                Txn empty = new Txn();
                empty.endLsn = endLsn;
                empty.ended = true;
                txns.addLast(empty);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sets where a sink added while streaming starts: transactions ending at or before {@code endLsn} were routed
     * before it existed, so it has nothing to deliver for them. Called by the reader once.
     */
    void positionAt(long endLsn) {
        lock.lock();
        try {
            raiseAck(endLsn);
            positioned = true;
        } finally {
            lock.unlock();
        }
    }

    boolean positioned() {
        return positioned;
    }

    /**
     * Before the first change: skips, in the replay that follows a restart, what the sink had resolved before it
     * (see {@link DeliveryLedger}).
     */
    void restore(DeliveryLedger.Progress progress) {
        lock.lock();
        try {
            skipBefore = progress.acknowledgedLsn();
            skipped = progress.resolvedAfter().isEmpty() ? Set.of() : new HashSet<>(progress.resolvedAfter());
            raiseAck(progress.acknowledgedLsn());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Before {@link #start}: puts back the messages the store holds for this sink (failing groups of an earlier
     * run), ahead of anything the slot sends; the slot's replay of them is skipped.
     */
    void restoreStored(List<MessageStore.Stored> stored) {
        lock.lock();
        try {
            Config c = config;
            Set<Position> skip = skipped instanceof HashSet<Position> h ? h : new HashSet<>(skipped);
            long now = System.nanoTime();
            Instant wall = Instant.now();
            long max = c.spec().maxQueueBytes();
            for (MessageStore.Stored st : stored) {
                Msg m = new Msg(st);
                if (skipBefore == 0 || Long.compareUnsigned(m.position.commitLsn(), skipBefore) >= 0) {
                    skip.add(m.position);
                }
                held++;
                Object key = key(m.groupId, m.table, c);
                Group known = key == null ? null : groups.get(key);
                if (known != null && (known.spilled > 0 || (heldBytes + m.bytes > max && !known.msgs.isEmpty()))) {
                    // Over the bound: behind its group's first messages, it stays in the store until needed.
                    if (known.spilled == 0) {
                        known.aCount = known.msgs.size();
                        known.spillAfter = known.msgs.getLast().position;
                    }
                    known.spilled++;
                    known.spillTo = m.position;
                    spilledTotal++;
                    continue;
                }
                heldBytes += m.bytes;
                Group g = add(m, c);
                g.persist = true;
                if (st.deliverCount() > 0 && g.failures == 0) {
                    g.failures = st.deliverCount();
                    failing++;
                    lastError = st.lastError();
                    Instant next = st.nextAttemptAt();
                    if (next != null && next.isAfter(wall) && g.where == Where.READY) {
                        ready.remove(g);
                        readyCount -= g.msgs.size();
                        g.notBefore = now + Duration.between(wall, next).toNanos();
                        g.where = Where.WAITING;
                        waiting.add(g);
                    }
                }
            }
            skipped = skip;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Retries failing groups now instead of after their back-off: every failing group, or the one whose failed
     * message is at {@code position}. Returns how many groups it woke.
     */
    int redeliver(@Nullable Position position) {
        lock.lock();
        try {
            probeAt = System.nanoTime(); // asked for: probe the peer now even if it looked down
            int n = 0;
            for (Group g : List.copyOf(waiting)) {
                if (position == null || g.msgs.getFirst().position.equals(position)) {
                    waiting.remove(g);
                    g.where = Where.NONE;
                    list(g);
                    n++;
                }
            }
            wake.signal();
            return n;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives up on failed messages: the one at {@code position}, or every failed message, when its group is not in
     * delivery. Their groups go on with the next message. Returns how many were discarded.
     */
    int discard(@Nullable Position position) {
        int n = 0;
        String name;
        lock.lock();
        try {
            name = config.spec().name();
            for (Group g : List.copyOf(groups.values())) {
                if (g.inFlight > 0 || g.failures == 0) {
                    continue;
                }
                int before = n;
                while (g.available() > 0
                        && g.msgs.getFirst().attempts > 0
                        && (position == null || g.msgs.getFirst().position.equals(position))) {
                    finish(takeHead(g), true);
                    n++;
                }
                if (n > before) {
                    if (g.where == Where.WAITING) {
                        waiting.remove(g);
                    } else if (g.where == Where.READY) {
                        ready.remove(g);
                        readyCount -= g.msgs.size() + (n - before);
                    }
                    g.where = Where.NONE;
                    // The next message goes at once, still alone until one succeeds.
                    g.failures = 1;
                    list(g);
                }
            }
            if (n > 0) {
                discarded.addAndGet(n);
                if (failing == 0) {
                    lastError = null;
                }
                advanceAck();
                notFull.signalAll();
                wake.signal();
            }
        } finally {
            lock.unlock();
        }
        if (n > 0) {
            metrics.discarded(name, n);
            log.warn("sink {}: {} failed message(s) discarded on request", name, n);
        }
        return n;
    }

    /** Changes whenever {@link #progress()} would. */
    long progressVersion() {
        return locked(() -> progressVersion);
    }

    /** What the sink has resolved so far, for the ledger. */
    DeliveryLedger.Progress progress() {
        lock.lock();
        try {
            List<Position> after = new ArrayList<>();
            for (Txn t : txns) {
                after.addAll(t.done);
            }
            // Replayed positions skipped but not yet acknowledged still count as resolved.
            for (Position p : skipped) {
                if (Long.compareUnsigned(p.commitLsn(), acknowledgedLsn) >= 0) {
                    after.add(p);
                }
            }
            return new DeliveryLedger.Progress(acknowledgedLsn, after);
        } finally {
            lock.unlock();
        }
    }

    // Holding lock. A transaction whose commit starts before an acknowledged end LSN ends at or before it.
    private boolean alreadyResolved(Position p) {
        if (skipBefore != 0 && Long.compareUnsigned(p.commitLsn(), skipBefore) < 0) {
            return true;
        }
        return !skipped.isEmpty() && skipped.contains(p);
    }

    /** Every transaction ending at or before this LSN has been delivered (or discarded) by this sink. */
    long acknowledgedLsn() {
        return acknowledgedLsn;
    }

    boolean idle() {
        return locked(() -> held == 0);
    }

    long deliveredCount() {
        return delivered.get();
    }

    long discardedCount() {
        return discarded.get();
    }

    /** Messages dropped because the buffer was full ({@code discardOnFull}). */
    long shedCount() {
        return shed.get();
    }

    /** Bytes of the messages buffered in memory (those kept in the store only do not count). */
    long bufferedBytes() {
        return locked(() -> heldBytes);
    }

    /** Messages not yet delivered or discarded, including those kept in the store only. */
    int queuedMessages() {
        return locked(() -> held);
    }

    /** When the oldest message still failing first failed; null when none is failing. */
    @Nullable
    Instant oldestFailure() {
        lock.lock();
        try {
            if (failing == 0) {
                return null;
            }
            Instant oldest = null;
            for (Group g : groups.values()) {
                if (g.failures > 0 && !g.msgs.isEmpty()) {
                    Msg head = g.msgs.getFirst();
                    Instant at = head.firstFailedAt != null ? head.firstFailedAt : head.lastAttemptAt;
                    if (at != null && (oldest == null || at.isBefore(oldest))) {
                        oldest = at;
                    }
                }
            }
            return oldest;
        } finally {
            lock.unlock();
        }
    }

    /**
     * How far behind the source the sink is: from the commit of the oldest transaction it has not fully resolved
     * until now; zero when it is caught up.
     */
    Duration lag() {
        lock.lock();
        try {
            for (Txn t : txns) {
                if (t.outstanding > 0 && t.committedAt != null) {
                    Duration d = Duration.between(t.committedAt, Instant.now());
                    return d.isNegative() ? Duration.ZERO : d;
                }
            }
            return Duration.ZERO;
        } finally {
            lock.unlock();
        }
    }

    /** Groups whose last delivery failed: waiting for a retry, or being retried. */
    int failingGroups() {
        return locked(() -> failing);
    }

    @Nullable
    String lastError() {
        return lastError;
    }

    /** Reads state under the lock. */
    private <T> T locked(java.util.function.Supplier<T> read) {
        lock.lock();
        try {
            return read.get();
        } finally {
            lock.unlock();
        }
    }

    // ---- groups and acknowledgement (holding lock) ----

    /** Adds a message to its group; returns the group. */
    private Group add(Msg m, Config c) {
        m.seq = ++queuedSeq;
        Object key = key(m.groupId, m.table, c);
        if (key == null) {
            key = ++ungroupedSeq; // ungrouped: every message on its own
        }
        Group g = groups.computeIfAbsent(key, Group::new);
        g.msgs.addLast(m);
        if (g.persist && !m.stored) {
            toPersist.add(g);
        }
        if (g.where == Where.READY) {
            readyCount++;
        } else if (g.where == Where.NONE && g.inFlight == 0) {
            list(g);
        }
        return g;
    }

    /** A message's group key: its group id, or its table when it has none; null when it is a group of its own. */
    private static @Nullable Object key(@Nullable String groupId, TableId table, Config c) {
        if (groupId != null) {
            return groupId;
        }
        return c.spec().messageGrouping() ? table : null; // no key columns: the table's changes stay in order
    }

    /**
     * Makes a group with no batch in delivery ready, has its next messages loaded when they are in the store only,
     * or forgets it when it has nothing left.
     */
    private void list(Group g) {
        if (g.spilled > 0 && g.aCount == 0) {
            g.where = Where.LOADING;
            toLoad.add(g);
            wake.signal();
            return;
        }
        if (g.msgs.isEmpty()) {
            groups.remove(g.key);
            g.where = Where.NONE;
            return;
        }
        if (readyCount == 0) {
            readySince = System.nanoTime();
        }
        g.where = Where.READY;
        ready.addLast(g);
        readyCount += g.msgs.size();
    }

    /** Removes a group's first message (delivered or discarded). */
    private static Msg takeHead(Group g) {
        Msg m = g.msgs.pollFirst();
        if (g.spilled > 0) {
            g.aCount--;
        }
        return m;
    }

    private void recovered(Group g) {
        if (g.failures > 0) {
            g.failures = 0;
            failing--;
        }
    }

    /** Counts a message as handled for the acknowledgement (once). */
    private void resolve(Msg m) {
        if (m.resolved) {
            return;
        }
        m.resolved = true;
        if (m.txn != null) {
            m.txn.outstanding--;
            m.txn.done.add(m.position);
        }
        if (m.onResolved != null) {
            m.onResolved.run();
        }
        progressVersion++;
    }

    /**
     * A message delivered or discarded: resolved, out of memory, and out of the store; a discarded one is recorded
     * as such there instead.
     */
    private void finish(Msg m, boolean discard) {
        resolve(m);
        m.finished = true;
        held--;
        heldBytes -= m.bytes;
        if (discard && store.persistent()) {
            m.discarded = true;
            toDiscard.add(m);
        } else if (m.stored) {
            toDelete.add(m.position);
        }
    }

    private void advanceAck() {
        Txn head;
        while ((head = txns.peekFirst()) != null && head.ended && head.outstanding == 0) {
            txns.pollFirst();
            raiseAck(head.endLsn);
        }
    }

    private void raiseAck(long lsn) {
        if (Long.compareUnsigned(lsn, acknowledgedLsn) > 0) {
            acknowledgedLsn = lsn;
            progressVersion++;
        }
    }

    /**
     * Rebuilds every group with {@code c}'s grouping, in slot order; nothing is in delivery. A spilled group is kept
     * as it is (its stored messages keep the group id they were stored with); the other messages join it behind its
     * own.
     */
    private void regroup(Config c) {
        List<Msg> all = new ArrayList<>(held);
        List<Group> kept = new ArrayList<>();
        for (Group g : groups.values()) {
            if (g.spilled > 0) {
                kept.add(g);
            } else {
                all.addAll(g.msgs);
            }
        }
        all.sort(Comparator.comparing(m -> m.position));
        groups.clear();
        ready.clear();
        waiting.clear();
        toLoad.clear();
        readyCount = 0;
        failing = 0;
        toPersist.clear();
        for (Group g : kept) {
            groups.put(g.key, g);
            g.where = Where.NONE;
            if (g.failures > 0) {
                failing++;
            }
            if (g.persist) {
                toPersist.add(g);
            }
            list(g);
        }
        for (Msg m : all) {
            add(new Msg(m, m.change == null ? m.groupId : groupId(c, m.change)), c);
        }
    }

    /**
     * When the buffer is full: frees the memory of stored messages that wait in failing groups, which then stay in
     * the store only until their group needs them. A waiting group keeps its failed messages; a group loading its
     * next messages keeps nothing. Returns whether anything was freed (it stops once {@code heldBytes <= target}).
     */
    private boolean spill(long target) {
        if (!store.persistent() || storedVersion == spillScanVersion) {
            return false; // nothing became stored since the last look
        }
        spillScanVersion = storedVersion;
        long before = heldBytes;
        long count = spilledTotal;
        for (Group g : waiting) {
            if (heldBytes <= target) {
                break;
            }
            spill(g);
        }
        for (Group g : toLoad) {
            if (heldBytes <= target) {
                break;
            }
            spill(g);
        }
        if (spilledTotal > count && !warnedSpill) {
            warnedSpill = true;
            log.info(
                    "sink {}: buffer full; messages waiting behind failed ones are kept in the store only until"
                            + " their group needs them",
                    config.spec().name());
        }
        return heldBytes < before;
    }

    private void spill(Group g) {
        if (g.inFlight > 0) {
            return;
        }
        int keep = 0;
        if (g.where == Where.WAITING) {
            for (Msg m : g.msgs) {
                if (m.attempts == 0) {
                    break;
                }
                keep++;
            }
            keep = Math.max(keep, 1);
        }
        if (g.msgs.size() <= keep) {
            return;
        }
        int i = 0;
        for (Msg m : g.msgs) {
            if (i++ >= keep && !m.stored) {
                return; // the store has not got all of them yet
            }
        }
        Position tail = g.msgs.getLast().position;
        int n = 0;
        while (g.msgs.size() > keep) {
            heldBytes -= g.msgs.pollLast().bytes;
            n++;
        }
        if (keep > 0) {
            g.spillAfter = g.msgs.getLast().position;
        }
        if (g.spilled == 0 || tail.compareTo(java.util.Objects.requireNonNull(g.spillTo)) > 0) {
            g.spillTo = tail;
        }
        g.spilled += n;
        g.aCount = keep;
        spilledTotal += n;
    }

    // ---- the dispatcher ----

    // Called holding this.
    private void startWorker(Config c) {
        Worker w = new Worker(c);
        lock.lock();
        try {
            worker = w;
            w.thread = Thread.ofVirtual().name("sink-" + c.spec().name()).unstarted(() -> dispatchLoop(w));
        } finally {
            lock.unlock();
        }
        w.thread.start();
    }

    /**
     * Stops the dispatcher (called holding this), waits up to {@code grace} for the batches in delivery, and
     * abandons those still out: their messages are at the head of their groups, ready to go again.
     */
    private void stopWorker(Duration grace, boolean finishTransactions) {
        long deadline = System.nanoTime() + grace.toNanos();
        Worker w;
        lock.lock();
        try {
            w = worker;
            if (w == null) {
                return;
            }
            w.finish = finishTransactions;
            w.go = false;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        Thread t = w.thread;
        boolean interrupted = false;
        if (t != null) {
            try {
                if (!t.join(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                    t.interrupt();
                    t.join(Duration.ofSeconds(1));
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        int abandoned;
        lock.lock();
        try {
            worker = null;
            while (inFlightBatches > 0 && !interrupted) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    settled.awaitNanos(left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            abandoned = inFlightBatches;
            if (abandoned > 0) {
                // From here on, the outcome of those batches is ignored, even if the sink is stuck on them.
                generation++;
                inFlightBatches = 0;
                for (Group g : List.copyOf(groups.values())) {
                    if (g.inFlight > 0) {
                        g.inFlight = 0;
                        list(g);
                    }
                }
            }
        } finally {
            lock.unlock();
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

    private void dispatchLoop(Worker w) {
        while (true) {
            Object work;
            try {
                work = nextWork(w);
            } catch (InterruptedException e) {
                return;
            }
            switch (work) {
                case null -> {
                    return;
                }
                case Dispatch d -> send(w.config, d);
                case StoreWork sw -> persist(w.config, sw);
                case LoadWork lw -> load(w.config, lw);
                default -> throw new IllegalStateException("unknown work " + work);
            }
        }
    }

    /** Waits for a batch worth sending or messages to store; null when this dispatcher is done. */
    private @Nullable Object nextWork(Worker w) throws InterruptedException {
        SinkSpec spec = w.config.spec();
        lock.lock();
        try {
            while (true) {
                if (worker != w) {
                    return null;
                }
                long now = System.nanoTime();
                long wait = promoteDue(now);
                if ((!toPersist.isEmpty() || !toDelete.isEmpty() || !toDiscard.isEmpty()) && store.persistent()) {
                    if (now - storeRetryAt >= 0) {
                        return storeWork();
                    }
                    wait = Math.min(wait, Math.max(1, storeRetryAt - now));
                }
                if (!w.go) {
                    if (!w.finish) {
                        return null;
                    }
                    Dispatch d = inFlightBatches < spec.maxInFlight() ? build(spec, true, false) : null;
                    if (d != null) {
                        return d;
                    }
                    if (inFlightBatches == 0) {
                        return null; // nothing more of a started transaction can go out
                    }
                    wake.await(10, TimeUnit.MILLISECONDS);
                    continue;
                }
                if (!toLoad.isEmpty() && now - storeRetryAt >= 0) {
                    LoadWork lw = loadWork(spec); // null while the buffer is full: deliveries make room
                    if (lw != null) {
                        return lw;
                    }
                }
                // The peer looks down (every recent batch failed, whatever its rows): one probe batch at a time, on
                // the sink's own back-off, instead of every failing row retrying on its own.
                boolean outage = streak >= OUTAGE_STREAK;
                if (outage && readyCount > 0 && inFlightBatches == 0 && now - probeAt < 0) {
                    wait = Math.min(wait, Math.max(1, probeAt - now));
                }
                int limit = outage ? (now - probeAt >= 0 ? 1 : 0) : spec.maxInFlight();
                if (readyCount > 0 && inFlightBatches < limit) {
                    long due = readySince + spec.batchTimeout().toNanos();
                    // A full batch, or the timeout, or nothing in delivery and no transaction in progress (nothing
                    // more is coming soon). While batches are out, a partial one waits for more (up to the timeout),
                    // so a busy sink gets fuller, fewer requests.
                    if (readyCount >= spec.batchSize() || (open == null && inFlightBatches == 0) || now - due >= 0) {
                        Dispatch d = build(spec, false, outage);
                        if (d != null) {
                            return d;
                        }
                    }
                    wait = Math.min(wait, Math.max(1, due - now));
                }
                wake.awaitNanos(wait);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Up to STORE_CHUNK messages of failing groups that the store lacks, and the positions to remove. */
    private StoreWork storeWork() {
        List<Msg> msgs = new ArrayList<>();
        List<Group> owners = new ArrayList<>();
        List<MessageStore.Stored> rows = new ArrayList<>();
        for (Iterator<Group> it = toPersist.iterator(); it.hasNext() && msgs.size() < STORE_CHUNK; ) {
            Group g = it.next();
            boolean all = true;
            for (Msg m : g.msgs) {
                if (m.stored) {
                    continue;
                }
                if (msgs.size() == STORE_CHUNK) {
                    all = false;
                    break;
                }
                msgs.add(m);
                owners.add(g);
                Instant next = g.where == Where.WAITING
                        ? Instant.now().plusNanos(Math.max(0, g.notBefore - System.nanoTime()))
                        : null;
                // JSON is filled in outside the lock; the row is completed then.
                rows.add(new MessageStore.Stored(
                        m.position,
                        m.groupId,
                        m.key,
                        m.table,
                        m.action,
                        m.committedAt,
                        m.json == null ? new byte[0] : m.json,
                        m.attempts,
                        m.lastError,
                        m.lastAttemptAt,
                        next));
            }
            if (all) {
                it.remove();
            }
        }
        List<Position> deletes = List.copyOf(toDelete);
        toDelete.clear();
        List<Msg> discards = List.copyOf(toDiscard);
        toDiscard.clear();
        List<Integer> attempts = new ArrayList<>(msgs.size());
        msgs.forEach(m -> attempts.add(m.attempts));
        return new StoreWork(msgs, owners, attempts, rows, deletes, discards);
    }

    /** Up to a few spilled groups to load, while there is room for their messages. */
    private @Nullable LoadWork loadWork(SinkSpec spec) {
        if (toLoad.isEmpty() || heldBytes >= spec.maxQueueBytes()) {
            return null;
        }
        List<Group> gs = new ArrayList<>();
        List<Position> after = new ArrayList<>();
        List<Position> upTo = new ArrayList<>();
        for (Iterator<Group> it = toLoad.iterator(); it.hasNext() && gs.size() < LOAD_GROUPS; ) {
            Group g = it.next();
            it.remove();
            gs.add(g);
            after.add(java.util.Objects.requireNonNull(g.spillAfter));
            upTo.add(java.util.Objects.requireNonNull(g.spillTo));
        }
        return new LoadWork(gs, after, upTo);
    }

    /** Loads spilled groups' next messages outside the lock, then makes the groups ready. */
    private void load(Config c, LoadWork w) {
        int limit = loadChunk(c.spec());
        List<List<MessageStore.Stored>> loaded = new ArrayList<>();
        Exception failure = null;
        try {
            for (int i = 0; i < w.groups().size(); i++) {
                Group g = w.groups().get(i);
                String groupId = g.key instanceof String s ? s : null;
                TableId table = g.key instanceof TableId t ? t : null;
                if (table == null) {
                    // Keyed by group id; the table is not part of the match.
                    table = new TableId("", "");
                }
                loaded.add(store.loadGroup(
                        c.spec().id(),
                        groupId,
                        table,
                        w.after().get(i),
                        w.upTo().get(i),
                        limit));
            }
        } catch (Exception e) {
            failure = e;
        }
        lock.lock();
        try {
            if (failure != null) {
                storeRetryAt = System.nanoTime() + STORE_RETRY.toNanos();
                for (Group g : w.groups()) {
                    if (groups.get(g.key) == g && g.where == Where.LOADING) {
                        toLoad.add(g);
                    }
                }
                if (!storeFailing) {
                    storeFailing = true;
                    log.warn(
                            "sink {}: cannot load stored messages ({}); their groups wait until the store is back",
                            c.spec().name(),
                            failure.toString());
                }
                return;
            }
            for (int i = 0; i < loaded.size(); i++) {
                Group g = w.groups().get(i);
                if (groups.get(g.key) != g || g.where != Where.LOADING) {
                    continue; // regrouped or stopped meanwhile: loaded again when needed
                }
                List<MessageStore.Stored> rows = loaded.get(i);
                for (int j = rows.size() - 1; j >= 0; j--) {
                    Msg m = new Msg(rows.get(j));
                    g.msgs.addFirst(m);
                    heldBytes += m.bytes;
                }
                int n = rows.size();
                int left = n < limit ? 0 : Math.max(0, g.spilled - n);
                if (n < limit && n != g.spilled) {
                    log.warn(
                            "sink {}: expected {} stored message(s) of a group, found {}; going on with those",
                            c.spec().name(),
                            g.spilled,
                            n);
                    held -= g.spilled - n;
                }
                spilledTotal -= g.spilled - left;
                g.spilled = left;
                g.aCount = n;
                if (left > 0) {
                    g.spillAfter = rows.getLast().position();
                } else {
                    g.spillAfter = null;
                    g.spillTo = null;
                }
                g.where = Where.NONE;
                list(g);
            }
            wake.signal();
        } finally {
            lock.unlock();
        }
    }

    private static int loadChunk(SinkSpec spec) {
        return Math.max(spec.batchSize(), 100);
    }

    /** Saves and deletes outside the lock; saved messages stop holding the slot. */
    private void persist(Config c, StoreWork w) {
        List<MessageStore.Stored> rows = new ArrayList<>(w.rows().size());
        List<byte[]> encoded = new ArrayList<>(w.msgs().size());
        for (int i = 0; i < w.msgs().size(); i++) {
            Msg m = w.msgs().get(i);
            MessageStore.Stored r = w.rows().get(i);
            byte[] json = r.json().length > 0 ? r.json() : json(c, m);
            encoded.add(json);
            rows.add(new MessageStore.Stored(
                    r.position(),
                    r.groupId(),
                    r.idempotencyKey(),
                    r.table(),
                    r.action(),
                    r.committedAt(),
                    json,
                    r.deliverCount(),
                    r.lastError(),
                    r.lastAttemptAt(),
                    r.nextAttemptAt()));
        }
        List<MessageStore.Stored> discards = new ArrayList<>(w.discards().size());
        for (Msg m : w.discards()) {
            discards.add(discardedRow(c, m));
        }
        String sinkId = c.spec().id();
        Exception failure = null;
        try {
            if (!rows.isEmpty()) {
                store.save(sinkId, rows);
            }
            if (!w.deletes().isEmpty()) {
                store.delete(sinkId, w.deletes());
            }
            // After the deletes: a message discarded while it was being saved is recorded, not removed.
            if (!discards.isEmpty()) {
                store.discarded(sinkId, discards);
            }
        } catch (Exception e) {
            failure = e;
        }
        List<Position> orphans = new ArrayList<>();
        lock.lock();
        try {
            if (failure != null) {
                // Kept in memory, holding the slot as before; tried again shortly.
                storeRetryAt = System.nanoTime() + STORE_RETRY.toNanos();
                toDelete.addAll(w.deletes());
                toDiscard.addAll(w.discards());
                for (int i = 0; i < w.msgs().size(); i++) {
                    Group g = w.groups().get(i);
                    if (!w.msgs().get(i).finished && groups.get(g.key) == g) {
                        toPersist.add(g);
                    }
                }
                if (!storeFailing) {
                    storeFailing = true;
                    log.warn(
                            "sink {}: cannot store failing messages ({}); they stay in memory and hold the slot"
                                    + " until they are delivered or the store is back",
                            c.spec().name(),
                            failure.toString());
                }
                return;
            }
            if (storeFailing) {
                storeFailing = false;
                log.info("sink {}: storing failing messages again", c.spec().name());
            }
            for (int i = 0; i < w.msgs().size(); i++) {
                Msg m = w.msgs().get(i);
                m.json = encoded.get(i);
                if (m.finished) {
                    if (!m.discarded) {
                        orphans.add(m.position); // delivered while it was being saved
                    }
                    continue;
                }
                if (m.attempts == w.attempts().get(i)) {
                    m.stored = true;
                }
                resolve(m);
            }
            storedVersion++;
            toDelete.addAll(orphans);
            advanceAck();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private static MessageStore.Stored discardedRow(Config c, Msg m) {
        return new MessageStore.Stored(
                m.position,
                m.groupId,
                m.key,
                m.table,
                m.action,
                m.committedAt,
                json(c, m),
                m.attempts,
                m.lastError,
                m.lastAttemptAt,
                null);
    }

    /** The message's JSON: as stored, or encoded now by this config's encoder (dispatcher thread). */
    private static byte[] json(Config c, Msg m) {
        if (m.json != null) {
            return m.json;
        }
        MessageContext pc = m.preContext;
        if (m.pre != null && pc != null) {
            MessageContext now = c.spec().context();
            if (pc == now || pc.equals(now)) {
                return m.pre;
            }
        }
        return c.encoder().encode(java.util.Objects.requireNonNull(m.change), m.key);
    }

    /** On stop: removes from the store what was delivered, so that a restart does not deliver it again. */
    private void flushDeletes() {
        List<Position> deletes;
        List<Msg> discards;
        lock.lock();
        try {
            deletes = List.copyOf(toDelete);
            toDelete.clear();
            discards = List.copyOf(toDiscard);
            toDiscard.clear();
        } finally {
            lock.unlock();
        }
        if (!discards.isEmpty()) {
            Config c = config;
            List<MessageStore.Stored> rows = new ArrayList<>(discards.size());
            for (Msg m : discards) {
                rows.add(discardedRow(c, m));
            }
            try {
                store.discarded(c.spec().id(), rows);
            } catch (Exception e) {
                log.warn(
                        "sink {}: cannot record {} discarded message(s) in the store ({})",
                        c.spec().name(),
                        rows.size(),
                        e.toString());
            }
        }
        if (!deletes.isEmpty()) {
            try {
                store.delete(config.spec().id(), deletes);
            } catch (Exception e) {
                log.warn(
                        "sink {}: cannot remove {} delivered message(s) from the store ({}); they will be delivered"
                                + " again after a restart",
                        config.spec().name(),
                        deletes.size(),
                        e.toString());
            }
        }
    }

    /** Moves waiting groups whose back-off is over to ready; returns nanoseconds until the next one is due. */
    private long promoteDue(long now) {
        Group g;
        while ((g = waiting.peek()) != null && now - g.notBefore >= 0) {
            waiting.poll();
            g.where = Where.NONE;
            list(g);
        }
        return g == null ? TimeUnit.SECONDS.toNanos(1) : Math.max(1, g.notBefore - now);
    }

    /** Takes up to batch_size messages from ready groups, oldest ready first; null when there is none. */
    private @Nullable Dispatch build(SinkSpec spec, boolean onlyStartedTransactions, boolean probe) {
        List<Group> gs = new ArrayList<>();
        List<Msg> ms = new ArrayList<>(Math.min(spec.batchSize(), readyCount));
        int room = spec.batchSize();
        for (Iterator<Group> it = ready.iterator(); it.hasNext() && room > 0; ) {
            Group g = it.next();
            Txn headTxn = g.msgs.getFirst().txn;
            if (onlyStartedTransactions && (headTxn == null || !headTxn.started)) {
                continue;
            }
            // A group whose last delivery failed is retried in a batch of its own: one bad row must not fail the
            // batches of healthy ones again and again.
            if (g.failures > 0 && !gs.isEmpty()) {
                continue;
            }
            boolean alone = g.failures > 0;
            it.remove();
            // ...and with its head message only, so that the messages behind a bad one are not charged with its
            // failures (max_retry_count counts per message).
            int take = Math.min(alone ? 1 : room, g.available());
            g.where = Where.NONE;
            readyCount -= g.msgs.size();
            int n = 0;
            for (Msg m : g.msgs) {
                if (n == take) {
                    break;
                }
                ms.add(m);
                if (m.txn != null) {
                    m.txn.started = true;
                }
                n++;
            }
            g.inFlight = n;
            room -= n;
            gs.add(g);
            if (alone) {
                break;
            }
        }
        if (gs.isEmpty()) {
            return null;
        }
        if (readyCount > 0) {
            readySince = System.nanoTime();
        }
        inFlightBatches++;
        // In slot order: each group's messages keep their order, and a transaction that fits reads as committed.
        ms.sort(Comparator.comparingLong(m -> m.seq));
        return new Dispatch(generation, gs, ms, probe);
    }

    private void send(Config c, Dispatch d) {
        List<SinkMessage> messages = new ArrayList<>(d.msgs().size());
        for (Msg m : d.msgs()) {
            messages.add(new SinkMessage(m.position, m.table, m.action, m.committedAt, json(c, m), m.groupId, m.key));
        }
        CompletionStage<Void> outcome;
        try {
            outcome = c.sink().deliver(new Batch(messages));
        } catch (RuntimeException e) {
            outcome = CompletableFuture.failedFuture(e);
        }
        outcome.whenComplete((ok, error) -> complete(c, d, error));
    }

    private void complete(Config c, Dispatch d, @Nullable Throwable error) {
        SinkSpec spec = c.spec();
        int n = d.msgs().size();
        lock.lock();
        try {
            if (d.generation() != generation) {
                return; // abandoned: its messages were made ready again
            }
            inFlightBatches--;
            if (error == null) {
                streak = 0;
                failedProbes = 0;
            } else if (++streak >= OUTAGE_STREAK) {
                if (d.probe()) {
                    failedProbes++;
                }
                Duration pause = retry.delayAfter(failedProbes + 1);
                probeAt = System.nanoTime() + Math.min(pause.toNanos(), MAX_PROBE_INTERVAL.toNanos());
            }
            if (error == null) {
                for (Group g : d.groups()) {
                    for (int i = 0; i < g.inFlight; i++) {
                        finish(takeHead(g), false);
                    }
                    g.inFlight = 0;
                    recovered(g);
                    g.persist = false; // what is stored stays stored; what joins now need not be
                    list(g);
                }
                delivered.addAndGet(n);
                if (failing == 0) {
                    lastError = null;
                    if (failedAttempts > 0) {
                        log.info("sink {}: delivery recovered after {} failed attempts", spec.name(), failedAttempts);
                        failedAttempts = 0;
                    }
                }
            } else {
                failed(spec, d, error);
            }
            advanceAck();
            notFull.signalAll();
            wake.signal();
            settled.signalAll();
        } finally {
            lock.unlock();
        }
        if (error == null) {
            metrics.delivered(spec.name(), n, sinceCommit(d.msgs().getFirst().committedAt));
        }
    }

    // Holding lock.
    private void failed(SinkSpec spec, Dispatch d, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        String reason = cause instanceof SinkException ? cause.getMessage() : cause.toString();
        lastError = reason;
        SinkException partial = cause instanceof SinkException se && se.isPartial() ? se : null;
        boolean permanent = cause instanceof SinkException se && !se.retriable();
        Map<Msg, Integer> index = partial == null ? Map.of() : batchIndexes(d);
        Integer max = spec.maxRetryCount();
        int dropped = 0;
        int worst = 0;
        int tookPart = 0;
        int failedHere = 0;
        Instant at = Instant.now();
        for (Group g : d.groups()) {
            int sent = g.inFlight;
            g.inFlight = 0;
            if (partial != null) {
                // The peer took some: each group's messages up to its first one to retry are done (delivered, or
                // rejected for good); that one and those after it, in order, go again.
                while (sent > 0) {
                    int i = index.get(g.msgs.getFirst());
                    if (partial.toRetry(i)) {
                        break;
                    }
                    boolean rejected = partial.rejected(i);
                    Msg m = takeHead(g);
                    if (rejected) {
                        m.attempts++;
                        m.lastError = reason;
                        m.lastAttemptAt = at;
                        if (m.firstFailedAt == null) {
                            m.firstFailedAt = at;
                        }
                        m.stored = false;
                        failedHere++;
                        dropped++;
                    } else {
                        tookPart++;
                    }
                    finish(m, rejected);
                    sent--;
                }
                if (sent == 0) {
                    recovered(g);
                    g.persist = false;
                    list(g);
                    continue;
                }
            }
            failedHere += sent;
            if (g.failures++ == 0) {
                failing++;
            }
            worst = Math.max(worst, g.failures);
            Iterator<Msg> it = g.msgs.iterator();
            for (int i = 0; i < sent; i++) {
                Msg m = it.next();
                m.attempts++;
                m.lastError = reason;
                m.lastAttemptAt = at;
                if (m.firstFailedAt == null) {
                    m.firstFailedAt = at;
                }
                m.stored = false; // its row, if any, has an older attempt count
            }
            // Messages out of attempts are at the head: the older a message, the more attempts it has had.
            int gone = 0;
            while (gone < sent
                    && ((permanent && partial == null) || (max != null && g.msgs.getFirst().attempts > max))) {
                finish(takeHead(g), true);
                gone++;
            }
            dropped += gone;
            if (gone > 0 && gone == sent) {
                // The next message goes at once, still alone until one succeeds.
                g.failures = 1;
                list(g);
            } else {
                g.notBefore = System.nanoTime() + retry.delayAfter(g.failures).toNanos();
                g.where = Where.WAITING;
                waiting.add(g);
                if (store.persistent()) {
                    g.persist = true;
                    toPersist.add(g);
                }
            }
        }
        if (tookPart > 0) {
            delivered.addAndGet(tookPart);
            metrics.delivered(spec.name(), tookPart, sinceCommit(d.msgs().getFirst().committedAt));
        }
        metrics.failed(spec.name(), failedHere);
        failedAttempts++;
        if (dropped > 0) {
            discarded.addAndGet(dropped);
            metrics.discarded(spec.name(), dropped);
            log.warn(
                    "sink {}: discarding {} message(s) from {} after their last failed attempt: {}",
                    spec.name(),
                    dropped,
                    d.msgs().getFirst().position,
                    reason);
        }
        long now = System.nanoTime();
        // Many groups fail together when the peer is down: the first failure is logged, then a summary at most
        // every LOG_EVERY, so an outage does not flood the log.
        if (dropped < failedHere && (failedAttempts == 1 || now - lastFailureLog >= LOG_EVERY.toNanos())) {
            log.warn(
                    "sink {}: delivery of {} message(s) failed (attempt {}): {}; {} group(s) waiting, each retried"
                            + " after a back-off ({} failed attempt(s) so far)",
                    spec.name(),
                    failedHere,
                    worst,
                    reason,
                    failing,
                    failedAttempts);
            lastFailureLog = now;
        }
    }

    // Each message of the dispatch by its index in the batch the sink was given.
    private static Map<Msg, Integer> batchIndexes(Dispatch d) {
        Map<Msg, Integer> out = new IdentityHashMap<>(d.msgs().size() * 2);
        for (int i = 0; i < d.msgs().size(); i++) {
            out.put(d.msgs().get(i), i);
        }
        return out;
    }

    private static void closeQuietly(Config c) {
        try {
            c.sink().close();
        } catch (RuntimeException e) {
            log.warn("sink {}: error while closing: {}", c.spec().name(), e.toString());
        }
    }

    // Wall clock against the source's commit clock: skew between the hosts shows up as latency.
    private static long sinceCommit(@Nullable Instant committed) {
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

    /** What {@code c} takes in memory while queued, roughly (its JSON aside). */
    static long sizeOf(Change c) {
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
