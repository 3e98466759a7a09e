package dev.sluice.client;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Where a sink stands: {@link Sinks#status}.
 *
 * @param sinkId the sink's id
 * @param sinkName the sink's name
 * @param status {@code active}, {@code paused} or {@code disabled}
 * @param health {@code healthy}, {@code warning}, {@code error}, ... or null
 * @param lastDeliveredAt when a message was last delivered, or null
 * @param messagesPending messages queued for it
 * @param messagesFailing messages whose delivery failed and waits for a retry
 * @param lagBytes WAL bytes behind, or null when unknown
 * @param lag time behind, or null when unknown
 * @param throughputPerMinute messages delivered over the last minute
 * @param currentBackfill the backfill running, or null
 * @param raw the whole JSON object
 */
public record SyncStatus(
        String sinkId,
        String sinkName,
        @Nullable String status,
        @Nullable String health,
        @Nullable Instant lastDeliveredAt,
        long messagesPending,
        long messagesFailing,
        @Nullable Long lagBytes,
        @Nullable Duration lag,
        double throughputPerMinute,
        @Nullable Backfill currentBackfill,
        JsonNode raw) {

    static SyncStatus from(JsonNode n) {
        JsonNode sink = n.path("sink");
        JsonNode health = n.path("health");
        JsonNode backfill = n.path("current_backfill");
        Double throughput = Json.doubleOrNull(n, "throughput_per_minute");
        return new SyncStatus(
                Json.str(sink, "id", ""),
                Json.str(sink, "name", ""),
                Json.str(n, "status"),
                health.isObject() ? Json.str(health, "status") : Json.str(n, "health"),
                Json.instant(n, "last_delivered_at"),
                Json.longOr(n, "messages_pending", 0),
                Json.longOr(n, "messages_failing", 0),
                Json.longOrNull(n, "lag_bytes"),
                Json.seconds(n, "lag_seconds"),
                throughput == null ? 0 : throughput,
                backfill.isObject() ? Backfill.from(backfill) : null,
                n);
    }
}
