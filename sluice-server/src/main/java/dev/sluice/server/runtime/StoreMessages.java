package dev.sluice.server.runtime;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.engine.MessageStore;
import dev.sluice.server.store.Fence;
import dev.sluice.server.store.MessageTable;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** Sinks' failing messages in the metadata store. */
final class StoreMessages implements MessageStore {
    private final MessageTable store;
    private final @Nullable Fence fence;

    /** @param fence the pipeline's lease, checked by every write */
    StoreMessages(MessageTable store, @Nullable Fence fence) {
        this.store = store;
        this.fence = fence;
    }

    @Override
    public void save(String sinkId, List<Stored> messages) throws SQLException {
        store.save(UUID.fromString(sinkId), rows(messages), fence);
    }

    @Override
    public void discarded(String sinkId, List<Stored> messages) throws SQLException {
        store.discard(UUID.fromString(sinkId), rows(messages), Instant.now(), fence);
    }

    private static List<MessageTable.MessageRow> rows(List<Stored> messages) {
        List<MessageTable.MessageRow> rows = new ArrayList<>(messages.size());
        for (Stored m : messages) {
            rows.add(new MessageTable.MessageRow(
                    m.position().commitLsn(),
                    m.position().commitIdx(),
                    m.groupId(),
                    m.idempotencyKey(),
                    m.table().schema(),
                    m.table().name(),
                    m.action().name().toLowerCase(Locale.ROOT),
                    m.committedAt(),
                    m.json(),
                    m.deliverCount(),
                    m.lastError(),
                    m.lastAttemptAt(),
                    m.nextAttemptAt(),
                    null));
        }
        return rows;
    }

    @Override
    public void delete(String sinkId, List<Position> positions) throws SQLException {
        List<long[]> keys = new ArrayList<>(positions.size());
        positions.forEach(p -> keys.add(key(p)));
        store.delete(UUID.fromString(sinkId), keys, fence);
    }

    @Override
    public List<Stored> load(String sinkId, @Nullable Position after, int limit, long maxBytes) throws SQLException {
        return stored(store.list(
                UUID.fromString(sinkId),
                MessageTable.MessageFilter.LIVE,
                MessageTable.Narrowing.NONE,
                after == null ? null : key(after),
                limit,
                maxBytes));
    }

    @Override
    public List<Stored> loadGroup(
            String sinkId,
            @Nullable String groupId,
            TableId table,
            Position after,
            Position upTo,
            int limit,
            long maxBytes)
            throws SQLException {
        return stored(store.group(
                UUID.fromString(sinkId),
                groupId,
                table.schema(),
                table.name(),
                key(after),
                key(upTo),
                limit,
                maxBytes));
    }

    private static long[] key(Position p) {
        return new long[] {p.commitLsn(), p.commitIdx()};
    }

    private static List<Stored> stored(List<MessageTable.MessageRow> rows) {
        List<Stored> out = new ArrayList<>(rows.size());
        rows.forEach(r -> out.add(stored(r)));
        return out;
    }

    static Stored stored(MessageTable.MessageRow r) {
        return new Stored(
                new Position(r.commitLsn(), r.commitIdx()),
                r.groupId(),
                r.idempotencyKey(),
                new TableId(r.tableSchema(), r.tableName()),
                Action.valueOf(r.action().toUpperCase(Locale.ROOT)),
                r.committedAt(),
                r.payload(),
                r.deliverCount(),
                r.lastError(),
                r.lastAttemptAt(),
                r.nextAttemptAt());
    }
}
