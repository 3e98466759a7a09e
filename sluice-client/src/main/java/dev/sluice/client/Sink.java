package dev.sluice.client;

import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A sink: what a database's changes are delivered to. Destinations differ by type; read the type's settings from
 * {@link #destination()}.
 *
 * @param id its id (a UUID)
 * @param name its unique name
 * @param status {@code active}, {@code paused} or {@code disabled}
 * @param database the name of the database it reads
 * @param destinationType the destination's {@code type} ({@code webhook}, {@code kafka}, {@code sqs}, ...)
 * @param destination the destination object as the server shows it (credentials masked)
 * @param batchSize messages per delivery at most
 * @param health the health status ({@code healthy}, {@code warning}, {@code error}, {@code paused},
 *     {@code initializing}), or null when the server sent none
 * @param lastError the last delivery error while failing, or null
 * @param activeBackfills its active and paused backfills
 * @param raw the whole JSON object (source, tables, functions, health checks, status_info, ...)
 */
public record Sink(
        String id,
        String name,
        String status,
        @Nullable String database,
        @Nullable String destinationType,
        JsonNode destination,
        int batchSize,
        @Nullable String health,
        @Nullable String lastError,
        List<Backfill> activeBackfills,
        JsonNode raw) {

    /** Whether it is paused: not delivering, buffering what arrives, still holding the slot's position. */
    public boolean isPaused() {
        return "paused".equals(status);
    }

    /** Whether it is disabled: out of the pipeline; changes made meanwhile are not delivered to it. */
    public boolean isDisabled() {
        return "disabled".equals(status);
    }

    /** Whether it is active (delivering, or trying to). */
    public boolean isActive() {
        return "active".equals(status);
    }

    static Sink from(JsonNode n) {
        Integer batch = Json.intOrNull(n, "batch_size");
        return new Sink(
                Json.str(n, "id", ""),
                Json.str(n, "name", ""),
                Json.str(n, "status", "active"),
                Json.str(n, "database"),
                Json.str(n.path("destination"), "type"),
                Json.node(n, "destination"),
                batch == null ? 1 : batch,
                Json.str(n.path("health"), "status"),
                Json.str(n.path("status_info"), "last_error"),
                Json.list(n, "active_backfills", Backfill::from),
                n);
    }
}
