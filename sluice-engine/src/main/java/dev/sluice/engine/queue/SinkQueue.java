package dev.sluice.engine.queue;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.MessageContext;
import dev.sluice.core.Position;
import dev.sluice.core.TableSchema;
import dev.sluice.core.Ticker;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.engine.DeliveryLedger;
import dev.sluice.engine.LoadShedding;
import dev.sluice.engine.MessageStore;
import dev.sluice.engine.PipelineMetrics;
import dev.sluice.engine.SinkSpec;
import dev.sluice.engine.SinkState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One sink's buffer and deliveries: ordered per group, parallel across groups. Engine-internal: public only for the
 * engine's other packages (the database pipeline and backfills).
 *
 * <p>Parts, each with its own state and rules: {@link GroupQueue} (per-group FIFOs), {@link AckTracker} (what the
 * sink has acknowledged), {@link Batcher} (what goes into the next batch), {@link Outcomes} (successes, failures,
 * retries, outage probes), {@link Backlog}, {@link Spill} and {@link Reload} (the store: failing groups, and a backlog
 * beyond memory), {@link Fences} (truncates, ordered against every change of their tables), {@link Dispatcher} (the
 * delivery thread), {@link Delivery} (functions, requests). This class is their facade: lifecycle, status. It sits
 * at about 500 lines because every entry point of the engine passes through it; its rules live in the parts.
 *
 * <p>Concurrency: the database's reader thread calls {@link #accepts}, {@link #enqueue}, {@link #markCommit} and
 * {@link #positionAt}; a backfill's thread {@link #enqueueReads}. The control methods ({@link #start}, {@link
 * #pause}, {@link #resume}, {@link #reconfigure}, {@link #stop}, {@link #remove}) are called from any thread and
 * serialise on this object. All queue state is guarded by one lock ({@link QueueLock}).
 *
 * <p>Pause and reconfiguration stop the dispatcher and wait up to a grace period for the batches in delivery; a batch
 * still out after that is abandoned and delivered again later (at-least-once, same idempotency keys). A
 * reconfiguration regroups every buffered message with the new spec, in slot order.
 *
 * <p>Memory: buffered messages are bounded in bytes ({@code maxQueueBytes}). When full, stored messages are spilled
 * and, within the sink's spill budget, more of its backlog is moved to the store (see {@link Admission}); only when
 * that cannot be done does {@link #enqueue} block the reader ({@link LoadShedding#PAUSE_ON_FULL}) or drop the new
 * message and count it ({@link LoadShedding#DISCARD_ON_FULL}).
 */
public final class SinkQueue {
    private static final Logger log = LoggerFactory.getLogger(SinkQueue.class);

    /** A backfill's read for {@link #enqueueReads}: row, idempotency key, JSON under some context, {@link #sizeOf}. */
    public record Read(Change change, String key, byte[] json, long rowSize) {}

    private final RecentMessages recent = new RecentMessages();
    private final PipelineMetrics metrics;
    private final Ticker ticker;
    private final @Nullable SourceRows source;
    private volatile QueueConfig config;
    private final QueueLock lock;
    private final GroupQueue q = new GroupQueue();
    private final AckTracker ack = new AckTracker();
    private final Fences fences = new Fences(q);
    private final Batcher batcher = new Batcher(fences);
    private final Backlog backlog;
    private final Spill spill;
    private final Outcomes outcomes;
    private final Dispatcher dispatcher;
    private final Admission admission;

    // Written holding this; paused and closed are read without it.
    private boolean started;
    private boolean sinkStarted;
    private volatile boolean paused;
    private volatile boolean closed;

    /**
     * @param metrics told about every message ingested, delivered, failed, discarded and shed
     * @param store where failing groups' messages are kept ({@link MessageStore#NONE}: in memory only)
     * @param ticker the clock for batch timeouts, back-off and probes
     * @param source where {@link SinkSpec#reselectUnchangedToast()} reads rows from; null: no source to read
     */
    public SinkQueue(
            SinkSpec spec,
            Sink sink,
            PipelineMetrics metrics,
            MessageStore store,
            Ticker ticker,
            @Nullable SourceRows source) {
        this.metrics = metrics;
        this.ticker = ticker;
        this.source = source;
        this.config = new QueueConfig(spec, sink, source);
        this.lock = new QueueLock(ticker);
        this.backlog = new Backlog(store, q, ack, fences, lock, ticker, metrics, () -> config);
        this.spill = new Spill(store, q, ack, backlog, lock, ticker);
        this.outcomes = new Outcomes(q, ack, backlog, fences, metrics, ticker, spec.retry());
        Reload reload = new Reload(store, q, spill, backlog, fences, lock, ticker);
        this.dispatcher =
                new Dispatcher(lock, q, ack, batcher, outcomes, backlog, fences, reload, metrics, ticker, recent);
        this.admission = new Admission(lock, q, ack, backlog, spill, outcomes, fences, metrics, ticker, () -> config);
    }

    public SinkSpec spec() {
        return config.spec();
    }

    public Sink sink() {
        return config.sink();
    }

    /** The spec's state, or PAUSED while {@link #pause paused}. */
    public SinkState state() {
        SinkState s = config.spec().state();
        return s == SinkState.ACTIVE && paused ? SinkState.PAUSED : s;
    }

    /** True when a change of this table and action belongs to this sink. Called by the reader only. */
    public boolean accepts(TableSchema table, Action action) {
        return config.accepts(table, action);
    }

    public synchronized void start() {
        if (started || closed) {
            return;
        }
        QueueConfig c = config;
        c.sink().start(context(c.spec()));
        started = true;
        sinkStarted = true;
        // A paused sink buffers up to its bound and holds its acknowledgement; nothing is delivered.
        paused = c.spec().state() == SinkState.PAUSED;
        if (!paused) {
            dispatcher.start(c);
        }
    }

    private SinkContext context(SinkSpec spec) {
        return new SinkContext(spec.id(), spec.name(), spec.batchSize(), ticker);
    }

    /**
     * Stops delivering and keeps every buffered message. Waits up to {@code grace} for the batches in delivery; those
     * still out are delivered again after {@link #resume}.
     */
    public synchronized void pause(Duration grace) {
        if (!started || closed) {
            return;
        }
        paused = true;
        dispatcher.stop(grace, false);
    }

    /** Delivers again after {@link #pause}; no-op unless paused. */
    public synchronized void resume() {
        if (!started || closed || !paused) {
            return;
        }
        paused = false;
        dispatcher.start(config);
    }

    /**
     * Replaces spec and sink, keeping the buffered messages (regrouped by the new spec) and the acknowledged position:
     * stops delivering (see {@link #pause}), closes the old sink unless {@code sink} is the same instance, starts the
     * new one and delivers again unless the new state is PAUSED. Before {@link #start} it only swaps them. If the new
     * sink's start throws, the queue stays paused, keeping its messages, and the error propagates.
     *
     * @throws IllegalArgumentException if the id differs or the new state is DISABLED (remove instead)
     */
    public synchronized void reconfigure(SinkSpec spec, Sink sink, Duration grace) {
        QueueConfig old = config;
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
        QueueConfig next = new QueueConfig(spec, sink, source);
        if (started) {
            dispatcher.stop(grace, false);
            paused = true;
        }
        lock.lock.lock();
        try {
            config = next;
            if (!spec.retry().equals(old.spec().retry())) {
                outcomes.retry(spec.retry());
            }
            regroup(next);
        } finally {
            lock.lock.unlock();
        }
        if (sink != old.sink()) {
            old.closeQuietly();
            sinkStarted = false;
        }
        if (!started) {
            return;
        }
        if (!sinkStarted) {
            // If this throws, the sink stays paused with its messages until the next reconfiguration.
            sink.start(context(spec));
            sinkStarted = true;
        }
        if (spec.state() == SinkState.ACTIVE) {
            paused = false;
            dispatcher.start(next);
        }
        log.info("sink {}: reconfigured ({})", spec.name(), spec.state());
    }

    /**
     * Holding the lock, nothing in delivery: rebuilds every group with {@code c}'s grouping, in slot order. A spilled
     * group is kept as it is (its stored messages keep the group id they were stored with); the other messages join
     * it behind its own.
     */
    private void regroup(QueueConfig c) {
        List<GroupQueue.Group> kept = new ArrayList<>();
        List<Msg> all = q.clear(kept);
        outcomes.regrouped(kept);
        backlog.regrouped(kept);
        long now = ticker.nanos();
        for (GroupQueue.Group g : kept) {
            q.list(g, now);
        }
        for (Msg m : all) {
            Msg regrouped = new Msg(m, m.change == null ? m.groupId : c.groupId(m.change));
            backlog.joined(q.add(regrouped, c.key(regrouped), now), regrouped);
        }
        fences.regrouped();
    }

    /**
     * Final stop on shutdown. Waits up to {@code grace} for the batches in delivery and for the rest of the
     * transactions already partly delivered; undelivered messages stay unacknowledged in the slot and are delivered
     * after the next start.
     */
    public synchronized void stop(Duration grace) {
        shutDown(grace, true);
    }

    /**
     * Final stop when the sink is removed: delivers nothing more once the batches in delivery are done (or abandoned
     * after {@code grace}), then closes the sink.
     */
    public synchronized void remove(Duration grace) {
        shutDown(grace, false);
    }

    private void shutDown(Duration grace, boolean finishTransactions) {
        if (closed) {
            return;
        }
        closed = true;
        admission.close();
        dispatcher.stop(grace, finishTransactions);
        backlog.flush(config);
        config.closeQuietly();
    }

    /** Adds a change to its group; on a full buffer, blocks until there is room, or drops it when shedding load. */
    public void enqueue(Change change) throws InterruptedException {
        enqueue(change, () -> {});
    }

    /**
     * As {@link #enqueue(Change)}; while blocked on a full buffer, runs {@code whileWaiting} about once a second (the
     * reader answers the server there, so that a long wait does not end its replication connection). Returns whether
     * the sink took it: false when stopped, when it precedes what this sink had already resolved, or when it was shed
     * on a full buffer.
     */
    public boolean enqueue(Change change, Runnable whileWaiting) throws InterruptedException {
        if (change.action() == Action.TRUNCATE) {
            return enqueueTruncate(List.of(change));
        }
        return admission.enqueue(change, whileWaiting);
    }

    /**
     * Adds one TRUNCATE statement's truncates of tables this sink takes, ordered against every change of their tables
     * ({@link Fences}). Never waits for room nor shed: a replica that missed one would keep rows the source has not.
     * Returns whether it took any (not when stopped, nor what it had resolved before a restart). Reader only.
     */
    public boolean enqueueTruncate(List<Change> truncates) {
        return admission.enqueueTruncate(truncates);
    }

    /** The context messages are encoded with now: reads encoded under it before {@link #enqueueReads} need no more. */
    public MessageContext context() {
        return config.spec().context();
    }

    /**
     * Adds a backfill's reads, in order, outside any transaction (they do not hold the slot: the backfill resumes from
     * its own cursor). Their JSON was encoded under {@code encodedWith}; the sink encodes them again only if its
     * context differs by then. Returns how many were taken (the rest: stopped, shed on a full buffer, or left when
     * {@code givenUp} says so while waiting for room); {@code onResolved} runs once for each taken read.
     */
    public int enqueueReads(
            List<Read> reads,
            MessageContext encodedWith,
            Runnable onResolved,
            Runnable whileWaiting,
            BooleanSupplier givenUp)
            throws InterruptedException {
        return admission.enqueueReads(reads, encodedWith, onResolved, whileWaiting, givenUp);
    }

    /** Records the end of a transaction routed to this sink (possibly with no change for it). */
    public void markCommit(long endLsn) {
        lock.lock.lock();
        try {
            if (ack.markCommit(endLsn)) {
                lock.wake.signal(); // a partial batch need not wait for more of this transaction
            }
        } finally {
            lock.lock.unlock();
        }
    }

    /**
     * Sets where a sink added while streaming starts: transactions ending at or before {@code endLsn} were routed
     * before it existed, so it has nothing to deliver for them. Called by the reader once.
     */
    public void positionAt(long endLsn) {
        under(() -> ack.positionAt(endLsn));
    }

    public boolean positioned() {
        return ack.positioned();
    }

    /** Before the first change: skips, in the replay after a restart, what the sink had resolved before it. */
    public void restore(DeliveryLedger.Progress progress) {
        under(() -> ack.restore(progress));
    }

    /**
     * Before {@link #start}: puts back the messages the store holds for this sink (failing groups of an earlier run),
     * ahead of anything the slot sends; the slot's replay of them is skipped.
     */
    void restoreStored(List<MessageStore.Stored> stored) {
        under(() -> spill.restore(stored, config, outcomes));
    }

    /**
     * Before {@link #start}: puts back every message the store holds for this sink, as {@link #restoreStored(List)}.
     *
     * @throws IllegalStateException when the store cannot be read: not delivering them now is safer than delivering
     *     them out of order later
     */
    public void restoreStored() {
        try {
            spill.restoreAll(config, outcomes);
        } catch (Exception e) {
            throw new IllegalStateException(
                    "cannot read the stored messages of sink " + config.spec().name() + ": " + e.getMessage(), e);
        }
    }

    /** Up to {@code n} of the messages sent out last (at most {@value RecentMessages#CAPACITY}), oldest first. */
    public List<byte[]> recentMessages(int n) {
        return recent.latest(n);
    }

    /**
     * Retries failing groups now instead of after their back-off: every failing group, or the one whose failed
     * message is at {@code position}. Returns how many groups it woke.
     */
    public int redeliver(@Nullable Position position) {
        return locked(() -> {
            int n = outcomes.redeliver(position);
            lock.wake.signal();
            return n;
        });
    }

    /**
     * Gives up on failed messages: the one at {@code position}, or every failed message, when its group is not in
     * delivery. Their groups go on with the next message. Returns how many were discarded.
     */
    public int discard(@Nullable Position position) {
        String name = config.spec().name();
        int n = locked(() -> {
            int d = outcomes.discard(position);
            if (d > 0) {
                ack.advance();
                lock.notFull.signalAll();
                lock.wake.signal();
            }
            return d;
        });
        if (n > 0) {
            metrics.discarded(name, n);
            log.warn("sink {}: {} failed message(s) discarded on request", name, n);
        }
        return n;
    }

    /** Changes whenever {@link #progress()} would. */
    public long progressVersion() {
        return locked(ack::progressVersion);
    }

    /** What the sink has resolved so far, for the ledger. */
    public DeliveryLedger.Progress progress() {
        return locked(ack::progress);
    }

    /** Every transaction ending at or before this LSN has been delivered (or discarded) by this sink. */
    public long acknowledgedLsn() {
        return ack.acknowledgedLsn();
    }

    public boolean idle() {
        return locked(() -> q.held() == 0);
    }

    public long deliveredCount() {
        return outcomes.deliveredCount();
    }

    public long discardedCount() {
        return outcomes.discardedCount();
    }

    /** Messages delivered in the last 60 seconds. */
    public long deliveredLastMinute() {
        return outcomes.rate().lastMinute(ticker.nanos());
    }

    /** When the sink last delivered a message; null when it has not since it started. */
    public @Nullable Instant lastDeliveredAt() {
        return outcomes.rate().lastDeliveredAt();
    }

    /** Messages dropped because the buffer was full ({@link LoadShedding#DISCARD_ON_FULL}). */
    public long shedCount() {
        return admission.shedCount();
    }

    /** Bytes of the messages buffered in memory (those kept in the store only do not count). */
    public long bufferedBytes() {
        return locked(q::heldBytes);
    }

    /** Messages kept in the store only (memory ran short), and the bytes of all of the sink's rows there (JSON). */
    public record StoreUse(long spilledMessages, long storedBytes) {}

    public StoreUse storeUse() {
        return locked(() -> new StoreUse(spill.spilled(), backlog.storedBytes()));
    }

    /** Messages not yet delivered or discarded, including those kept in the store only. */
    public int queuedMessages() {
        return locked(q::held);
    }

    /** When the oldest message still failing first failed; null when none is failing. */
    public @Nullable Instant oldestFailure() {
        return locked(outcomes::oldestFailure);
    }

    /** From the commit of the oldest transaction the sink has not fully resolved until now; zero when caught up. */
    public Duration lag() {
        return locked(() -> ack.lag(ticker.now()));
    }

    /** Groups whose last delivery failed: waiting for a retry, or being retried. */
    public int failingGroups() {
        return locked(outcomes::failing);
    }

    public @Nullable String lastError() {
        return outcomes.lastError();
    }

    /** How many times the dispatcher has looked for work: a test waits for it to move before asserting a non-event. */
    long dispatcherLooks() {
        return locked(dispatcher::looks);
    }

    private void under(Runnable change) {
        lock.lock.lock();
        try {
            change.run();
        } finally {
            lock.lock.unlock();
        }
    }

    private <T> T locked(Supplier<T> read) {
        lock.lock.lock();
        try {
            return read.get();
        } finally {
            lock.lock.unlock();
        }
    }

    /** What {@code c} takes in memory while queued, roughly (its JSON aside). */
    public static long sizeOf(Change c) {
        return Msg.sizeOf(c);
    }
}
