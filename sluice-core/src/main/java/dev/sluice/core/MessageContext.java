package dev.sluice.core;

import java.util.Objects;

/**
 * The per-sink and per-database parts of a message's {@code metadata}: who consumes it and where it
 * came from. Annotations are raw JSON objects ({@code "{}"} when none).
 */
public record MessageContext(
        String consumerId,
        String consumerName,
        String consumerAnnotationsJson,
        String databaseId,
        String databaseName,
        String databaseAnnotationsJson,
        String databaseDbName,
        String databaseHostname,
        TimestampFormat timestampFormat) {
    public MessageContext {
        Objects.requireNonNull(consumerId);
        Objects.requireNonNull(consumerName);
        Objects.requireNonNull(consumerAnnotationsJson);
        Objects.requireNonNull(databaseId);
        Objects.requireNonNull(databaseName);
        Objects.requireNonNull(databaseAnnotationsJson);
        Objects.requireNonNull(databaseDbName);
        Objects.requireNonNull(databaseHostname);
        Objects.requireNonNull(timestampFormat);
    }
}
