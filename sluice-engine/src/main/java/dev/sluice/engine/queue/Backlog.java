package dev.sluice.engine.queue;

import dev.sluice.core.Position;
import dev.sluice.core.Ticker;
import dev.sluice.engine.MessageStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a sink's messages to the durable store; with {@link Spill}, which reads them back, the only code that calls
 * the {@link MessageStore}.
 *
 * <p>State: groups marked to persist (failing ones) whose messages the store lacks; positions to delete (delivered
 * messages that were stored) and discarded messages to record; the store's health. A stored message no longer holds
 * the slot: it is resolved for the {@link AckTracker} once saved.
 *
 * <p>Concurrency: the bookkeeping is guarded by the queue's lock; the store is called by the dispatcher outside it
 * ({@link #save}, {@link #load}), with work taken under the lock and applied under it after the call, checking that
 * each group is still current (a reconfiguration may have regrouped meanwhile).
 *
 * <p>Failure: a failing store is retried every {@value #STORE_RETRY_SECONDS} s; meanwhile failing messages stay in
 * memory and hold the slot as they would without a store, and spilled groups wait. One warning per outage.
 */
final class Backlog {
    private static final Logger log = LoggerFactory.getLogger(Backlog.class);
    private static final long STORE_RETRY_SECONDS = 5;
    private static final Duration STORE_RETRY = Duration.ofSeconds(STORE_RETRY_SECONDS);
    private static final int STORE_CHUNK = 1000;

    /**
     * Messages to store (with their attempt counts when taken, and rows to complete), positions to delete, and
     * discarded messages to record.
     */
    record StoreWork(
            List<Msg> msgs,
            List<GroupQueue.Group> groups,
            List<Integer> attempts,
            List<MessageStore.Stored> rows,
            List<Position> deletes,
            List<Msg> discards) {}

    private final MessageStore store;
    private final GroupQueue q;
    private final AckTracker ack;
    private final QueueLock lock;
    private final Ticker ticker;
    // Failing groups with messages the store does not hold as they are; positions to remove from the store.
    private final Set<GroupQueue.Group> toPersist = new LinkedHashSet<>();
    private final List<Position> toDelete = new ArrayList<>();
    private final List<Msg> toDiscard = new ArrayList<>();
    // Bumped whenever messages become stored, so that a full buffer looks for something to spill only when there may
    // be something new.
    private long storedVersion;
    private long storeRetryAt;
    private boolean storeFailing;

    Backlog(MessageStore store, GroupQueue q, AckTracker ack, QueueLock lock, Ticker ticker) {
        this.store = store;
        this.q = q;
        this.ack = ack;
        this.lock = lock;
        this.ticker = ticker;
    }

    boolean persistent() {
        return store.persistent();
    }

    /** A failing group: its messages, and those that join it, are to be stored. */
    void persist(GroupQueue.Group g) {
        if (store.persistent()) {
            g.persist = true;
            toPersist.add(g);
        }
    }

    /** A message joined {@code g}: stored too if the group is. */
    void joined(GroupQueue.Group g, Msg m) {
        if (g.persist && !m.stored) {
            toPersist.add(g);
        }
    }

    /** A message delivered or discarded: removed from the store, or recorded there as discarded. */
    void finished(Msg m, boolean discard) {
        if (discard && store.persistent()) {
            m.discarded = true;
            toDiscard.add(m);
        } else if (m.stored) {
            toDelete.add(m.position);
        }
    }

    /** After a regroup that kept {@code kept} (spilled groups): only they are marked to persist. */
    void regrouped(List<GroupQueue.Group> kept) {
        toPersist.clear();
        for (GroupQueue.Group g : kept) {
            if (g.persist) {
                toPersist.add(g);
            }
        }
    }

    /** Nanoseconds until store work is due: 0 now, -1 when there is none. */
    long storeDueIn(long now) {
        if ((toPersist.isEmpty() && toDelete.isEmpty() && toDiscard.isEmpty()) || !store.persistent()) {
            return -1;
        }
        return Math.max(0, storeRetryAt - now);
    }

    /** Up to STORE_CHUNK messages of failing groups that the store lacks, and the positions to remove. */
    StoreWork storeWork() {
        List<Msg> msgs = new ArrayList<>();
        List<GroupQueue.Group> owners = new ArrayList<>();
        List<MessageStore.Stored> rows = new ArrayList<>();
        long now = ticker.nanos();
        Instant wall = ticker.now();
        for (Iterator<GroupQueue.Group> it = toPersist.iterator(); it.hasNext() && msgs.size() < STORE_CHUNK; ) {
            GroupQueue.Group g = it.next();
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
                Instant next =
                        g.where == GroupQueue.Where.WAITING ? wall.plusNanos(Math.max(0, g.notBefore - now)) : null;
                // JSON is filled in outside the lock; the row is completed then.
                rows.add(m.row(m.json == null ? new byte[0] : m.json, next));
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

    /** Saves and deletes outside the lock (dispatcher thread); saved messages stop holding the slot. */
    void save(QueueConfig c, StoreWork w) {
        List<MessageStore.Stored> rows = new ArrayList<>(w.rows().size());
        List<byte[]> encoded = new ArrayList<>(w.msgs().size());
        for (int i = 0; i < w.msgs().size(); i++) {
            MessageStore.Stored r = w.rows().get(i);
            byte[] json = r.json().length > 0 ? r.json() : c.json(w.msgs().get(i));
            encoded.add(json);
            rows.add(withJson(r, json));
        }
        List<MessageStore.Stored> discards = new ArrayList<>(w.discards().size());
        for (Msg m : w.discards()) {
            discards.add(m.row(c.json(m), null));
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
        lock.lock.lock();
        try {
            if (failure != null) {
                saveFailed(c, w, failure);
                return;
            }
            if (storeFailing) {
                storeFailing = false;
                log.info("sink {}: storing failing messages again", c.spec().name());
            }
            List<Position> orphans = new ArrayList<>();
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
                ack.resolve(m);
            }
            storedVersion++;
            toDelete.addAll(orphans);
            ack.advance();
            lock.notFull.signalAll();
        } finally {
            lock.lock.unlock();
        }
    }

    // Holding the lock: kept in memory, holding the slot as before; tried again shortly.
    private void saveFailed(QueueConfig c, StoreWork w, Exception failure) {
        toDelete.addAll(w.deletes());
        toDiscard.addAll(w.discards());
        for (int i = 0; i < w.msgs().size(); i++) {
            GroupQueue.Group g = w.groups().get(i);
            if (!w.msgs().get(i).finished && q.current(g)) {
                toPersist.add(g);
            }
        }
        storeFailed(
                c.spec().name(),
                "cannot store failing messages; they stay in memory and hold the slot until they are delivered or"
                        + " the store is back",
                failure);
    }

    private static MessageStore.Stored withJson(MessageStore.Stored r, byte[] json) {
        return new MessageStore.Stored(
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
                r.nextAttemptAt());
    }

    /** Whether the store may be called now (it is not being waited for after a failure). */
    boolean storeUp(long now) {
        return now - storeRetryAt >= 0;
    }

    /** Holding the lock: a store call failed; it is tried again after a pause, and the first failure is logged. */
    void storeFailed(String sinkName, String what, Exception failure) {
        storeRetryAt = ticker.nanos() + STORE_RETRY.toNanos();
        if (!storeFailing) {
            storeFailing = true;
            log.warn("sink {}: {} ({})", sinkName, what, failure.toString());
        }
    }

    /** Changes whenever messages become stored. */
    long storedVersion() {
        return storedVersion;
    }

    /** On stop: removes from the store what was delivered, so that a restart does not deliver it again. */
    void flush(QueueConfig c) {
        List<Position> deletes;
        List<Msg> discards;
        lock.lock.lock();
        try {
            deletes = List.copyOf(toDelete);
            toDelete.clear();
            discards = List.copyOf(toDiscard);
            toDiscard.clear();
        } finally {
            lock.lock.unlock();
        }
        String name = c.spec().name();
        if (!discards.isEmpty()) {
            List<MessageStore.Stored> rows = new ArrayList<>(discards.size());
            for (Msg m : discards) {
                rows.add(m.row(c.json(m), null));
            }
            try {
                store.discarded(c.spec().id(), rows);
            } catch (Exception e) {
                log.warn(
                        "sink {}: cannot record {} discarded message(s) in the store ({})",
                        name,
                        rows.size(),
                        e.toString());
            }
        }
        if (!deletes.isEmpty()) {
            try {
                store.delete(c.spec().id(), deletes);
            } catch (Exception e) {
                log.warn(
                        "sink {}: cannot remove {} delivered message(s) from the store ({}); they will be delivered"
                                + " again after a restart",
                        name,
                        deletes.size(),
                        e.toString());
            }
        }
    }
}
