package dev.sluice.core.sink;

import dev.sluice.core.Change;
import org.jspecify.annotations.Nullable;

/**
 * A message as handed to a sink.
 *
 * @param change the row change it describes
 * @param json the Sequin-compatible message JSON, UTF-8; the sink must not modify it
 * @param groupId rows of one group are delivered in order, one batch at a time; null when the sink
 *     does not group
 * @param idempotencyKey stable across redeliveries of the same change
 */
public record SinkMessage(
        Change change, byte[] json, @Nullable String groupId, String idempotencyKey) {}
