package dev.sluice.engine;

import dev.sluice.core.Action;
import dev.sluice.core.MessageContext;
import dev.sluice.core.TableId;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * What the engine needs to know about one sink: which changes it takes and how they are delivered.
 *
 * @param tables which tables the sink captures
 * @param actions which actions it captures
 * @param groupColumns per table, the columns whose values form the group id (default: primary key)
 * @param messageGrouping false: messages have no group id
 * @param batchSize most messages per delivery
 * @param batchTimeout how long a partial batch waits for more messages
 * @param maxRetryCount failed deliveries of a message beyond the first after which it is discarded;
 *     null retries forever
 * @param maxQueueBytes bound on the messages buffered for this sink in memory
 * @param maxInFlight most batches in delivery at once (for different groups)
 * @param loadShedding what to do with new messages when the buffer is full and cannot spill to the message store
 *     (no store, the store down, the sink paused, or its spill budget used up)
 * @param retry the back-off of a failing group
 * @param maxSpillBytes the spill budget: how many bytes of this sink's messages (their JSON) the message store may
 *     hold. A full buffer moves its backlog there, so that the slot and the other sinks go on, until this is used up;
 *     0 never stores a message (failing groups' messages then hold the slot too)
 * @param functions the sink's user functions, applied to each batch as it goes out; {@link MessageFunctions#NONE}
 *     for none
 * @param reselectUnchangedToast fill an update's unchanged TOAST columns with the row's current values, read from
 *     the source by primary key as the message goes out (or is stored), instead of the {@code "unchanged_toast"}
 *     placeholder; a row gone by then keeps the placeholder
 */
public record SinkSpec(
        String id,
        String name,
        Predicate<TableId> tables,
        Set<Action> actions,
        Map<TableId, List<String>> groupColumns,
        boolean messageGrouping,
        int batchSize,
        Duration batchTimeout,
        @Nullable Integer maxRetryCount,
        SinkState state,
        MessageContext context,
        long maxQueueBytes,
        int maxInFlight,
        LoadShedding loadShedding,
        RetryPolicy retry,
        long maxSpillBytes,
        MessageFunctions functions,
        boolean reselectUnchangedToast) {
    /** Batches in delivery at once unless configured. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 32;

    /**
     * The spill budget unless configured: 1 GiB, about half an hour of a 500 changes/s stream of 1 KiB rows for a sink
     * that is down, while one dead destination cannot fill the metadata database's disk (see docs/delivery.md).
     */
    public static final long DEFAULT_MAX_SPILL_BYTES = 1L << 30;

    /** A spec with the default concurrency and spill budget that stops reading when full. */
    public SinkSpec(
            String id,
            String name,
            Predicate<TableId> tables,
            Set<Action> actions,
            Map<TableId, List<String>> groupColumns,
            boolean messageGrouping,
            int batchSize,
            Duration batchTimeout,
            @Nullable Integer maxRetryCount,
            SinkState state,
            MessageContext context,
            long maxQueueBytes) {
        this(
                id,
                name,
                tables,
                actions,
                groupColumns,
                messageGrouping,
                batchSize,
                batchTimeout,
                maxRetryCount,
                state,
                context,
                maxQueueBytes,
                DEFAULT_MAX_IN_FLIGHT,
                LoadShedding.PAUSE_ON_FULL,
                RetryPolicy.DELIVERY,
                DEFAULT_MAX_SPILL_BYTES);
    }

    /** A spec without functions. */
    public SinkSpec(
            String id,
            String name,
            Predicate<TableId> tables,
            Set<Action> actions,
            Map<TableId, List<String>> groupColumns,
            boolean messageGrouping,
            int batchSize,
            Duration batchTimeout,
            @Nullable Integer maxRetryCount,
            SinkState state,
            MessageContext context,
            long maxQueueBytes,
            int maxInFlight,
            LoadShedding loadShedding,
            RetryPolicy retry,
            long maxSpillBytes) {
        this(
                id,
                name,
                tables,
                actions,
                groupColumns,
                messageGrouping,
                batchSize,
                batchTimeout,
                maxRetryCount,
                state,
                context,
                maxQueueBytes,
                maxInFlight,
                loadShedding,
                retry,
                maxSpillBytes,
                MessageFunctions.NONE,
                false);
    }

    /** The same spec with other functions. */
    public SinkSpec withFunctions(MessageFunctions functions) {
        return with(functions, reselectUnchangedToast);
    }

    /** The same spec, filling unchanged TOAST columns from the source or not. */
    public SinkSpec withReselectUnchangedToast(boolean reselect) {
        return with(functions, reselect);
    }

    private SinkSpec with(MessageFunctions functions, boolean reselectUnchangedToast) {
        return new SinkSpec(
                id,
                name,
                tables,
                actions,
                groupColumns,
                messageGrouping,
                batchSize,
                batchTimeout,
                maxRetryCount,
                state,
                context,
                maxQueueBytes,
                maxInFlight,
                loadShedding,
                retry,
                maxSpillBytes,
                functions,
                reselectUnchangedToast);
    }

    public SinkSpec {
        Objects.requireNonNull(id);
        Objects.requireNonNull(name);
        Objects.requireNonNull(retry);
        Objects.requireNonNull(loadShedding);
        Objects.requireNonNull(functions);
        actions = Set.copyOf(actions);
        groupColumns = Map.copyOf(groupColumns);
        if (batchSize < 1 || batchSize > 1000) {
            throw new IllegalArgumentException("batch_size must be between 1 and 1000, got " + batchSize);
        }
        if (maxRetryCount != null && maxRetryCount < 0) {
            throw new IllegalArgumentException("max_retry_count must be >= 0, got " + maxRetryCount);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
        }
        if (maxQueueBytes < 1024) {
            throw new IllegalArgumentException("queue bound must be at least 1 KiB, got " + maxQueueBytes);
        }
        if (maxSpillBytes < 0) {
            throw new IllegalArgumentException("spill budget must not be negative, got " + maxSpillBytes);
        }
    }
}
