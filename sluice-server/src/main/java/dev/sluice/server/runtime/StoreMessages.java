package dev.sluice.server.runtime;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.engine.MessageStore;
import dev.sluice.server.store.MetadataStore;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/** Sinks' failing messages in the metadata store. */
final class StoreMessages implements MessageStore {
    private static final int PAGE = 10_000;

    private final MetadataStore store;

    StoreMessages(MetadataStore store) {
        this.store = store;
    }

    @Override
    public void save(String sinkId, List<Stored> messages) throws SQLException {
        List<MetadataStore.MessageRow> rows = new ArrayList<>(messages.size());
        for (Stored m : messages) {
            rows.add(new MetadataStore.MessageRow(
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
                    m.nextAttemptAt()));
        }
        store.saveMessages(UUID.fromString(sinkId), rows);
    }

    @Override
    public void delete(String sinkId, List<Position> positions) throws SQLException {
        List<long[]> keys = new ArrayList<>(positions.size());
        positions.forEach(p -> keys.add(new long[] {p.commitLsn(), p.commitIdx()}));
        store.deleteMessages(UUID.fromString(sinkId), keys);
    }

    @Override
    public List<Stored> load(String sinkId) throws SQLException {
        List<Stored> out = new ArrayList<>();
        long[] after = null;
        while (true) {
            List<MetadataStore.MessageRow> page = store.messages(UUID.fromString(sinkId), null, after, PAGE);
            for (MetadataStore.MessageRow r : page) {
                out.add(stored(r));
            }
            if (page.size() < PAGE) {
                return out;
            }
            MetadataStore.MessageRow last = page.getLast();
            after = new long[] {last.commitLsn(), last.commitIdx()};
        }
    }

    static Stored stored(MetadataStore.MessageRow r) {
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
