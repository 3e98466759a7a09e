package dev.sluice.core;

import java.util.Objects;

/**
 * The per-sink and per-database parts of a message's {@code metadata}: who consumes it and where it
 * came from. Annotations are raw JSON objects ({@code "{}"} when none). {@code columns} says which columns of each
 * table the sink delivers: it is part of the context so that a message encoded under another selection (a backfill
 * page prepared before a change of it) is encoded again.
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
        TimestampFormat timestampFormat,
        ColumnSelection columns) {
    /** A context that delivers every column. */
    public MessageContext(
            String consumerId,
            String consumerName,
            String consumerAnnotationsJson,
            String databaseId,
            String databaseName,
            String databaseAnnotationsJson,
            String databaseDbName,
            String databaseHostname,
            TimestampFormat timestampFormat) {
        this(
                consumerId,
                consumerName,
                consumerAnnotationsJson,
                databaseId,
                databaseName,
                databaseAnnotationsJson,
                databaseDbName,
                databaseHostname,
                timestampFormat,
                ColumnSelection.ALL);
    }

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
        Objects.requireNonNull(columns);
    }
}
