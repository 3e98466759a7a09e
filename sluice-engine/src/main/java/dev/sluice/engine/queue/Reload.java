package dev.sluice.engine.queue;

import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.Ticker;
import dev.sluice.engine.MessageStore;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads spilled messages back into memory when their group needs them (see {@link Spill} for how they got there):
 * by group while few groups are loading, one query each, and by one scan of the sink's stored messages in slot order
 * when many are (a sink whose peer was down has a group per row); a scan that finds nothing for them makes the next
 * load go by group, so that every group gets its turn.
 *
 * <p>Room: a load fills the buffer up to a cap the dispatcher sets ({@link Room}); a starved dispatcher (nothing
 * ready, nothing in delivery) first drops what is stored and cannot go now, then loads at least one message, so that
 * the sink always makes progress: the buffer may be held by loading groups' later messages, which cannot go before
 * their spilled ones.
 *
 * <p>Concurrency: the work is taken under the queue's lock; the store is read by the dispatcher outside it
 * ({@link #load}), and the result applied under it to the groups that are still current and loading.
 *
 * <p>Failure: a failing load puts its groups back to loading, tried again after the {@link Backlog}'s pause.
 */
final class Reload {
    private static final Logger log = LoggerFactory.getLogger(Reload.class);
    // Spilled groups loaded per round trip to the store, one query each; with more loading, one scan instead.
    private static final int LOAD_GROUPS = 16;
    // Stored messages read per scan, at most.
    private static final int SCAN_ROWS = 1000;
    /**
     * The most JSON one load reads (beyond its first row): rows may be of any size, and the driver holds a result's
     * rows, their text form and the decoded bytes at once, about three times this.
     */
    static final long LOAD_BYTES = 8L << 20;

    /** Work for the dispatcher: spilled messages to read back. */
    sealed interface LoadWork {}

    /**
     * Spilled groups whose next messages to load, each from {@code after} up to {@code upTo}; applied while the buffer
     * holds less than {@code cap} bytes.
     */
    record GroupLoad(List<GroupQueue.Group> groups, List<Position> after, List<Position> upTo, Room room)
            implements LoadWork {}

    /**
     * Up to {@code rows} of the sink's stored messages after {@code from}, in slot order, for loading groups; applied
     * while the buffer holds less than {@code cap} bytes.
     */
    record ScanLoad(Position from, int rows, Room room) implements LoadWork {}

    /**
     * How much loaded messages may fill the buffer: up to {@code cap} bytes; when {@code starved} (nothing ready, nothing
     * in delivery), at least one message whatever the cap.
     */
    record Room(long cap, boolean starved) {}

    private final MessageStore store;
    private final GroupQueue q;
    private final Spill spill;
    private final Backlog backlog;
    private final Fences fences;
    private final QueueLock lock;
    private final Ticker ticker;
    // The last scan loaded nothing: the next load goes by group.
    private boolean scanFruitless;
    // The last load found no room at this many bytes held: no load until fewer are held, or the dispatcher starves.
    private long noRoomAt = -1;

    Reload(
            MessageStore store,
            GroupQueue q,
            Spill spill,
            Backlog backlog,
            Fences fences,
            QueueLock lock,
            Ticker ticker) {
        this.store = store;
        this.q = q;
        this.spill = spill;
        this.backlog = backlog;
        this.fences = fences;
        this.lock = lock;
        this.ticker = ticker;
    }

    /** Whether spilled groups wait to be loaded and the store is not being waited for. */
    boolean loadDue(long now) {
        return !q.loading().isEmpty() && backlog.storeUp(now);
    }

    /** Spilled messages to load within {@code room}; null when there is none. */
    @Nullable
    LoadWork loadWork(Room room, String sinkName) {
        if (q.loading().isEmpty()) {
            return null;
        }
        long cap = room.cap();
        if (room.starved() && q.heldBytes() >= cap && store.persistent()) {
            // What fills the buffer cannot go now: make room by dropping what is stored, before going past the cap.
            spill.dropTo(cap / 2, sinkName);
        }
        long held = q.heldBytes();
        if (!room.starved() && (held >= cap || (noRoomAt >= 0 && held >= noRoomAt))) {
            return null;
        }
        if (q.loading().size() > LOAD_GROUPS && !scanFruitless) {
            Position from = null;
            for (GroupQueue.Group g : q.loading()) {
                Position after = Objects.requireNonNull(g.spillAfter);
                if (from == null || after.compareTo(from) < 0) {
                    from = after;
                }
            }
            // Rows of a few hundred bytes at least: reading much more than fits would be read again later.
            int rows = (int) Math.clamp((cap - held) / 256, LOAD_GROUPS, SCAN_ROWS);
            return new ScanLoad(Objects.requireNonNull(from), rows, room);
        }
        scanFruitless = false;
        List<GroupQueue.Group> gs = new ArrayList<>();
        List<Position> after = new ArrayList<>();
        List<Position> upTo = new ArrayList<>();
        for (Iterator<GroupQueue.Group> it = q.loading().iterator(); it.hasNext() && gs.size() < LOAD_GROUPS; ) {
            GroupQueue.Group g = it.next();
            it.remove();
            gs.add(g);
            after.add(Objects.requireNonNull(g.spillAfter));
            upTo.add(Objects.requireNonNull(g.spillTo));
        }
        return new GroupLoad(gs, after, upTo, room);
    }

    /** Loads spilled messages outside the lock (dispatcher thread), then makes their groups ready. */
    void load(QueueConfig c, LoadWork w) {
        switch (w) {
            case GroupLoad g -> loadGroups(c, g);
            case ScanLoad s -> scan(c, s);
        }
    }

    private void loadGroups(QueueConfig c, GroupLoad w) {
        int limit = Math.max(c.spec().batchSize(), 100);
        long bytes = loadBytes(w.room(), w.groups().size());
        List<List<MessageStore.Stored>> loaded = new ArrayList<>();
        Exception failure = null;
        try {
            for (int i = 0; i < w.groups().size(); i++) {
                loaded.add(loadGroup(
                        c.spec().id(),
                        w.groups().get(i).key,
                        w.after().get(i),
                        w.upTo().get(i),
                        limit,
                        bytes));
            }
        } catch (Exception e) {
            failure = e;
        }
        lock.lock.lock();
        try {
            if (failure != null) {
                loadFailed(c, w.groups(), failure);
                return;
            }
            Fill fill = new Fill(w.room(), q.heldBytes());
            for (int i = 0; i < loaded.size(); i++) {
                GroupQueue.Group g = w.groups().get(i);
                if (!q.current(g) || g.where != GroupQueue.Where.LOADING) {
                    continue; // regrouped or stopped meanwhile: loaded again when needed
                }
                List<MessageStore.Stored> rows = loaded.get(i);
                int fit = 0;
                while (fit < rows.size() && fill.take(rows.get(fit))) {
                    fit++;
                }
                if (fit == 0) {
                    q.loading().add(g); // no room now
                } else {
                    loaded(c, g, rows.subList(0, fit), fit == rows.size() && !MessageStore.more(rows, limit, bytes));
                }
            }
            noRoomAt = fill.none() ? q.heldBytes() : -1;
            backlog.loadedBack();
            lock.wake.signal();
        } finally {
            lock.lock.unlock();
        }
    }

    // A group's next stored messages: by group id, by table (grouped without key columns), or by position (ungrouped).
    private List<MessageStore.Stored> loadGroup(
            String sinkId, Object key, Position after, Position upTo, int limit, long maxBytes) throws Exception {
        if (key instanceof Position p) {
            List<MessageStore.Stored> next = store.load(sinkId, after, 1, LOAD_BYTES);
            return next.isEmpty() || !next.getFirst().position().equals(p) ? List.of() : next;
        }
        String groupId = key instanceof String s ? s : null;
        // Keyed by group id, the table is not part of the match.
        TableId table = key instanceof TableId t ? t : new TableId("", "");
        return store.loadGroup(sinkId, groupId, table, after, upTo, limit, maxBytes);
    }

    // What one load may read, shared by the groups it loads (each gets its first row regardless).
    private static long loadBytes(Room room, int parts) {
        return Math.max(1, Math.min(LOAD_BYTES, room.cap() / 2) / Math.max(1, parts));
    }

    private void scan(QueueConfig c, ScanLoad w) {
        List<MessageStore.Stored> rows;
        try {
            rows = store.load(c.spec().id(), w.from(), w.rows(), loadBytes(w.room(), 1));
        } catch (Exception e) {
            lock.lock.lock();
            try {
                loadFailed(c, List.of(), e);
            } finally {
                lock.lock.unlock();
            }
            return;
        }
        lock.lock.lock();
        try {
            // Each loading group's rows come in its order: a row is its group's next one when it follows the last
            // taken. Groups that started loading during the read may have rows before the scan's start: not theirs.
            Map<GroupQueue.Group, List<MessageStore.Stored>> taken = new LinkedHashMap<>();
            Fill fill = new Fill(w.room(), q.heldBytes());
            boolean applicable = false;
            for (MessageStore.Stored r : rows) {
                Object key = c.key(r.groupId(), r.table());
                GroupQueue.Group g = q.get(key == null ? r.position() : key);
                if (g == null || g.where != GroupQueue.Where.LOADING || g.spilled == 0) {
                    continue;
                }
                List<MessageStore.Stored> mine = taken.get(g);
                Position last = mine == null
                        ? Objects.requireNonNull(g.spillAfter)
                        : mine.getLast().position();
                if (last.compareTo(w.from()) < 0
                        || r.position().compareTo(last) <= 0
                        || r.position().compareTo(Objects.requireNonNull(g.spillTo)) > 0
                        || (mine != null && mine.size() == g.spilled)) {
                    continue;
                }
                applicable = true;
                if (!fill.take(r)) {
                    break;
                }
                taken.computeIfAbsent(g, k -> new ArrayList<>()).add(r);
            }
            scanFruitless = !applicable;
            noRoomAt = applicable && fill.none() ? q.heldBytes() : -1;
            for (Map.Entry<GroupQueue.Group, List<MessageStore.Stored>> e : taken.entrySet()) {
                q.loading().remove(e.getKey());
                loaded(c, e.getKey(), e.getValue(), false);
            }
            backlog.loadedBack();
            lock.wake.signal();
        } finally {
            lock.lock.unlock();
        }
    }

    /** Loaded messages taken into the buffer within a {@link Room}. */
    private static final class Fill {
        private final Room room;
        private long bytes;
        private int taken;

        Fill(Room room, long held) {
            this.room = room;
            this.bytes = held;
        }

        boolean take(MessageStore.Stored row) {
            long size = Msg.ENTRY_OVERHEAD + row.json().length;
            if (bytes > 0 && bytes + size > room.cap() && !(room.starved() && taken == 0)) {
                return false;
            }
            bytes += size;
            taken++;
            return true;
        }

        boolean none() {
            return taken == 0;
        }
    }

    // Holding the lock: the groups wait until the store is back.
    private void loadFailed(QueueConfig c, List<GroupQueue.Group> groups, Exception failure) {
        for (GroupQueue.Group g : groups) {
            if (q.current(g) && g.where == GroupQueue.Where.LOADING) {
                q.loading().add(g);
            }
        }
        backlog.storeFailed(
                c.spec().name(), "cannot load stored messages; their groups wait until the store is back", failure);
    }

    /**
     * Holding the lock: puts a loading group's next messages back at its head. With {@code all}, they are all the
     * store has of its spilled ones.
     */
    private void loaded(QueueConfig c, GroupQueue.Group g, List<MessageStore.Stored> rows, boolean all) {
        for (int j = rows.size() - 1; j >= 0; j--) {
            Msg m = new Msg(rows.get(j));
            g.msgs.addFirst(m);
            q.memory(m.bytes);
        }
        int n = rows.size();
        if (all && n != g.spilled) {
            log.warn(
                    "sink {}: expected {} stored message(s) of a group, found {}; going on with those",
                    c.spec().name(),
                    g.spilled,
                    n);
            q.forget(g.spilled - n);
        }
        int left = all ? 0 : Math.max(0, g.spilled - n);
        spill.unspilled(g.spilled - left);
        g.spilled = left;
        g.aCount = n;
        if (left > 0) {
            g.spillAfter = rows.getLast().position();
        } else {
            g.spillAfter = null;
            g.spillTo = null;
            g.spilledTables = null;
        }
        g.where = GroupQueue.Where.NONE;
        q.list(g, ticker.nanos());
        if (fences.active()) {
            fences.moved(g); // stored messages found missing may have been what a truncate waited for here
        }
    }
}
