package dev.sluice.core.sink;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A message as handed to a sink: the encoded JSON and what a sink may need to route it. It holds no decoded row,
 * because a message restored from the metadata store after a restart has only its JSON.
 *
 * @param position where the change is in the source (commit LSN, index in the transaction)
 * @param table the table the change is from
 * @param action insert, update, delete, read or truncate (a whole table emptied: no row, see {@link Action#TRUNCATE})
 * @param committedAt commit time of the change's transaction
 * @param json the Sequin-compatible message JSON, UTF-8; the sink must not modify it
 * @param groupId rows of one group are delivered in order, one batch at a time; null when the sink
 *     does not group
 * @param idempotencyKey stable across redeliveries of the same change
 * @param routing what the sink's routing function set for this message (only keys of its type's {@link
 *     SinkProvider#routingKeys()}, checked): each key overrides the sink's own setting; null when the sink has no
 *     routing function. Messages of one batch all have equal routing.
 * @param sourceJson the message JSON before the sink's functions ran, the same array as {@code json} when none did:
 *     what a sink reads the change's own facts from when a transform may have left them out (a search index's
 *     document id from {@code metadata.record_pks})
 */
public record SinkMessage(
        Position position,
        TableId table,
        Action action,
        Instant committedAt,
        byte[] json,
        @Nullable String groupId,
        String idempotencyKey,
        @Nullable Map<String, Object> routing,
        byte[] sourceJson) {
    public SinkMessage {
        // Values may be null (a routed message_key of null): no Map.copyOf.
        routing = routing == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(routing));
    }

    /** A message as encoded, before any function ran. */
    public SinkMessage(
            Position position,
            TableId table,
            Action action,
            Instant committedAt,
            byte[] json,
            @Nullable String groupId,
            String idempotencyKey,
            @Nullable Map<String, Object> routing) {
        this(position, table, action, committedAt, json, groupId, idempotencyKey, routing, json);
    }

    /** A message with no routing function. */
    public SinkMessage(
            Position position,
            TableId table,
            Action action,
            Instant committedAt,
            byte[] json,
            @Nullable String groupId,
            String idempotencyKey) {
        this(position, table, action, committedAt, json, groupId, idempotencyKey, null, json);
    }

    /** The same message with another payload and routing (a function's result); {@link #sourceJson} stays. */
    public SinkMessage with(byte[] json, @Nullable Map<String, Object> routing) {
        return new SinkMessage(
                position, table, action, committedAt, json, groupId, idempotencyKey, routing, sourceJson);
    }
}
