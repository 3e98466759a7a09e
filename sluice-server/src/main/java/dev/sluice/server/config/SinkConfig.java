package dev.sluice.server.config;

import dev.sluice.core.Action;
import dev.sluice.core.TimestampFormat;
import dev.sluice.engine.LoadShedding;
import dev.sluice.server.destination.Destination;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A sink: changes of some tables of one database, delivered to one destination.
 *
 * @param name unique among sinks
 * @param database the name of a {@link DatabaseConfig}
 * @param source which tables are delivered
 * @param tables per-table settings
 * @param actions which actions are delivered (backfill reads always are); not empty
 * @param destination where messages go, of any type
 * @param batchSize at most this many messages per delivery, 1 to 1000; when not given, the destination type's
 *     default
 * @param maxMemoryMb bound on the messages buffered for the sink, in MiB; when full, its backlog moves to the
 *     metadata store (see {@code maxSpillMb}), or reading the slot pauses until there is room
 * @param maxSpillMb the spill budget, in MiB: how much of the sink's messages the metadata store may hold (failing
 *     ones, and a full buffer's backlog); 0 stores none
 * @param status whether the sink runs
 * @param maxRetryCount deliveries of one message before it is given up, or null to retry forever
 * @param messageGrouping whether messages are ordered per group (primary key or group columns)
 * @param timestampFormat how date-time values are written
 * @param annotationsJson a JSON object added to every message's metadata
 * @param loadSheddingPolicy what a full queue does
 * @param retryBackoffMs the first retry waits about this long (then twice as long each time, with jitter)
 * @param maxRetryBackoffMs no retry waits longer
 * @param functions the functions it applies, by name
 * @param initialBackfills the backfills to create with the sink, one per table (Sequin's list form), or empty; not
 *     stored (they only act on creation)
 * @param reselectUnchangedToast fill an update's unchanged TOAST columns with the row's current values, read from the
 *     source, instead of the {@code "unchanged_toast"} placeholder
 */
public record SinkConfig(
        String name,
        String database,
        SourceFilter source,
        List<TableConfig> tables,
        Set<Action> actions,
        Destination destination,
        int batchSize,
        int maxMemoryMb,
        int maxSpillMb,
        SinkStatus status,
        @Nullable Integer maxRetryCount,
        boolean messageGrouping,
        TimestampFormat timestampFormat,
        String annotationsJson,
        LoadShedding loadSheddingPolicy,
        long retryBackoffMs,
        long maxRetryBackoffMs,
        FunctionRefs functions,
        List<InitialBackfill> initialBackfills,
        boolean reselectUnchangedToast) {
    public static final long DEFAULT_RETRY_BACKOFF_MS = 1_000;
    public static final long DEFAULT_MAX_RETRY_BACKOFF_MS = 600_000;
    static final long MAX_BACKOFF_MS = 86_400_000;
    static final int MAX_BATCH_SIZE = 1000;
    static final int DEFAULT_MEMORY_MB = 128;
    static final int MAX_MEMORY_MB = 65_536;
    // As SinkSpec.DEFAULT_MAX_SPILL_BYTES: a dead destination can hold a long outage without filling the disk.
    static final int DEFAULT_SPILL_MB = 1024;
    static final int MAX_SPILL_MB = 1_048_576;

    public SinkConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(loadSheddingPolicy, "loadSheddingPolicy");
        Objects.requireNonNull(timestampFormat, "timestampFormat");
        Objects.requireNonNull(annotationsJson, "annotationsJson");
        Objects.requireNonNull(functions, "functions");
        tables = List.copyOf(tables);
        initialBackfills = List.copyOf(initialBackfills);
        if (actions.isEmpty()) {
            throw new IllegalArgumentException("actions must not be empty");
        }
        actions = Collections.unmodifiableSet(EnumSet.copyOf(actions));
        if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
            throw new IllegalArgumentException("batchSize must be between 1 and 1000, got " + batchSize);
        }
        if (maxMemoryMb < 1 || maxMemoryMb > MAX_MEMORY_MB) {
            throw new IllegalArgumentException("maxMemoryMb must be between 1 and 65536, got " + maxMemoryMb);
        }
        if (maxSpillMb < 0 || maxSpillMb > MAX_SPILL_MB) {
            throw new IllegalArgumentException("maxSpillMb must be between 0 and 1048576, got " + maxSpillMb);
        }
        if (maxRetryCount != null && maxRetryCount < 0) {
            throw new IllegalArgumentException("maxRetryCount must be at least 0, got " + maxRetryCount);
        }
        if (retryBackoffMs < 1 || maxRetryBackoffMs < retryBackoffMs || maxRetryBackoffMs > MAX_BACKOFF_MS) {
            throw new IllegalArgumentException("retry back-off must satisfy 1 <= initial <= max <= 86400000 ms, got "
                    + retryBackoffMs + " and " + maxRetryBackoffMs);
        }
    }
}
