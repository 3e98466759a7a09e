package dev.sluice.client;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A backfill: the rows a table already holds, delivered to a sink as {@code read} messages.
 *
 * @param id its id (a UUID)
 * @param state {@code active}, {@code paused}, {@code completed}, {@code cancelled} or {@code failed}
 * @param table {@code schema.table}
 * @param sinkName the sink's name
 * @param sortColumn the column it reads in the order of, or null for the primary key
 * @param startPosition the least sort column value read, or null for the whole table
 * @param rowsInitialCount rows expected (an estimate, then exact when cheap), or null until counted
 * @param rowsProcessedCount rows read
 * @param rowsIngestedCount rows handed to the sink
 * @param eta the time left at the current rate, or null when not computable
 * @param error why a failed backfill stopped, or null
 * @param insertedAt when it was created
 * @param updatedAt when it last changed
 * @param completedAt when it completed, or null
 * @param canceledAt when it was cancelled, or null
 * @param failedAt when it failed, or null
 * @param raw the whole JSON object
 */
public record Backfill(
        String id,
        String state,
        String table,
        @Nullable String sinkName,
        @Nullable String sortColumn,
        @Nullable String startPosition,
        @Nullable Long rowsInitialCount,
        long rowsProcessedCount,
        long rowsIngestedCount,
        @Nullable Duration eta,
        @Nullable String error,
        @Nullable Instant insertedAt,
        @Nullable Instant updatedAt,
        @Nullable Instant completedAt,
        @Nullable Instant canceledAt,
        @Nullable Instant failedAt,
        JsonNode raw) {

    /** Whether it has ended: completed, cancelled or failed (it will not change any more). */
    public boolean isDone() {
        return state.equals("completed") || state.equals("cancelled") || state.equals("failed");
    }

    /** Whether it is running. */
    public boolean isActive() {
        return state.equals("active");
    }

    /** Whether it is paused (it resumes from its cursor). */
    public boolean isPaused() {
        return state.equals("paused");
    }

    static Backfill from(JsonNode n) {
        return new Backfill(
                Json.str(n, "id", ""),
                Json.str(n, "state", ""),
                Json.str(n, "table", ""),
                Json.str(n, "sink_consumer"),
                Json.str(n, "sort_column"),
                Json.str(n, "start_position"),
                Json.longOrNull(n, "rows_initial_count"),
                Json.longOr(n, "rows_processed_count", 0),
                Json.longOr(n, "rows_ingested_count", 0),
                Json.seconds(n, "eta_seconds"),
                Json.str(n, "error"),
                Json.instant(n, "inserted_at"),
                Json.instant(n, "updated_at"),
                Json.instant(n, "completed_at"),
                Json.instant(n, "canceled_at"),
                Json.instant(n, "failed_at"),
                n);
    }
}
