package dev.sluice.engine.queue;

import dev.sluice.core.Position;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The messages a sink holds, as per-group FIFOs: a pure data structure, with no threads, clock or I/O (the caller
 * passes the time in).
 *
 * <p>State: a group is the messages of one group key (see {@link QueueConfig#key}) in queueing order. A group with
 * no batch in delivery is in one of three sets: <em>ready</em> (its head can go out; in the order groups became
 * ready), <em>waiting</em> (its last delivery failed; ordered by when its back-off ends) or <em>loading</em> (its
 * next messages are in the store only, spilled when memory ran short). A group with a batch in delivery, or with
 * nothing left, is in none. {@code held}/{@code heldBytes} count every message not yet delivered or discarded and
 * the bytes of those in memory.
 *
 * <p>Concurrency: not thread-safe; the queue's lock guards it.
 */
final class GroupQueue {
    enum Where {
        NONE,
        READY,
        WAITING,
        // Its next messages are in the store only: the dispatcher loads some before it can be ready.
        LOADING
    }

    static final class Group {
        final Object key;
        // Most groups hold a message or two (a row's changes): the default's 16 slots would be garbage per group.
        final ArrayDeque<Msg> msgs = new ArrayDeque<>(2);
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

        // The tables of the spilled messages (a TableId or a set of them; null: none or not known), so that a
        // truncate knows whether it waits for them (see Fences).
        @Nullable
        Object spilledTables;

        Group(Object key) {
            this.key = key;
        }

        /** Messages that can go out now: those ahead of the spilled ones. */
        int available() {
            return spilled > 0 ? aCount : msgs.size();
        }
    }

    private final Map<Object, Group> groups = new HashMap<>();
    private final ArrayDeque<Group> ready = new ArrayDeque<>();
    private final PriorityQueue<Group> waiting = new PriorityQueue<>(Comparator.comparingLong(g -> g.notBefore));
    private final Set<Group> loading = new LinkedHashSet<>();
    private int readyCount;
    private long readySince;
    private int held;
    private long heldBytes;
    private long queuedSeq;

    /**
     * Appends a message to the group of {@code key} (a group of its own, keyed by its position, when null) and lists
     * the group if it is idle.
     */
    Group add(Msg m, @Nullable Object key, long now) {
        m.seq = ++queuedSeq;
        if (key == null) {
            key = m.position; // ungrouped: every message on its own, found again by its position when stored
        }
        Group g = groups.computeIfAbsent(key, Group::new);
        g.msgs.addLast(m);
        if (g.where == Where.READY) {
            readyCount++;
        } else if (g.where == Where.NONE && g.inFlight == 0) {
            list(g, now);
        }
        return g;
    }

    /** Counts a new message (in memory, or stored only when {@code bytes} is 0). */
    void hold(long bytes) {
        held++;
        heldBytes += bytes;
    }

    /** Counts a message gone: delivered or discarded. */
    void release(Msg m) {
        held--;
        heldBytes -= m.bytes;
    }

    /** A stored message dropped from (or put back in) memory; it is still held. */
    void memory(long delta) {
        heldBytes += delta;
    }

    /** Messages expected from the store that it does not have: no longer held. */
    void forget(int n) {
        held -= n;
    }

    /**
     * Makes a group with no batch in delivery ready, or loading when its next messages are in the store only, or
     * forgets it when it has nothing left. Returns whether it became loading.
     */
    boolean list(Group g, long now) {
        if (g.spilled > 0 && g.aCount == 0) {
            g.where = Where.LOADING;
            loading.add(g);
            return true;
        }
        if (g.msgs.isEmpty()) {
            groups.remove(g.key);
            g.where = Where.NONE;
            return false;
        }
        if (readyCount == 0) {
            readySince = now;
        }
        g.where = Where.READY;
        ready.addLast(g);
        readyCount += g.msgs.size();
        return false;
    }

    /**
     * Takes a group out of the ready or waiting set; {@code taken} messages were removed from its head since it was
     * listed. A loading group stays loading.
     */
    void unlist(Group g, int taken) {
        if (g.where == Where.WAITING) {
            waiting.remove(g);
        } else if (g.where == Where.READY) {
            ready.remove(g);
            readyCount -= g.msgs.size() + taken;
        } else {
            return;
        }
        g.where = Where.NONE;
    }

    /** Parks a group until {@code notBefore}. */
    void await(Group g, long notBefore) {
        g.notBefore = notBefore;
        g.where = Where.WAITING;
        waiting.add(g);
    }

    /** Moves waiting groups whose back-off is over to ready; returns nanoseconds until the next one is due. */
    long promoteDue(long now, long idleWait) {
        Group g;
        while ((g = waiting.peek()) != null && now - g.notBefore >= 0) {
            waiting.poll();
            g.where = Where.NONE;
            list(g, now);
        }
        return g == null ? idleWait : Math.max(1, g.notBefore - now);
    }

    /** Removes a group's first message (delivered or discarded). */
    static Msg takeHead(Group g) {
        Msg m = g.msgs.pollFirst();
        if (g.spilled > 0) {
            g.aCount--;
        }
        return m;
    }

    /** Whether {@code g} is still the queue's group for its key (not regrouped or finished meanwhile). */
    boolean current(Group g) {
        return groups.get(g.key) == g;
    }

    @Nullable
    Group get(Object key) {
        return groups.get(key);
    }

    /** The group of {@code key}, new and listed nowhere if there was none. */
    Group group(Object key) {
        return groups.computeIfAbsent(key, Group::new);
    }

    Collection<Group> groups() {
        return groups.values();
    }

    /** Ready groups, oldest ready first; the batcher removes those it takes. */
    Iterator<Group> readyIterator() {
        return ready.iterator();
    }

    /** Accounts for a ready group taken into a batch (already removed through {@link #readyIterator}). */
    void taken(Group g, long now) {
        g.where = Where.NONE;
        readyCount -= g.msgs.size();
        if (readyCount > 0) {
            readySince = now;
        }
    }

    Collection<Group> waiting() {
        return waiting;
    }

    /** Ready groups, the most recently ready first. */
    Iterator<Group> readyNewestFirst() {
        return ready.descendingIterator();
    }

    /**
     * Takes a ready group out of the ready set, already removed through {@link #readyNewestFirst}: it keeps its
     * messages and is listed again by the caller.
     */
    void unready(Group g) {
        readyCount -= g.msgs.size();
        g.where = Where.NONE;
    }

    Set<Group> loading() {
        return loading;
    }

    /** Messages of ready groups. */
    int readyCount() {
        return readyCount;
    }

    /** When the oldest ready message became ready (meaningful while {@link #readyCount()} > 0). */
    long readySince() {
        return readySince;
    }

    int held() {
        return held;
    }

    long heldBytes() {
        return heldBytes;
    }

    /**
     * Empties every set and returns the messages of groups that are not spilled, in slot order; the spilled groups
     * are returned in {@code kept}, listed in none (the caller lists them again).
     */
    List<Msg> clear(List<Group> kept) {
        List<Msg> all = new ArrayList<>(held);
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
        loading.clear();
        readyCount = 0;
        for (Group g : kept) {
            groups.put(g.key, g);
            g.where = Where.NONE;
        }
        return all;
    }
}
