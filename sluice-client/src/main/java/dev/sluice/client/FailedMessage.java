package dev.sluice.client;

import java.time.Instant;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A message of a sink kept in Sluice's metadata store because its delivery failed, or because it waits behind a
 * failed message of its row, or because it was given up on.
 *
 * @param id commit LSN and index, {@code 23475832-0}
 * @param state {@code failed}, {@code pending} (behind a failed one) or {@code discarded}
 * @param groupId the group (row) it belongs to, or null
 * @param table {@code schema.table}
 * @param action {@code insert}, {@code update}, {@code delete}, {@code read} or {@code truncate}
 * @param deliverCount failed delivery attempts so far
 * @param lastError the last delivery error, or null
 * @param committedAt when its transaction committed
 * @param nextAttemptAt when its row is retried next, or null
 * @param discardedAt when it was discarded, or null
 * @param data the message as the sink receives it
 * @param raw the whole JSON object
 */
public record FailedMessage(
        String id,
        String state,
        @Nullable String groupId,
        String table,
        @Nullable String action,
        int deliverCount,
        @Nullable String lastError,
        @Nullable Instant committedAt,
        @Nullable Instant nextAttemptAt,
        @Nullable Instant discardedAt,
        JsonNode data,
        JsonNode raw) {

    static FailedMessage from(JsonNode n) {
        Integer count = Json.intOrNull(n, "deliver_count");
        return new FailedMessage(
                Json.str(n, "id", ""),
                Json.str(n, "state", ""),
                Json.str(n, "group_id"),
                Json.str(n, "table_schema", "") + "." + Json.str(n, "table_name", ""),
                Json.str(n, "action"),
                count == null ? 0 : count,
                Json.str(n, "last_error"),
                Json.instant(n, "committed_at"),
                Json.instant(n, "next_attempt_at"),
                Json.instant(n, "discarded_at"),
                Json.node(n, "data"),
                n);
    }
}
