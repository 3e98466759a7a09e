package dev.sluice.server.runtime;

import dev.sluice.engine.BackfillListener;
import dev.sluice.server.store.BackfillTable;
import dev.sluice.server.store.Fence;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one running backfill's reports into the {@code backfills} table. Progress is written at most once a
 * second (the engine may report more often); {@link #flush} writes the last one held back, after the backfill was
 * stopped. A lost progress write only makes a restart re-read a few rows, which the idempotency key absorbs.
 */
final class StoreBackfillListener implements BackfillListener {
    private static final Logger log = LoggerFactory.getLogger(StoreBackfillListener.class);
    private static final long WRITE_EVERY_NANOS = 1_000_000_000L;

    private record Pending(List<String> cursor, long processed, long ingested) {}

    private final BackfillTable store;
    private final UUID id;
    private final String sinkName;
    private final Ended ended;
    private volatile long processed;
    private volatile long ingested;
    private volatile @Nullable Long initial;
    // This run's start, for its rate.
    private final long runStartNanos = System.nanoTime();
    private final long runStartRows;
    private long lastWrite = System.nanoTime() - WRITE_EVERY_NANOS;
    private @Nullable Pending pending;

    /** Told once when the backfill has been recorded completed (error null) or failed. */
    interface Ended {
        void ended(long rowsProcessed, long rowsIngested, @Nullable String error);
    }

    /** The lease of the pipeline that runs the backfill: its writes are refused once another node took it. */
    private final @Nullable Fence fence;

    StoreBackfillListener(
            BackfillTable store,
            UUID id,
            String sinkName,
            @Nullable Long initial,
            long processed,
            long ingested,
            @Nullable Fence fence,
            Ended ended) {
        this.fence = fence;
        this.store = store;
        this.id = id;
        this.sinkName = sinkName;
        this.ended = ended;
        this.initial = initial;
        this.processed = processed;
        this.ingested = ingested;
        this.runStartRows = processed;
    }

    /** The expected row count, when known. */
    @Nullable
    Long initial() {
        return initial;
    }

    /** Seconds left at this run's rate so far; null before there is a count and a rate. */
    @Nullable
    Long etaSeconds() {
        long p = processed;
        return BackfillTable.BackfillRow.etaSeconds(
                initial, p, p - runStartRows, (System.nanoTime() - runStartNanos) / 1_000_000);
    }

    long processed() {
        return processed;
    }

    long ingested() {
        return ingested;
    }

    @Override
    public void counted(String backfillId, long rows, boolean exact) {
        initial = rows;
        try {
            store.counted(id, rows);
        } catch (SQLException e) {
            log.warn("sink {}: backfill {}: cannot save its row count: {}", sinkName, id, e.getMessage());
        }
    }

    @Override
    public void progressed(String backfillId, List<String> cursor, long rowsProcessed, long rowsIngested) {
        processed = rowsProcessed;
        ingested = rowsIngested;
        Pending p = new Pending(cursor, rowsProcessed, rowsIngested);
        synchronized (this) {
            long now = System.nanoTime();
            if (now - lastWrite < WRITE_EVERY_NANOS) {
                pending = p;
                return;
            }
            lastWrite = now;
            pending = null;
        }
        write(p);
    }

    /** Writes the progress held back, if any. */
    void flush() {
        Pending p;
        synchronized (this) {
            p = pending;
            pending = null;
        }
        if (p != null) {
            write(p);
        }
    }

    private void write(Pending p) {
        try {
            store.progressed(id, p.cursor(), p.processed(), p.ingested(), fence);
        } catch (SQLException e) {
            log.warn("sink {}: backfill {}: cannot save its progress: {}", sinkName, id, e.getMessage());
        }
    }

    @Override
    public void completed(String backfillId, long rowsProcessed, long rowsIngested) {
        processed = rowsProcessed;
        ingested = rowsIngested;
        synchronized (this) {
            pending = null;
        }
        finish(rowsProcessed, rowsIngested, null);
        log.info(
                "sink {}: backfill {} completed: {} rows read, {} delivered",
                sinkName,
                id,
                rowsProcessed,
                rowsIngested);
    }

    @Override
    public void failed(String backfillId, String error) {
        flush();
        finish(processed, ingested, error);
        log.warn("sink {}: backfill {} failed: {}", sinkName, id, error);
    }

    private void finish(long rowsProcessed, long rowsIngested, @Nullable String error) {
        boolean recorded;
        try {
            recorded = store.finished(id, rowsProcessed, rowsIngested, error, fence);
        } catch (SQLException e) {
            log.warn("sink {}: backfill {}: cannot save its end: {}", sinkName, id, e.getMessage());
            return;
        }
        if (recorded) {
            try {
                ended.ended(rowsProcessed, rowsIngested, error);
            } catch (RuntimeException e) {
                log.warn("sink {}: backfill {}: its end listener failed", sinkName, id, e);
            }
        }
    }
}
