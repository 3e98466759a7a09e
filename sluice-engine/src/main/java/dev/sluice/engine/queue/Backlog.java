package dev.sluice.engine.queue;

import dev.sluice.core.Position;
import dev.sluice.core.Ticker;
import dev.sluice.engine.MessageStore;
import dev.sluice.engine.PipelineMetrics;
import dev.sluice.engine.SinkSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a sink's messages to the durable store; with {@link Spill}, which reads them back, the only code that calls
 * the {@link MessageStore}.
 *
 * <p>State: groups marked to persist (failing ones, and those a full buffer moves to the store) whose messages the
 * store lacks; positions to delete (delivered messages that were stored) and discarded messages to record; the
 * store's health; the bytes of the sink's live rows in the store, against its spill budget
 * ({@link SinkSpec#maxSpillBytes}). A stored message no longer holds the slot: it is resolved for the
 * {@link AckTracker} once saved.
 *
 * <p>Order: a group's messages are stored from its head on, in order, so that the store always holds a prefix of
 * each group: after a restart, the stored messages go first and the slot's replay of the rest follows them. A
 * truncate, and a message waiting for one, is never stored ({@link Fences}): a group's storing stops there until the
 * truncate is delivered.
 *
 * <p>Budget: messages are stored only while the store holds less than the budget; a write is cut to what fits once
 * the messages are encoded (but for its first message, so that one larger than what is left cannot stall the writes).
 * Past it, failing messages stay in memory and hold the slot as without a store, and a full buffer applies the
 * load-shedding policy; deliveries free the budget again.
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
     * Messages to store (with their attempt counts when taken, whether the store lacks their row, and rows to
     * complete), the budget left for new rows, positions to delete, and discarded messages to record.
     */
    record StoreWork(
            List<Msg> msgs,
            List<GroupQueue.Group> groups,
            List<Integer> attempts,
            List<Boolean> fresh,
            List<MessageStore.Stored> rows,
            long budget,
            List<Position> deletes,
            List<Msg> discards) {}

    private final MessageStore store;
    private final GroupQueue q;
    private final AckTracker ack;
    private final Fences fences;
    private final QueueLock lock;
    private final Ticker ticker;
    private final PipelineMetrics metrics;
    private final Supplier<QueueConfig> config;
    // Failing groups with messages the store does not hold as they are; positions to remove from the store.
    private final Set<GroupQueue.Group> toPersist = new LinkedHashSet<>();
    private final List<Position> toDelete = new ArrayList<>();
    private final List<Msg> toDiscard = new ArrayList<>();
    // Bumped whenever messages become stored, so that a full buffer looks for something to spill only when there may
    // be something new.
    private long storedVersion;
    private long storeRetryAt;
    private boolean storeFailing;
    // Bytes of the sink's live rows in the store (their JSON), against the spill budget.
    private long storedBytes;
    // A dispatcher runs, so that something writes: a paused sink keeps its messages in memory and holds the slot.
    private boolean writing;
    private boolean warnedBudget;

    /** @param config the queue's config as of now, for the spill budget and the sink's name */
    Backlog(
            MessageStore store,
            GroupQueue q,
            AckTracker ack,
            Fences fences,
            QueueLock lock,
            Ticker ticker,
            PipelineMetrics metrics,
            Supplier<QueueConfig> config) {
        this.store = store;
        this.q = q;
        this.ack = ack;
        this.fences = fences;
        this.lock = lock;
        this.ticker = ticker;
        this.metrics = metrics;
        this.config = config;
    }

    boolean persistent() {
        return store.persistent();
    }

    /**
     * A failing group, or one a full buffer moves to the store: its messages, and those that join it until it is
     * delivered again, are to be stored.
     */
    void persist(GroupQueue.Group g) {
        if (store.persistent()) {
            g.persist = true;
            toPersist.add(g);
        }
    }

    /** Whether messages wait to be stored and the budget lets them. */
    boolean persisting() {
        return !toPersist.isEmpty() && withinBudget();
    }

    /** A dispatcher started or stopped running (holding the lock). */
    void writing(boolean on) {
        writing = on;
        if (on) {
            report(); // the budget, so that it shows before anything is stored
        }
    }

    /**
     * Whether a full buffer can move messages to the store now: there is one, it is not being waited for after a
     * failure, a dispatcher runs to write, and the spill budget is not used up (warned about once per spell).
     */
    boolean canStore(long now) {
        if (!store.persistent() || !writing || !storeUp(now)) {
            return false;
        }
        boolean within = withinBudget();
        if (!within && !warnedBudget) {
            warnedBudget = true;
            SinkSpec spec = config.get().spec();
            log.warn(
                    "sink {}: its spill budget (max_spill_mb: {}) in the message store is used up; its"
                            + " load_shedding_policy ({}) applies until deliveries free some of it",
                    spec.name(),
                    spec.maxSpillBytes() >> 20,
                    spec.loadShedding().name().toLowerCase(Locale.ROOT));
        } else if (within && warnedBudget) {
            warnedBudget = false;
            log.info(
                    "sink {}: its spill budget has room again",
                    config.get().spec().name());
        }
        return within;
    }

    private boolean withinBudget() {
        return storedBytes < config.get().spec().maxSpillBytes();
    }

    /** Bytes of the sink's live rows in the store. */
    long storedBytes() {
        return storedBytes;
    }

    /** Whether the spill budget is used up. */
    boolean budgetUsedUp() {
        return store.persistent() && !withinBudget();
    }

    /** A row read from the store at start, now counted against the budget. */
    void counted(MessageStore.Stored row) {
        storedBytes += row.json().length;
    }

    /** Reports the stored bytes and the budget to the metrics. */
    void report() {
        SinkSpec spec = config.get().spec();
        metrics.stored(spec.name(), storedBytes, spec.maxSpillBytes());
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
        } else if (m.stored || m.inStore) {
            toDelete.add(m.position);
        }
        if (m.inStore) {
            m.inStore = false;
            storedBytes -= m.storedSize;
            report();
        }
    }

    /** A truncate was delivered: groups marked to persist may store the messages that waited for it. */
    void fenceReleased() {
        if (!store.persistent()) {
            return;
        }
        for (GroupQueue.Group g : q.groups()) {
            if (g.persist) {
                toPersist.add(g);
            }
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

    /** Nanoseconds until store work is due: 0 now, -1 when there is none (or only what the budget holds back). */
    long storeDueIn(long now) {
        if ((!persisting() && toDelete.isEmpty() && toDiscard.isEmpty()) || !store.persistent()) {
            return -1;
        }
        return Math.max(0, storeRetryAt - now);
    }

    /**
     * Up to STORE_CHUNK messages of groups to persist that the store lacks, within the budget, and the positions to
     * remove; null when there is nothing to do after all (the groups' next messages wait for a truncate).
     */
    @Nullable
    StoreWork storeWork() {
        List<Msg> msgs = new ArrayList<>();
        List<GroupQueue.Group> owners = new ArrayList<>();
        List<MessageStore.Stored> rows = new ArrayList<>();
        long now = ticker.nanos();
        Instant wall = ticker.now();
        long budget = config.get().spec().maxSpillBytes() - storedBytes;
        List<Boolean> fresh = new ArrayList<>();
        for (Iterator<GroupQueue.Group> it = toPersist.iterator();
                it.hasNext() && msgs.size() < STORE_CHUNK && budget > 0; ) {
            GroupQueue.Group g = it.next();
            boolean all = true;
            for (Msg m : g.msgs) {
                if (m.stored) {
                    continue;
                }
                if (fences.active() && !fences.storable(m)) {
                    break; // its group is marked again when the truncate is delivered
                }
                if (msgs.size() == STORE_CHUNK) {
                    all = false;
                    break;
                }
                msgs.add(m);
                fresh.add(!m.inStore);
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
        if (msgs.isEmpty() && deletes.isEmpty() && discards.isEmpty()) {
            return null;
        }
        List<Integer> attempts = new ArrayList<>(msgs.size());
        msgs.forEach(m -> attempts.add(m.attempts));
        return new StoreWork(msgs, owners, attempts, fresh, rows, budget, deletes, discards);
    }

    /** Saves and deletes outside the lock (dispatcher thread); saved messages stop holding the slot. */
    void save(QueueConfig c, StoreWork w) {
        List<MessageStore.Stored> rows = new ArrayList<>(w.rows().size());
        List<byte[]> encoded = new ArrayList<>(w.msgs().size());
        long budget = w.budget();
        List<byte[]> jsons;
        try {
            // With reselect_unchanged_toast, what is stored has the values: a message loaded back has only its JSON.
            jsons = c.jsons(w.msgs());
        } catch (Exception e) {
            lock.lock.lock();
            try {
                saveFailed(c, w, e);
            } finally {
                lock.lock.unlock();
            }
            return;
        }
        for (int i = 0; i < w.msgs().size(); i++) {
            MessageStore.Stored r = w.rows().get(i);
            byte[] json = r.json().length > 0 ? r.json() : jsons.get(i);
            if (w.fresh().get(i)) {
                if (json.length > budget && i > 0) {
                    break; // the rest stay marked, for when deliveries have freed some of the budget
                }
                budget -= json.length;
            }
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
            requeue(w, encoded.size());
            List<Position> orphans = new ArrayList<>();
            for (int i = 0; i < encoded.size(); i++) {
                Msg m = w.msgs().get(i);

                if (m.finished) {
                    if (!m.discarded) {
                        orphans.add(m.position); // delivered while it was being saved
                    }
                    continue;
                }
                if (m.attempts == w.attempts().get(i)) {
                    m.stored = true;
                }
                if (!m.inStore) {
                    m.inStore = true;
                    m.storedSize = encoded.get(i).length;
                    storedBytes += m.storedSize;
                }
                ack.resolve(m);
            }
            storedVersion++;
            toDelete.addAll(orphans);
            ack.advance();
            report();
            lock.notFull.signalAll();
        } finally {
            lock.lock.unlock();
        }
    }

    // Holding the lock: the messages of w from index `from` on were not saved; their groups are marked again.
    private void requeue(StoreWork w, int from) {
        for (int i = from; i < w.msgs().size(); i++) {
            GroupQueue.Group g = w.groups().get(i);
            if (!w.msgs().get(i).finished && q.current(g)) {
                toPersist.add(g);
            }
        }
    }

    // Holding the lock: kept in memory, holding the slot as before; tried again shortly.
    private void saveFailed(QueueConfig c, StoreWork w, Exception failure) {
        toDelete.addAll(w.deletes());
        toDiscard.addAll(w.discards());
        requeue(w, 0);
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

    /** Changes whenever stored messages may be found in memory: saved, or loaded back. */
    long storedVersion() {
        return storedVersion;
    }

    /** Stored messages were loaded back into memory: a full buffer may drop them again. */
    void loadedBack() {
        storedVersion++;
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
