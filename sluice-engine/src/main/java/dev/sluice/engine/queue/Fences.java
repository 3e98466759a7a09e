package dev.sluice.engine.queue;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Truncate barriers: a {@code TRUNCATE} is delivered after every earlier message of its tables, whatever their groups,
 * and before every later one. Groups order a table's rows one key at a time; a fence orders a whole table.
 *
 * <p>State: one fence per TRUNCATE statement queued and not yet finished: its tables, the positions of its truncate
 * messages (one per table, consecutive), how many of them are not finished, and the groups that held earlier
 * messages of its tables when it was queued (<em>ahead</em>), each with the position of its last such message. A
 * fence is <em>clear</em> once every group ahead has moved past that position. The truncate messages of one
 * transaction form a group of their own ({@link Key}), in order.
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>A fence's truncates go out once it is clear, together in one batch when the batch size allows (a target
 *       applies a statement's tables together, as foreign keys between them require).
 *   <li>A message of one of its tables positioned after its truncates waits until they are all finished (delivered,
 *       or discarded), and so does everything behind it in its group.
 *   <li>A group whose head waits is taken out of the ready set (<em>parked</em>) and listed again when a fence clears
 *       or finishes, so that a waiting head costs nothing while it waits.
 *   <li>Neither a truncate nor a message waiting for one is stored: the truncate holds the slot until it is
 *       delivered, and what waits for it holds the slot too, so a restart finds them all again in the slot's replay,
 *       in order, behind the stored messages (which are all earlier). A spilled backlog ahead of a truncate is loaded
 *       back and delivered first, as any other.
 * </ul>
 *
 * <p>Cost: nothing while no fence is open but a field read per batch and per finished message. Queueing a fence looks
 * at every message in memory once; a truncate is rare.
 *
 * <p>Concurrency: guarded by the queue's lock. Groups are listed again only from the dispatcher's loop ({@link
 * #release}), never in the middle of applying an outcome.
 */
final class Fences {
    /** The group key of the truncate messages of one transaction. */
    record Key(long commitLsn) {}

    private static final class Fence {
        final Set<TableId> tables;
        final Position first;
        final Position last;
        int pending;
        final Map<GroupQueue.Group, Position> ahead = new IdentityHashMap<>();

        Fence(Set<TableId> tables, Position first, Position last, int pending) {
            this.tables = tables;
            this.first = first;
            this.last = last;
            this.pending = pending;
        }

        boolean clear() {
            return ahead.isEmpty();
        }

        // One of this fence's own truncates.
        boolean owns(Msg m) {
            return m.action == Action.TRUNCATE
                    && m.position.compareTo(first) >= 0
                    && m.position.compareTo(last) <= 0
                    && tables.contains(m.table);
        }
    }

    private final GroupQueue q;
    private final List<Fence> fences = new ArrayList<>();
    private final Set<GroupQueue.Group> parked = Collections.newSetFromMap(new IdentityHashMap<>());
    // A fence cleared or finished since the parked groups were last listed.
    private boolean releaseDue;

    Fences(GroupQueue q) {
        this.q = q;
    }

    /** The group key of a truncate message. */
    static Key key(Msg truncate) {
        return new Key(truncate.position.commitLsn());
    }

    /** Whether any fence is open: everything else here is only asked then. */
    boolean active() {
        return !fences.isEmpty();
    }

    /** A statement's truncate messages, just queued (the newest messages of the queue), in position order. */
    void add(List<Msg> truncates) {
        Set<TableId> tables = new HashSet<>();
        truncates.forEach(m -> tables.add(m.table));
        Fence f = new Fence(tables, truncates.getFirst().position, truncates.getLast().position, truncates.size());
        findAhead(f);
        fences.add(f);
    }

    /**
     * The groups holding messages of {@code f}'s tables positioned before it, with the last such position: those in
     * memory, and those of a spilled range that may hold one (positions up to just before the fence).
     */
    private void findAhead(Fence f) {
        for (GroupQueue.Group g : q.groups()) {
            Position bound = null;
            for (Msg m : g.msgs) {
                if (m.position.compareTo(f.first) < 0 && f.tables.contains(m.table)) {
                    bound = max(bound, m.position);
                }
            }
            Position spillTo = g.spillTo;
            if (g.spilled > 0 && spillTo != null && mayHold(g.spilledTables, f.tables)) {
                Position justBefore = new Position(f.first.commitLsn(), f.first.commitIdx() - 1);
                bound = max(bound, spillTo.compareTo(justBefore) < 0 ? spillTo : justBefore);
            }
            if (bound != null && !passed(g, bound)) {
                f.ahead.put(g, bound);
            }
        }
    }

    private static boolean mayHold(@Nullable Object spilledTables, Set<TableId> tables) {
        if (spilledTables == null) {
            return true; // not known: assume it does
        }
        if (spilledTables instanceof TableId t) {
            return tables.contains(t);
        }
        for (Object t : (Set<?>) spilledTables) {
            if (tables.contains(t)) {
                return true;
            }
        }
        return false;
    }

    /** {@code tables} (a {@link TableId}, a set of them, or null) with {@code t} added: for a spilled range. */
    static Object withTable(@Nullable Object tables, TableId t) {
        if (tables == null || t.equals(tables)) {
            return t;
        }
        if (tables instanceof TableId one) {
            Set<TableId> both = new HashSet<>();
            both.add(one);
            both.add(t);
            return both;
        }
        @SuppressWarnings("unchecked")
        Set<TableId> set = (Set<TableId>) tables;
        set.add(t);
        return set;
    }

    private static Position max(@Nullable Position a, Position b) {
        return a == null || b.compareTo(a) > 0 ? b : a;
    }

    /** Whether every message of {@code g} positioned at or before {@code bound} is finished (groups are in order). */
    private static boolean passed(GroupQueue.Group g, Position bound) {
        if (g.spilled > 0 && g.aCount == 0) {
            // The head is in the store, after spillAfter; everything up to spillAfter is gone.
            Position after = g.spillAfter;
            return after != null && after.compareTo(bound) >= 0;
        }
        return g.msgs.isEmpty() || g.msgs.getFirst().position.compareTo(bound) > 0;
    }

    /** Whether {@code m} must wait: its own fence is not clear, or it comes after an unfinished fence of its table. */
    private boolean held(Msg m) {
        for (Fence f : fences) {
            if (!f.tables.contains(m.table)) {
                continue;
            }
            if (f.owns(m)) {
                if (!f.clear()) {
                    return true;
                }
            } else if (m.position.compareTo(f.last) > 0) {
                return true;
            }
        }
        return false;
    }

    /** How many of the first {@code max} messages of ready group {@code g} may go out now; 0: it waits. */
    int free(GroupQueue.Group g, int max) {
        int n = 0;
        for (Msg m : g.msgs) {
            if (n == max || held(m)) {
                break;
            }
            n++;
        }
        return n;
    }

    /**
     * When the head of ready group {@code g} is a truncate that may go now: how many messages at its head are
     * truncates of the same statement (they go together); else 0.
     */
    int statement(GroupQueue.Group g) {
        Msg head = g.msgs.getFirst();
        if (head.action != Action.TRUNCATE || held(head)) {
            return 0;
        }
        Fence own = null;
        for (Fence f : fences) {
            if (f.owns(head)) {
                own = f;
                break;
            }
        }
        if (own == null) {
            return 0;
        }
        int n = 0;
        int available = g.available();
        for (Msg m : g.msgs) {
            if (n == available || !own.owns(m)) {
                break;
            }
            n++;
        }
        return n;
    }

    /** A ready group whose head waits, already taken out of the ready set: listed again when a fence moves. */
    void park(GroupQueue.Group g) {
        parked.add(g);
    }

    /** Whether {@code m} may be stored: not a truncate, and not waiting for one (see the class notes). */
    boolean storable(Msg m) {
        if (m.action == Action.TRUNCATE) {
            return false;
        }
        for (Fence f : fences) {
            if (f.tables.contains(m.table) && m.position.compareTo(f.last) > 0) {
                return false;
            }
        }
        return true;
    }

    /** {@code m}, at the head of {@code g}, was delivered or discarded (and removed from it). */
    void finished(GroupQueue.Group g, Msg m) {
        if (m.action == Action.TRUNCATE) {
            for (Iterator<Fence> it = fences.iterator(); it.hasNext(); ) {
                Fence f = it.next();
                if (f.owns(m) && --f.pending == 0) {
                    it.remove();
                    releaseDue = true;
                }
            }
        }
        moved(g);
    }

    /** {@code g}'s head moved (a message finished, or stored ones were found missing): fences ahead of it may clear. */
    void moved(GroupQueue.Group g) {
        for (Fence f : fences) {
            Position bound = f.ahead.get(g);
            if (bound != null && passed(g, bound)) {
                f.ahead.remove(g);
                if (f.clear()) {
                    releaseDue = true;
                }
            }
        }
    }

    /** Whether parked groups wait to be listed again. */
    boolean releaseDue() {
        return releaseDue;
    }

    /** Lists the parked groups again (those with nothing in delivery and not listed meanwhile). */
    void release(long now) {
        releaseDue = false;
        for (GroupQueue.Group g : parked) {
            if (q.current(g) && g.where == GroupQueue.Where.NONE && g.inFlight == 0) {
                q.list(g, now);
            }
        }
        parked.clear();
    }

    /** After a regroup, which listed every group anew: each open fence finds the groups ahead of it again. */
    void regrouped() {
        parked.clear();
        for (Fence f : fences) {
            f.ahead.clear();
            findAhead(f);
        }
    }
}
