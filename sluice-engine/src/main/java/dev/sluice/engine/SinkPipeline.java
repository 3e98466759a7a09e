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
 * <p>Concurrency: the database's reader thread calls {@link #enqueue} and {@link #markCommit}; one
 * virtual thread delivers, one batch at a time, so every message (and so every row's changes) goes
 * out in commit order.
 *
 * <p>Failure: a failed batch is retried unchanged with {@link RetryPolicy} back-off, logging one line
 * per attempt. The queue is bounded in bytes: when full, {@link #enqueue} blocks the reader, which
 * stops reading the slot until there is room (no unbounded memory, no loss).
 */
final class SinkPipeline {
    private static final Logger log = LoggerFactory.getLogger(SinkPipeline.class);
    private static final long ENTRY_OVERHEAD = 96;

    private record Mark(long endLsn) {}

    private final SinkSpec spec;
    private final Sink sink;
    private final RetryPolicy retry;
    private final PipelineMetrics metrics;
    // Used by the delivery thread only.
    private final MessageEncoder encoder;
    private final Map<TableSchema, Boolean> accepts = new IdentityHashMap<>();
    private final Map<TableSchema, int[]> groupIndexes = new IdentityHashMap<>();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private long queuedBytes;
    private boolean inFlight;
    private volatile boolean running;
    // Delivery-thread state: whether the last entry taken was a commit mark / a transaction is open.
    private boolean endedOnMark = true;
    private boolean midTransaction;
    private boolean stopped;
    private volatile long acknowledgedLsn;
    private @Nullable Thread worker;

    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong discarded = new AtomicLong();
    private volatile @Nullable String lastError;

    SinkPipeline(SinkSpec spec, Sink sink, RetryPolicy retry) {
        this(spec, sink, retry, PipelineMetrics.NONE);
    }

    SinkPipeline(SinkSpec spec, Sink sink, RetryPolicy retry, PipelineMetrics metrics) {
        this.spec = spec;
        this.sink = sink;
        this.retry = retry;
        this.metrics = metrics;
        this.encoder = new MessageEncoder(spec.context());
    }

    SinkSpec spec() {
        return spec;
    }

    /** True when {@code change} belongs to this sink. Called by the reader only. */
    boolean accepts(TableSchema table, Action action) {
        if (spec.state() == SinkState.DISABLED || !spec.actions().contains(action)) {
            return false;
        }
        return accepts.computeIfAbsent(table, t -> spec.tables().test(t.id()));
    }

    void start() {
        sink.start(new SinkContext(spec.id(), spec.name()));
        running = true;
        if (spec.state() == SinkState.PAUSED) {
            return; // buffers up to the queue bound and holds its acknowledgement; nothing is delivered
        }
        worker = Thread.ofVirtual().name("sink-" + spec.name()).start(this::deliverLoop);
    }

    /** Adds a change; blocks while the queue is full. */
    void enqueue(Change change) throws InterruptedException {
        long size = sizeOf(change);
        lock.lock();
        try {
            // An oversized change is still accepted into an empty queue, so it can never wedge the reader.
            while (running && queuedBytes > 0 && queuedBytes + size > spec.maxQueueBytes()) {
                notFull.await(100, TimeUnit.MILLISECONDS);
            }
            queue.addLast(change);
            queuedBytes += size;
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
        metrics.ingested(spec.name(), 1);
    }

    /** Records the end of a transaction routed to this sink (possibly with no change for it). */
    void markCommit(long endLsn) {
        lock.lock();
        try {
            if (queue.isEmpty() && !inFlight) {
                acknowledgedLsn = endLsn;
            } else {
                queue.addLast(new Mark(endLsn));
                notEmpty.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Every transaction ending at or before this LSN has been delivered by this sink. */
    long acknowledgedLsn() {
        return acknowledgedLsn;
    }

    boolean idle() {
        lock.lock();
        try {
            return queue.isEmpty() && !inFlight;
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

    /**
     * Stops delivering. Waits up to {@code grace} for the batch in flight; undelivered messages stay
     * unacknowledged in the slot and are delivered after the next start.
     */
    synchronized void stop(Duration grace) {
        if (stopped) {
            return;
        }
        stopped = true;
        running = false;
        lock.lock();
        try {
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
        Thread w = worker;
        if (w != null) {
            try {
                // The batch in flight may finish and be acknowledged; a retry wait is cut short.
                if (!w.join(grace)) {
                    w.interrupt();
                    w.join(Duration.ofSeconds(1));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            sink.close();
        } catch (RuntimeException e) {
            log.warn("sink {}: error while closing: {}", spec.name(), e.toString());
        }
    }

    private void deliverLoop() {
        List<Change> changes = new ArrayList<>(spec.batchSize());
        // On stop, a transaction whose first changes went out is finished (within the grace period):
        // acknowledgement is per transaction, so a half-delivered one would be delivered again in full.
        while (running || midTransaction) {
            long mark;
            try {
                mark = take(changes);
            } catch (InterruptedException e) {
                return;
            }
            if (!changes.isEmpty() && !deliver(changes)) {
                return; // stopped while retrying: nothing acknowledged
            }
            lock.lock();
            try {
                inFlight = false;
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

    /**
     * Takes up to batch_size changes (waiting up to the batch timeout for a partial batch) and the
     * commit marks behind them; returns the last mark taken, or 0.
     */
    private long take(List<Change> out) throws InterruptedException {
        long mark = 0;
        lock.lock();
        try {
            while (queue.isEmpty()) {
                if (!running) {
                    throw new InterruptedException("stopping");
                }
                notEmpty.await();
            }
            // From here until deliverLoop records the outcome, changes taken off the queue are neither
            // queued nor delivered: markCommit must queue its mark behind them, not acknowledge it.
            inFlight = true;
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
                    notEmpty.awaitNanos(left);
                    continue;
                }
                if (head instanceof Mark m) {
                    queue.pollFirst();
                    mark = m.endLsn();
                    endedOnMark = true;
                } else if (out.size() < spec.batchSize()) {
                    endedOnMark = false;
                    Change c = (Change) queue.pollFirst();
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

    /** Delivers until success or discard; false only when stopped first. */
    private boolean deliver(List<Change> changes) {
        List<SinkMessage> messages = new ArrayList<>(changes.size());
        for (Change c : changes) {
            String key = c.position().idempotencyKey();
            messages.add(new SinkMessage(c, encoder.encode(c, key), groupId(c), key));
        }
        Batch batch = new Batch(messages);
        int failures = 0;
        while (true) {
            try {
                sink.deliver(batch).toCompletableFuture().get();
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
                if (!running) {
                    return false; // stopping: the batch stays unacknowledged and is delivered after restart
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
                    while (running && System.nanoTime() < until) {
                        Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
                    }
                    if (!running) {
                        return false;
                    }
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    // Wall clock against the source's commit clock: skew between the hosts shows up as latency.
    private static long sinceCommit(Change oldest) {
        Instant committed = oldest.commitTimestamp();
        return committed == null
                ? 0
                : Math.max(0, Duration.between(committed, Instant.now()).toNanos());
    }

    private @Nullable String groupId(Change c) {
        if (!spec.messageGrouping()) {
            return null;
        }
        int[] idx = groupIndexes.computeIfAbsent(c.table(), this::groupColumnIndexes);
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

    private int[] groupColumnIndexes(TableSchema t) {
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
