package dev.sluice.client;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A function sinks name as their {@code filter}, {@code transform}, {@code enrichment} or {@code routing}
 * (JavaScript, or SQL for an enrichment; see docs/functions.md).
 *
 * @param id its id (a UUID)
 * @param name its unique name
 * @param type {@code filter}, {@code transform}, {@code path}, {@code routing} or {@code enrichment}
 * @param description free text, or null
 * @param code its code, or null for a {@code path} function
 * @param path the path of a {@code path} function, or null
 * @param sinkType the sink type a routing function routes for, or null
 * @param usedBy the names of the sinks that use it
 * @param insertedAt when it was created, or null when the server did not say
 * @param updatedAt when it last changed, or null when the server did not say
 * @param raw the whole JSON object
 */
public record SinkFunction(
        String id,
        String name,
        String type,
        @Nullable String description,
        @Nullable String code,
        @Nullable String path,
        @Nullable String sinkType,
        List<String> usedBy,
        @Nullable Instant insertedAt,
        @Nullable Instant updatedAt,
        JsonNode raw) {

    static SinkFunction from(JsonNode n) {
        return new SinkFunction(
                Json.str(n, "id", ""),
                Json.str(n, "name", ""),
                Json.str(n, "type", ""),
                Json.str(n, "description"),
                Json.str(n, "code"),
                Json.str(n, "path"),
                Json.str(n, "sink_type"),
                Json.strings(n, "used_by"),
                Json.instant(n, "inserted_at"),
                Json.instant(n, "updated_at"),
                n);
    }
}
