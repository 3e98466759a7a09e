package dev.sluice.engine.queue;

import dev.sluice.core.Position;
import dev.sluice.core.Ticker;
import dev.sluice.core.sink.SinkException;
import dev.sluice.engine.MessageStore;
import dev.sluice.engine.PipelineMetrics;
import dev.sluice.engine.RetryPolicy;
import dev.sluice.engine.SinkSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies what became of each batch, and paces deliveries while the peer is down.
 *
 * <p>State: per group, its consecutive failures and back-off ({@link GroupQueue.Group#failures},
 * {@link GroupQueue.Group#notBefore}); for the sink, the groups failing, the last error, the delivered and discarded
 * counts, and the outage streak: consecutive failed batches across groups.
 *
 * <p>Rules: a delivered batch's messages are finished and their groups listed again. A failed batch's messages get an
 * attempt counted; their groups wait for their back-off ({@link RetryPolicy#delayAfter}) and, with a persistent
 * store, have their messages stored so that they stop holding the slot. A message past {@code max_retry_count}
 * attempts, or rejected for good, is discarded and its group goes on with the next one (alone until one succeeds). A
 * partial failure finishes each group's messages up to its first one to retry. After {@value #OUTAGE_STREAK} failed
 * batches in a row the peer is taken for down: one probe batch at a time, at the back-off of the failed probes (up
 * to {@link #MAX_PROBE_INTERVAL}), instead of every failing group retrying on its own.
 *
 * <p>Concurrency: guarded by the queue's lock; the counts and the last error are also read without it.
 *
 * <p>Failure: a sink's exception is classified once here, by type ({@link SinkException#retriable()},
 * {@link SinkException#isPartial()}); anything else is retriable.
 */
final class Outcomes {
    private static final Logger log = LoggerFactory.getLogger(Outcomes.class);
    static final int OUTAGE_STREAK = 8;
    static final Duration MAX_PROBE_INTERVAL = Duration.ofSeconds(30);
    private static final Duration LOG_EVERY = Duration.ofSeconds(10);

    private final GroupQueue q;
    private final AckTracker ack;
    private final Backlog backlog;
    private final Fences fences;
    private final PipelineMetrics metrics;
    private final Ticker ticker;
    private RetryPolicy retry;
    private int streak;
    private long probeAt;
    // Failed probes of the current outage: the wait between probes grows with these only, not with the batches that
    // were in flight together when the peer went down.
    private int failedProbes;
    private int failing;
    // When a batch last succeeded (at first: when the queue was made, so that a new sink is given the same time).
    private long lastSuccess;
    // Failed delivery attempts since every group last succeeded, and when that streak was last logged.
    private long failedAttempts;
    private long lastFailureLog;
    private volatile @Nullable String lastError;
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong discarded = new AtomicLong();
    private final DeliveryRate rate = new DeliveryRate();

    Outcomes(
            GroupQueue q,
            AckTracker ack,
            Backlog backlog,
            Fences fences,
            PipelineMetrics metrics,
            Ticker ticker,
            RetryPolicy retry) {
        this.lastSuccess = ticker.nanos();
        this.q = q;
        this.ack = ack;
        this.backlog = backlog;
        this.fences = fences;
        this.metrics = metrics;
        this.ticker = ticker;
        this.retry = retry;
    }

    void retry(RetryPolicy retry) {
        this.retry = retry;
    }

    /** Whether the peer looks down: every recent batch failed, whatever its rows. */
    boolean outage() {
        return streak >= OUTAGE_STREAK;
    }

    /** How long without a successful batch a sink with work is taken for stuck rather than slow. */
    static final Duration STUCK_AFTER = Duration.ofSeconds(2);

    /**
     * Whether the sink is slower than the reader rather than stuck: no group is failing, the peer is not taken for
     * down, and a batch succeeded within {@link #STUCK_AFTER}. A full buffer then holds the reader (backpressure)
     * instead of moving the backlog to the store, which would cost a store round trip per message and a memory entry
     * per stored row to no purpose (a bulk load of millions of new rows would fill the heap with those entries).
     */
    boolean keepingUp(long now) {
        return failing == 0 && !outage() && now - lastSuccess < STUCK_AFTER.toNanos();
    }

    /** How many batches may be in delivery now: one probe when due during an outage, else {@code maxInFlight}. */
    int limit(SinkSpec spec, long now) {
        return outage() ? (now - probeAt >= 0 ? 1 : 0) : spec.maxInFlight();
    }

    /** When the next probe may go during an outage. */
    long probeAt() {
        return probeAt;
    }

    /** A batch was delivered: its messages are done, its groups go on. */
    void succeeded(SinkSpec spec, Batcher.Dispatch d) {
        streak = 0;
        lastSuccess = ticker.nanos();
        failedProbes = 0;
        for (GroupQueue.Group g : d.groups()) {
            for (int i = 0; i < g.inFlight; i++) {
                finish(g, GroupQueue.takeHead(g), false);
            }
            g.inFlight = 0;
            recovered(g);
            g.persist = false; // what is stored stays stored; what joins now need not be
            list(g);
        }
        delivered.addAndGet(d.msgs().size());
        rate.add(ticker.nanos(), ticker.now(), d.msgs().size());
        if (failing == 0) {
            lastError = null;
            if (failedAttempts > 0) {
                log.info("sink {}: delivery recovered after {} failed attempts", spec.name(), failedAttempts);
                failedAttempts = 0;
            }
        }
    }

    /** A batch failed, wholly or in part (see the class notes). */
    void failed(SinkSpec spec, Batcher.Dispatch d, Throwable error) {
        long now = ticker.nanos();
        if (++streak >= OUTAGE_STREAK) {
            if (d.probe()) {
                failedProbes++;
            }
            Duration pause = retry.delayAfter(failedProbes + 1);
            probeAt = now + Math.min(pause.toNanos(), MAX_PROBE_INTERVAL.toNanos());
        }
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
        long tookPartBytes = 0;
        int failedHere = 0;
        Instant at = ticker.now();
        for (GroupQueue.Group g : d.groups()) {
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
                    Msg m = GroupQueue.takeHead(g);
                    if (rejected) {
                        m.failed(reason, at);
                        failedHere++;
                        dropped++;
                    } else {
                        tookPart++;
                        tookPartBytes += m.sentBytes;
                    }
                    finish(g, m, rejected);
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
                it.next().failed(reason, at);
            }
            // Messages out of attempts are at the head: the older a message, the more attempts it has had.
            int gone = 0;
            while (gone < sent
                    && ((permanent && partial == null) || (max != null && g.msgs.getFirst().attempts > max))) {
                finish(g, GroupQueue.takeHead(g), true);
                gone++;
            }
            dropped += gone;
            if (gone > 0 && gone == sent) {
                // The next message goes at once, still alone until one succeeds.
                g.failures = 1;
                list(g);
            } else {
                q.await(g, now + retry.delayAfter(g.failures).toNanos());
                backlog.persist(g);
            }
        }
        if (tookPart > 0) {
            delivered.addAndGet(tookPart);
            rate.add(ticker.nanos(), ticker.now(), tookPart);
            metrics.delivered(spec.name(), tookPart, sinceCommit(d.msgs().getFirst().committedAt));
            metrics.deliveredBytes(spec.name(), tookPartBytes);
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

    /**
     * Retries failing groups now instead of after their back-off: every one, or the one whose failed message is at
     * {@code position}; the peer is probed now even if it looked down. Returns how many groups it woke.
     */
    int redeliver(@Nullable Position position) {
        probeAt = ticker.nanos();
        int n = 0;
        for (GroupQueue.Group g : List.copyOf(q.waiting())) {
            if (position == null || failedAt(g, position)) {
                q.unlist(g, 0);
                list(g);
                n++;
            }
        }
        return n;
    }

    /**
     * Gives up on failed messages: the one at {@code position}, or every failed message, when its group is not in
     * delivery. Their groups go on with the next message. Returns how many were discarded; the caller logs and
     * reports them.
     */
    int discard(@Nullable Position position) {
        int n = 0;
        for (GroupQueue.Group g : List.copyOf(q.groups())) {
            if (g.inFlight > 0 || g.failures == 0) {
                continue;
            }
            int before = n;
            while (g.available() > 0
                    && g.msgs.getFirst().attempts > 0
                    && (position == null || g.msgs.getFirst().position.equals(position))) {
                finish(g, GroupQueue.takeHead(g), true);
                n++;
            }
            if (n > before) {
                q.unlist(g, n - before);
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
        }
        return n;
    }

    // Whether the failed message of a waiting group is at p: its head, or the first of its spilled messages.
    private static boolean failedAt(GroupQueue.Group g, Position p) {
        if (g.available() > 0) {
            return g.msgs.getFirst().position.equals(p);
        }
        return g.spillAfter != null
                && g.spillTo != null
                && p.compareTo(g.spillAfter) > 0
                && p.compareTo(g.spillTo) <= 0;
    }

    /** A message restored from the store whose group failed before the restart: it resumes its back-off. */
    void restoredFailure(GroupQueue.Group g, MessageStore.Stored st) {
        if (st.deliverCount() == 0 || g.failures != 0) {
            return;
        }
        g.failures = st.deliverCount();
        failing++;
        lastError = st.lastError();
        Instant next = st.nextAttemptAt();
        Instant wall = ticker.now();
        if (next != null && next.isAfter(wall) && g.where == GroupQueue.Where.READY) {
            q.unlist(g, 0);
            q.await(g, ticker.nanos() + Duration.between(wall, next).toNanos());
        }
    }

    /** After a regroup: only the kept (spilled) groups still count as failing. */
    void regrouped(List<GroupQueue.Group> kept) {
        failing = 0;
        for (GroupQueue.Group g : kept) {
            if (g.failures > 0) {
                failing++;
            }
        }
    }

    /**
     * {@code m}, just taken from the head of {@code g}, was delivered or discarded: resolved, out of memory, out of the
     * store (or recorded there as discarded), and past the truncates that waited for it.
     */
    private void finish(GroupQueue.Group g, Msg m, boolean discard) {
        ack.resolve(m);
        m.finished = true;
        q.release(m);
        backlog.finished(m, discard);
        if (fences.active()) {
            fences.finished(g, m);
        }
    }

    private void recovered(GroupQueue.Group g) {
        if (g.failures > 0) {
            g.failures = 0;
            failing--;
        }
    }

    // The caller signals the dispatcher, which also loads a group that became loading.
    private void list(GroupQueue.Group g) {
        q.list(g, ticker.nanos());
    }

    /** When the oldest message still failing first failed; null when none is failing. */
    @Nullable
    Instant oldestFailure() {
        if (failing == 0) {
            return null;
        }
        Instant oldest = null;
        for (GroupQueue.Group g : q.groups()) {
            if (g.failures > 0 && g.available() > 0) {
                Msg head = g.msgs.getFirst();
                Instant at = head.firstFailedAt != null ? head.firstFailedAt : head.lastAttemptAt;
                if (at != null && (oldest == null || at.isBefore(oldest))) {
                    oldest = at;
                }
            }
        }
        return oldest;
    }

    int failing() {
        return failing;
    }

    @Nullable
    String lastError() {
        return lastError;
    }

    long deliveredCount() {
        return delivered.get();
    }

    DeliveryRate rate() {
        return rate;
    }

    long discardedCount() {
        return discarded.get();
    }

    /** Wall clock against the source's commit clock: skew between the hosts shows up as latency. */
    long sinceCommit(@Nullable Instant committed) {
        return committed == null
                ? 0
                : Math.max(0, Duration.between(committed, ticker.now()).toNanos());
    }

    // Each message of the dispatch by its index in the batch the sink was given.
    private static Map<Msg, Integer> batchIndexes(Batcher.Dispatch d) {
        Map<Msg, Integer> out = new IdentityHashMap<>(d.msgs().size() * 2);
        for (int i = 0; i < d.msgs().size(); i++) {
            out.put(d.msgs().get(i), i);
        }
        return out;
    }
}
