package dev.sluice.engine;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where a sink keeps the messages of its failing groups: a message whose delivery failed, and the messages of its
 * group queued behind it. Once stored, a message no longer holds the replication slot; it is delivered from memory
 * or, when memory ran short or after a restart, loaded back from here, and removed when delivered. Discarded
 * messages are kept apart for inspection and never loaded back.
 *
 * <p>Called from the sink's dispatcher thread (saves, deletes, group loads) and from the thread adding the sink
 * (loads).
 */
public interface MessageStore {
    /**
     * One stored message.
     *
     * @param groupId the message's group id as delivered; null without one
     * @param json the encoded message, as delivered
     * @param deliverCount failed delivery attempts so far (0: waiting behind a failed message of its group)
     */
    record Stored(
            Position position,
            @Nullable String groupId,
            String idempotencyKey,
            TableId table,
            Action action,
            Instant committedAt,
            byte[] json,
            int deliverCount,
            @Nullable String lastError,
            @Nullable Instant lastAttemptAt,
            @Nullable Instant nextAttemptAt) {
        public Stored {
            Objects.requireNonNull(position);
            Objects.requireNonNull(idempotencyKey);
            Objects.requireNonNull(table);
            Objects.requireNonNull(action);
            Objects.requireNonNull(committedAt);
            Objects.requireNonNull(json);
        }
    }

    /** Inserts or replaces (by position) the given messages of a sink. */
    void save(String sinkId, List<Stored> messages) throws Exception;

    /** Removes the given messages of a sink; absent ones are ignored. */
    void delete(String sinkId, List<Position> positions) throws Exception;

    /**
     * Records messages given up on (out of attempts, or discarded on request) so that they can be inspected; a live
     * row at the same position becomes a discarded one. The store may drop old ones.
     */
    void discarded(String sinkId, List<Stored> messages) throws Exception;

    /**
     * A sink's live (not discarded) stored messages in position order, after {@code after} when given: at most
     * {@code limit}, and only until their JSON reaches {@code maxBytes} in all, the row that reaches it included (so
     * at least one; rows may be large, and a count alone would not bound the memory a load takes). More may follow
     * when {@code limit} rows came or their JSON reached {@code maxBytes}: see {@link #more}.
     */
    List<Stored> load(String sinkId, @Nullable Position after, int limit, long maxBytes) throws Exception;

    /**
     * One group's live stored messages with positions in ({@code after}, {@code upTo}], in position order: those with
     * group id {@code groupId}, or, when it is null, those of {@code table} without a group id; bounded as {@link
     * #load}.
     */
    List<Stored> loadGroup(
            String sinkId,
            @Nullable String groupId,
            TableId table,
            Position after,
            Position upTo,
            int limit,
            long maxBytes)
            throws Exception;

    /** Whether rows the store may still hold follow {@code loaded}, a load with these bounds. */
    static boolean more(List<Stored> loaded, int limit, long maxBytes) {
        if (loaded.size() >= limit) {
            return true;
        }
        long bytes = 0;
        for (Stored s : loaded) {
            bytes += s.json().length;
        }
        return bytes >= maxBytes;
    }

    /** False for {@link #NONE}: failing messages then stay in memory and hold the slot. */
    default boolean persistent() {
        return true;
    }

    /** Stores nothing. */
    MessageStore NONE = new MessageStore() {
        @Override
        public void save(String sinkId, List<Stored> messages) {
            throw new UnsupportedOperationException("no message store");
        }

        @Override
        public void delete(String sinkId, List<Position> positions) {}

        @Override
        public void discarded(String sinkId, List<Stored> messages) {}

        @Override
        public List<Stored> load(String sinkId, @Nullable Position after, int limit, long maxBytes) {
            return List.of();
        }

        @Override
        public List<Stored> loadGroup(
                String sinkId,
                @Nullable String groupId,
                TableId table,
                Position after,
                Position upTo,
                int limit,
                long maxBytes) {
            return List.of();
        }

        @Override
        public boolean persistent() {
            return false;
        }
    };
}
