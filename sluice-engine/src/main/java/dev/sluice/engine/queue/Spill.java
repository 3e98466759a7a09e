package dev.sluice.engine.queue;

import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.Ticker;
import dev.sluice.engine.MessageStore;
import dev.sluice.engine.SinkSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory for stored messages: when the buffer is full, stored messages are dropped from memory and stay in the store
 * only ({@link GroupQueue.Group#spilled}), to be loaded back in order when their group needs them; after a restart,
 * the store's messages are put back in memory as far as the bound allows. With {@link Backlog}, the only code that
 * calls the {@link MessageStore}.
 *
 * <p>Order: a group's spilled messages, positions in ({@code spillAfter}, {@code spillTo}], come after its first
 * {@code aCount} messages in memory and before the rest; a group whose messages in memory ahead of them are gone is
 * <em>loading</em>, and is not ready until some are back.
 *
 * <p>Concurrency: guarded by the queue's lock; the store is read by the dispatcher outside it ({@link #load}), and
 * the result applied under it to the groups that are still current and loading.
 *
 * <p>Failure: a failing load puts its groups back to loading, tried again after the {@link Backlog}'s pause.
 */
final class Spill {
    private static final Logger log = LoggerFactory.getLogger(Spill.class);
    // Spilled groups loaded per round trip to the store.
    private static final int LOAD_GROUPS = 16;

    /** Spilled groups whose next messages to load, each from {@code after} up to {@code upTo}. */
    record LoadWork(List<GroupQueue.Group> groups, List<Position> after, List<Position> upTo) {}

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

    /** Whether spilled groups wait to be loaded and the store is not being waited for. */
    boolean loadDue(long now) {
        return !q.loading().isEmpty() && backlog.storeUp(now);
    }

    /** Up to a few spilled groups to load, while there is room for their messages; null when full. */
    @Nullable
    LoadWork loadWork(SinkSpec spec) {
        Set<GroupQueue.Group> loading = q.loading();
        if (loading.isEmpty() || q.heldBytes() >= spec.maxQueueBytes()) {
            return null;
        }
        List<GroupQueue.Group> gs = new ArrayList<>();
        List<Position> after = new ArrayList<>();
        List<Position> upTo = new ArrayList<>();
        for (Iterator<GroupQueue.Group> it = loading.iterator(); it.hasNext() && gs.size() < LOAD_GROUPS; ) {
            GroupQueue.Group g = it.next();
            it.remove();
            gs.add(g);
            after.add(Objects.requireNonNull(g.spillAfter));
            upTo.add(Objects.requireNonNull(g.spillTo));
        }
        return new LoadWork(gs, after, upTo);
    }

    /** Loads spilled groups' next messages outside the lock (dispatcher thread), then makes the groups ready. */
    void load(QueueConfig c, LoadWork w) {
        int limit = Math.max(c.spec().batchSize(), 100);
        List<List<MessageStore.Stored>> loaded = new ArrayList<>();
        Exception failure = null;
        try {
            for (int i = 0; i < w.groups().size(); i++) {
                GroupQueue.Group g = w.groups().get(i);
                String groupId = g.key instanceof String s ? s : null;
                // Keyed by group id, the table is not part of the match.
                TableId table = g.key instanceof TableId t ? t : new TableId("", "");
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
        lock.lock.lock();
        try {
            if (failure != null) {
                for (GroupQueue.Group g : w.groups()) {
                    if (q.current(g) && g.where == GroupQueue.Where.LOADING) {
                        q.loading().add(g);
                    }
                }
                backlog.storeFailed(
                        c.spec().name(),
                        "cannot load stored messages; their groups wait until the store is back",
                        failure);
                return;
            }
            for (int i = 0; i < loaded.size(); i++) {
                GroupQueue.Group g = w.groups().get(i);
                if (!q.current(g) || g.where != GroupQueue.Where.LOADING) {
                    continue; // regrouped or stopped meanwhile: loaded again when needed
                }
                loaded(c, g, loaded.get(i), limit);
            }
            lock.wake.signal();
        } finally {
            lock.lock.unlock();
        }
    }

    // Holding the lock: puts a group's loaded messages back at its head.
    private void loaded(QueueConfig c, GroupQueue.Group g, List<MessageStore.Stored> rows, int limit) {
        for (int j = rows.size() - 1; j >= 0; j--) {
            Msg m = new Msg(rows.get(j));
            g.msgs.addFirst(m);
            q.memory(m.bytes);
        }
        int n = rows.size();
        int left = n < limit ? 0 : Math.max(0, g.spilled - n);
        if (n < limit && n != g.spilled) {
            log.warn(
                    "sink {}: expected {} stored message(s) of a group, found {}; going on with those",
                    c.spec().name(),
                    g.spilled,
                    n);
            q.forget(g.spilled - n);
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
        g.where = GroupQueue.Where.NONE;
        q.list(g, ticker.nanos());
    }

    /**
     * When the buffer is full: frees the memory of stored messages that wait in failing groups, which then stay in the
     * store only until their group needs them. A waiting group keeps its failed messages; a group loading its next
     * messages keeps nothing. Returns whether anything was freed (it stops once {@code heldBytes <= target}).
     */
    boolean spill(long target, String sinkName) {
        if (!store.persistent() || backlog.storedVersion() == spillScanVersion) {
            return false; // nothing became stored since the last look
        }
        spillScanVersion = backlog.storedVersion();
        long before = q.heldBytes();
        long count = spilledTotal;
        for (GroupQueue.Group g : q.waiting()) {
            if (q.heldBytes() <= target) {
                break;
            }
            spill(g);
        }
        for (GroupQueue.Group g : q.loading()) {
            if (q.heldBytes() <= target) {
                break;
            }
            spill(g);
        }
        if (spilledTotal > count && !warnedSpill) {
            warnedSpill = true;
            log.info(
                    "sink {}: buffer full; messages waiting behind failed ones are kept in the store only until their"
                            + " group needs them",
                    sinkName);
        }
        return q.heldBytes() < before;
    }

    private void spill(GroupQueue.Group g) {
        if (g.inFlight > 0) {
            return;
        }
        int keep = 0;
        if (g.where == GroupQueue.Where.WAITING) {
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
            q.memory(-g.msgs.pollLast().bytes);
            n++;
        }
        if (keep > 0) {
            g.spillAfter = g.msgs.getLast().position;
        }
        if (g.spilled == 0 || tail.compareTo(Objects.requireNonNull(g.spillTo)) > 0) {
            g.spillTo = tail;
        }
        g.spilled += n;
        g.aCount = keep;
        spilledTotal += n;
    }

    /**
     * Before the queue starts: puts back the messages the store holds for this sink (failing groups of an earlier
     * run), ahead of anything the slot sends; the slot's replay of them is skipped. Those over the memory bound, behind
     * their group's first messages, stay in the store until needed.
     */
    void restore(List<MessageStore.Stored> stored, QueueConfig c, Outcomes outcomes) {
        long max = c.spec().maxQueueBytes();
        long now = ticker.nanos();
        for (MessageStore.Stored st : stored) {
            Msg m = new Msg(st);
            ack.skipReplayOf(m.position);
            Object key = c.key(m.groupId, m.table);
            GroupQueue.Group known = key == null ? null : q.get(key);
            if (known != null && (known.spilled > 0 || (q.heldBytes() + m.bytes > max && !known.msgs.isEmpty()))) {
                q.hold(0);
                if (known.spilled == 0) {
                    known.aCount = known.msgs.size();
                    known.spillAfter = known.msgs.getLast().position;
                }
                known.spilled++;
                known.spillTo = m.position;
                spilledTotal++;
                continue;
            }
            q.hold(m.bytes);
            GroupQueue.Group g = q.add(m, key, now);
            g.persist = true;
            outcomes.restoredFailure(g, st);
        }
    }

    /**
     * Before the queue starts: {@link #restore}s every stored message of the sink, reading {@code page} at a time
     * (outside the lock; nothing runs yet).
     */
    void restoreAll(QueueConfig c, Outcomes outcomes, int page) throws Exception {
        Position after = null;
        while (true) {
            List<MessageStore.Stored> rows = store.load(c.spec().id(), after, page);
            lock.lock.lock();
            try {
                restore(rows, c, outcomes);
            } finally {
                lock.lock.unlock();
            }
            if (rows.size() < page) {
                return;
            }
            after = rows.getLast().position();
        }
    }

    /** Messages kept in the store only. */
    long spilled() {
        return spilledTotal;
    }
}
