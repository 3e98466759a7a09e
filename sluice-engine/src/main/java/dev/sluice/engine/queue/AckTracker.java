package dev.sluice.engine.queue;

import dev.sluice.core.Position;
import dev.sluice.engine.DeliveryLedger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Transaction accounting for one sink: which position of the slot the sink has acknowledged.
 *
 * <p>State: every transaction routed to the sink, in slot order, with the count of its messages not yet resolved
 * (delivered, discarded, or durably stored). The sink has acknowledged the end LSN of the last transaction such that
 * it and every earlier one have none left; a commit mark with no message for this sink is acknowledged as soon as
 * everything before it is. After a restart, the ledger's progress says what the sink had resolved: the slot's
 * replay of those positions is skipped ({@link #alreadyResolved}).
 *
 * <p>Concurrency: guarded by the queue's lock, except {@link #acknowledgedLsn()} and {@link #positioned()}, which are
 * read without it.
 *
 * <p>Failure: none of its own; a message is resolved at most once ({@link Msg#resolved}).
 */
final class AckTracker {
    /** The most resolved positions of unacknowledged transactions that {@link #progress()} reports. */
    static final int MAX_SAVED = 65_536;

    /** A transaction's share of this sink's messages. */
    static final class Txn {
        long endLsn;
        boolean ended;
        int outstanding;
        // Its commit LSN and the commit indexes of its resolved messages, for the ledger until the whole transaction
        // is acknowledged: a bit per change, not an object (a transaction may hold millions).
        long commitLsn;
        final BitSet done = new BitSet();
        // Commit time of the source transaction, for the sink's lag.
        final @Nullable Instant committedAt;
        // Some of its messages went out: the final stop tries to finish it.
        boolean started;

        Txn(@Nullable Instant committedAt) {
            this.committedAt = committedAt;
        }
    }

    private final ArrayDeque<Txn> txns = new ArrayDeque<>();
    private @Nullable Txn open;
    private long progressVersion;
    // What the ledger said at start: replayed changes before or in these are not delivered again.
    private long skipBefore;
    private Set<Position> skipped = Set.of();

    private volatile long acknowledgedLsn;
    private volatile boolean positioned;

    /** The open transaction, begun by this change of the slot if none is; its outstanding count includes it. */
    Txn join(Instant committedAt) {
        Txn t = open;
        if (t == null) {
            t = new Txn(committedAt);
            open = t;
            txns.addLast(t);
        }
        t.outstanding++;
        return t;
    }

    /** Whether a transaction is being read (changes came, its commit mark not yet). */
    boolean inTransaction() {
        return open != null;
    }

    /**
     * Records the end of a transaction routed to this sink (possibly with no change for it). Returns whether a
     * transaction with messages ended (a partial batch need not wait for more of it).
     */
    boolean markCommit(long endLsn) {
        Txn t = open;
        if (t != null) {
            open = null;
            t.endLsn = endLsn;
            t.ended = true;
            advance();
            return true;
        }
        if (txns.isEmpty()) {
            raise(endLsn);
        } else {
            Txn empty = new Txn(null);
            empty.endLsn = endLsn;
            empty.ended = true;
            txns.addLast(empty);
        }
        return false;
    }

    /** Where a sink added while streaming starts: transactions ending at or before {@code endLsn} are not its. */
    void positionAt(long endLsn) {
        raise(endLsn);
        positioned = true;
    }

    boolean positioned() {
        return positioned;
    }

    /** Before the first change: what the sink had resolved before a restart. */
    void restore(DeliveryLedger.Progress progress) {
        skipBefore = progress.acknowledgedLsn();
        skipped = progress.resolvedAfter().isEmpty() ? Set.of() : new HashSet<>(progress.resolvedAfter());
        raise(progress.acknowledgedLsn());
    }

    /** A message restored from the store: the slot's replay of it is skipped. */
    void skipReplayOf(Position p) {
        if (skipBefore == 0 || Long.compareUnsigned(p.commitLsn(), skipBefore) >= 0) {
            if (!(skipped instanceof HashSet<Position>)) {
                skipped = new HashSet<>(skipped);
            }
            skipped.add(p);
        }
    }

    /** A transaction whose commit starts before an acknowledged end LSN ends at or before it. */
    boolean alreadyResolved(Position p) {
        if (skipBefore != 0 && Long.compareUnsigned(p.commitLsn(), skipBefore) < 0) {
            return true;
        }
        return !skipped.isEmpty() && skipped.contains(p);
    }

    /** Counts a message as handled (once): delivered, discarded or stored. */
    void resolve(Msg m) {
        if (m.resolved) {
            return;
        }
        m.resolved = true;
        Txn t = m.txn;
        if (t != null) {
            t.outstanding--;
            t.commitLsn = m.position.commitLsn();
            t.done.set(m.position.commitIdx());
        }
        if (m.onResolved != null) {
            m.onResolved.run();
        }
        progressVersion++;
    }

    /** Acknowledges every leading transaction that has ended with nothing outstanding. */
    void advance() {
        Txn head;
        while ((head = txns.peekFirst()) != null && head.ended && head.outstanding == 0) {
            txns.pollFirst();
            raise(head.endLsn);
        }
    }

    private void raise(long lsn) {
        if (Long.compareUnsigned(lsn, acknowledgedLsn) > 0) {
            acknowledgedLsn = lsn;
            progressVersion++;
        }
    }

    /** Every transaction ending at or before this LSN has been resolved by this sink. Any thread. */
    long acknowledgedLsn() {
        return acknowledgedLsn;
    }

    /** Changes whenever {@link #progress()} would. */
    long progressVersion() {
        return progressVersion;
    }

    /**
     * What the sink has resolved so far, for the ledger: of the transactions not yet acknowledged, at most {@link
     * #MAX_SAVED} resolved positions (a restart delivers again, with the same idempotency keys, what a larger
     * transaction had delivered beyond them: a duplicate, never a loss, instead of a ledger row of megabytes written
     * again and again).
     */
    DeliveryLedger.Progress progress() {
        List<Position> after = new ArrayList<>();
        for (Txn t : txns) {
            BitSet done = t.done;
            for (int i = done.nextSetBit(0); i >= 0 && after.size() < MAX_SAVED; i = done.nextSetBit(i + 1)) {
                after.add(new Position(t.commitLsn, i));
            }
        }
        // Replayed positions skipped but not yet acknowledged still count as resolved.
        for (Position p : skipped) {
            if (after.size() >= MAX_SAVED) {
                break;
            }
            if (Long.compareUnsigned(p.commitLsn(), acknowledgedLsn) >= 0) {
                after.add(p);
            }
        }
        return new DeliveryLedger.Progress(acknowledgedLsn, after);
    }

    /** From the commit of the oldest transaction not fully resolved until {@code now}; zero when caught up. */
    Duration lag(Instant now) {
        for (Txn t : txns) {
            if (t.outstanding > 0 && t.committedAt != null) {
                Duration d = Duration.between(t.committedAt, now);
                return d.isNegative() ? Duration.ZERO : d;
            }
        }
        return Duration.ZERO;
    }
}
