package dev.sluice.core.sink;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A message as handed to a sink: the encoded JSON and what a sink may need to route it. It holds no decoded row,
 * because a message restored from the metadata store after a restart has only its JSON.
 *
 * @param position where the change is in the source (commit LSN, index in the transaction)
 * @param table the table the change is from
 * @param action insert, update, delete or read
 * @param committedAt commit time of the change's transaction
 * @param json the Sequin-compatible message JSON, UTF-8; the sink must not modify it
 * @param groupId rows of one group are delivered in order, one batch at a time; null when the sink
 *     does not group
 * @param idempotencyKey stable across redeliveries of the same change
 */
public record SinkMessage(
        Position position,
        TableId table,
        Action action,
        Instant committedAt,
        byte[] json,
        @Nullable String groupId,
        String idempotencyKey) {}
