package dev.sluice.engine.queue;

import dev.sluice.core.Position;
import dev.sluice.core.Ticker;
import dev.sluice.engine.MessageStore;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory for stored messages: when the buffer is full, stored messages are dropped from memory and stay in the store
 * only ({@link GroupQueue.Group#spilled}), until {@link Reload} loads them back in order when their group needs them;
 * when that is not enough, the backlog is marked for the {@link Backlog} to store, so that a sink whose peer is down
 * moves its backlog to the store instead of stopping the slot. After a restart, the store's messages are put back in
 * memory as far as the bound allows, the rest as spilled. With {@link Backlog} and {@link Reload}, the only code that
 * calls the {@link MessageStore}.
 *
 * <p>Order: a group's spilled messages, positions in ({@code spillAfter}, {@code spillTo}], come after its first
 * {@code aCount} messages in memory and before the rest; a group whose messages in memory ahead of them are gone is
 * <em>loading</em>, and is not ready until some are back.
 *
 * <p>Which to drop: waiting groups' messages behind their failed ones first, then loading groups' messages behind
 * their spilled ones, then ready groups, the most recently ready first (they go out last), and last the failed
 * messages of waiting groups (loaded back when their back-off ends); never a group's batch in delivery. Which to
 * store: all of the backlog but the batches in delivery (the oldest messages are what holds the slot).
 *
 * <p>Concurrency: guarded by the queue's lock; only {@link #restoreAll} reads the store, before the queue starts.
 */
final class Spill {
    private static final Logger log = LoggerFactory.getLogger(Spill.class);
    private static final int RESTORE_PAGE = 10_000;

    private final MessageStore store;
    private final GroupQueue q;
    private final AckTracker ack;
    private final Backlog backlog;
    private final QueueLock lock;
    private final Ticker ticker;
    // Messages in the store only, over all groups.
    private long spilledTotal;
    private long spillScanVersion = -1;
    private boolean warnedSpill;

    Spill(MessageStore store, GroupQueue q, AckTracker ack, Backlog backlog, QueueLock lock, Ticker ticker) {
        this.store = store;
        this.q = q;
        this.ack = ack;
        this.backlog = backlog;
        this.lock = lock;
        this.ticker = ticker;
    }

    /**
     * When the buffer is full: frees the memory of stored messages (see the class notes for which), which then stay
     * in the store only until their group needs them. Returns whether anything was freed (it stops once
     * {@code heldBytes <= target}).
     */
    boolean spill(long target, String sinkName) {
        if (!store.persistent() || backlog.storedVersion() == spillScanVersion) {
            return false; // nothing became stored since the last look
        }
        spillScanVersion = backlog.storedVersion();
        return dropTo(target, sinkName);
    }

    /** Drops stored messages from memory until {@code heldBytes <= target}, as {@link #spill} does. */
    boolean dropTo(long target, String sinkName) {
        long before = q.heldBytes();
        long count = spilledTotal;
        for (GroupQueue.Group g : q.waiting()) {
            if (q.heldBytes() <= target) {
                break;
            }
            drop(g, failed(g));
        }
        for (GroupQueue.Group g : q.loading()) {
            if (q.heldBytes() <= target) {
                break;
            }
            drop(g, 0);
        }
        long now = ticker.nanos();
        for (Iterator<GroupQueue.Group> it = q.readyNewestFirst(); it.hasNext() && q.heldBytes() > target; ) {
            GroupQueue.Group g = it.next();
            if (droppable(g, 0)) {
                it.remove();
                q.unready(g);
                drop(g, 0);
                q.list(g, now); // loading: its next messages are in the store only
            }
        }
        // Last, the failed messages themselves: a peer that went down with many batches out leaves many groups
        // waiting, each with its failed head. Such a group loads them back when its back-off ends.
        for (GroupQueue.Group g : q.waiting()) {
            if (q.heldBytes() <= target) {
                break;
            }
            drop(g, 0);
        }
        if (spilledTotal > count && !warnedSpill) {
            warnedSpill = true;
            log.info(
                    "sink {}: buffer full; stored messages are kept in the store only until their group needs them",
                    sinkName);
        }
        return q.heldBytes() < before;
    }

    /**
     * When the buffer is full and {@link #spill} cannot free enough: marks every group with no batch in delivery for
     * the {@link Backlog} to store, so that the whole backlog stops holding the slot (the oldest messages are what
     * holds it) and can then leave memory. Nothing is marked while earlier marked messages still wait to be stored.
     * Returns whether messages wait to be stored.
     */
    boolean markForStore() {
        if (backlog.persisting()) {
            return true;
        }
        for (GroupQueue.Group g : q.groups()) {
            mark(g);
        }
        return backlog.persisting();
    }

    // Marks a group with no batch in delivery whose messages the store lacks.
    private void mark(GroupQueue.Group g) {
        if (g.inFlight > 0 || g.persist) {
            return;
        }
        for (Msg m : g.msgs) {
            if (!m.stored) {
                backlog.persist(g);
                return;
            }
        }
    }

    // A waiting group's failed messages at its head (at least one), kept in memory while others can go first; none
    // when its head is in the store only (a group's messages behind its spilled ones are not its head).
    private static int failed(GroupQueue.Group g) {
        int head = g.available();
        int keep = 0;
        for (Msg m : g.msgs) {
            if (keep == head || m.attempts == 0) {
                break;
            }
            keep++;
        }
        return head == 0 ? 0 : Math.max(keep, 1);
    }

    // Whether the messages of g behind the first `keep` can leave memory: none in delivery, all of them stored.
    private static boolean droppable(GroupQueue.Group g, int keep) {
        if (g.inFlight > 0 || g.msgs.size() <= keep) {
            return false;
        }
        int i = 0;
        for (Msg m : g.msgs) {
            if (i++ >= keep && !m.stored) {
                return false; // the store has not got all of them yet
            }
        }
        return true;
    }

    // Drops what can leave memory of g but its first `keep` messages: its spilled range grows to cover them.
    private void drop(GroupQueue.Group g, int keep) {
        if (!droppable(g, keep)) {
            return;
        }
        boolean headInMemory = g.spilled == 0 || g.aCount > 0;
        Position first = g.msgs.getFirst().position;
        Position tail = g.msgs.getLast().position;
        int n = 0;
        while (g.msgs.size() > keep) {
            Msg m = g.msgs.pollLast();
            q.memory(-m.bytes);
            g.spilledTables = Fences.withTable(g.spilledTables, m.table);
            n++;
        }
        if (keep > 0) {
            g.spillAfter = g.msgs.getLast().position;
        } else if (headInMemory) {
            g.spillAfter = justBefore(first);
        }
        if (g.spilled == 0 || tail.compareTo(Objects.requireNonNull(g.spillTo)) > 0) {
            g.spillTo = tail;
        }
        g.spilled += n;
        g.aCount = keep;
        spilledTotal += n;
    }

    // No position lies between this one and p: a spilled range (after, to] can start right at p.
    private static Position justBefore(Position p) {
        return new Position(p.commitLsn(), p.commitIdx() - 1);
    }

    /**
     * Before the queue starts: puts back the messages the store holds for this sink (failing or spilled groups of an
     * earlier run), ahead of anything the slot sends; the slot's replay of them is skipped. Those over the memory bound
     * stay in the store until their group needs them: behind the group's first messages, or as a loading group.
     */
    void restore(List<MessageStore.Stored> stored, QueueConfig c, Outcomes outcomes) {
        long max = c.spec().maxQueueBytes();
        long now = ticker.nanos();
        for (MessageStore.Stored st : stored) {
            Msg m = new Msg(st);
            backlog.counted(st);
            ack.skipReplayOf(m.position);
            Object key = c.key(m.groupId, m.table);
            GroupQueue.Group known = q.get(key == null ? m.position : key);
            boolean over = q.heldBytes() > 0 && q.heldBytes() + m.bytes > max;
            if ((known != null && known.spilled > 0) || over) {
                q.hold(0);
                GroupQueue.Group g = known != null ? known : q.group(key == null ? m.position : key);
                if (g.spilled == 0) {
                    g.aCount = g.msgs.size();
                    g.spillAfter = g.msgs.isEmpty() ? justBefore(m.position) : g.msgs.getLast().position;
                }
                g.spilled++;
                g.spillTo = m.position;
                g.spilledTables = Fences.withTable(g.spilledTables, m.table);
                g.persist = true;
                spilledTotal++;
                if (g.where == GroupQueue.Where.NONE) {
                    q.list(g, now); // new: loading
                }
                continue;
            }
            q.hold(m.bytes);
            GroupQueue.Group g = q.add(m, key, now);
            g.persist = true;
            outcomes.restoredFailure(g, st);
        }
        backlog.report();
    }

    /**
     * Before the queue starts: {@link #restore}s every stored message of the sink, a page at a time (outside the lock;
     * nothing runs yet).
     */
    void restoreAll(QueueConfig c, Outcomes outcomes) throws Exception {
        int page = RESTORE_PAGE;
        Position after = null;
        while (true) {
            List<MessageStore.Stored> rows = store.load(c.spec().id(), after, page, Reload.LOAD_BYTES);
            lock.lock.lock();
            try {
                restore(rows, c, outcomes);
            } finally {
                lock.lock.unlock();
            }
            if (!MessageStore.more(rows, page, Reload.LOAD_BYTES)) {
                return;
            }
            after = rows.getLast().position();
        }
    }

    /** Messages kept in the store only. */
    long spilled() {
        return spilledTotal;
    }

    /** {@code n} spilled messages were loaded back (or found missing). */
    void unspilled(long n) {
        spilledTotal -= n;
    }
}
