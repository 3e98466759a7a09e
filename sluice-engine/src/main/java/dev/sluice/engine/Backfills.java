package dev.sluice.engine;

import dev.sluice.core.Ticker;
import dev.sluice.engine.queue.SinkQueue;
import dev.sluice.postgres.replication.SourceSettings;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The backfills running on one database, by id. A backfill leaves it when it completes, fails or is stopped.
 *
 * <p>Concurrency: a concurrent map; the reader iterates it for every change a sink takes while any runs, the API
 * threads start and stop backfills.
 */
final class Backfills {
    private final Map<String, Backfill> running = new ConcurrentHashMap<>();
    private final String database;
    private final SourceSettings settings;
    private final Runnable whileWaiting;
    private final Ticker ticker;

    /** @param whileWaiting run by the reader about once a second while a sink has no room for a page's reads */
    Backfills(String database, SourceSettings settings, Runnable whileWaiting, Ticker ticker) {
        this.database = database;
        this.settings = settings;
        this.whileWaiting = whileWaiting;
        this.ticker = ticker;
    }

    /**
     * Starts a backfill into {@code sink}, with pages of {@code pageSize} rows (0: adaptive).
     *
     * @throws IllegalArgumentException when one with this id already runs
     */
    void start(BackfillSpec spec, SinkQueue sink, BackfillListener listener, int pageSize) {
        Backfill b = new Backfill(
                spec,
                settings,
                sink,
                listener,
                whileWaiting,
                database,
                done -> running.remove(spec.id(), done),
                pageSize,
                ticker);
        if (running.putIfAbsent(spec.id(), b) != null) {
            throw new IllegalArgumentException("backfill " + spec.id() + " is already running");
        }
        b.start();
    }

    /** Stops a backfill within its current page; returns whether it was running. */
    boolean stop(String backfillId) {
        Backfill b = running.remove(backfillId);
        if (b == null) {
            return false;
        }
        b.stop();
        return true;
    }

    /** Stops every backfill into the sink. */
    void stopInto(String sinkId) {
        for (Backfill b : List.copyOf(running.values())) {
            if (b.spec().sinkId().equals(sinkId)) {
                stop(b.spec().id());
            }
        }
    }

    void stopAll() {
        for (String id : List.copyOf(running.keySet())) {
            stop(id);
        }
    }

    boolean running(String backfillId) {
        return running.containsKey(backfillId);
    }

    @Nullable
    Backfill get(String backfillId) {
        return running.get(backfillId);
    }

    boolean isEmpty() {
        return running.isEmpty();
    }

    Collection<Backfill> all() {
        return running.values();
    }
}
