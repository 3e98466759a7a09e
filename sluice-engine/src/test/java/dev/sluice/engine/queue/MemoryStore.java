package dev.sluice.engine.queue;

import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.engine.MessageStore;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/** A message store in memory, for one sink, that can be made to fail. */
final class MemoryStore implements MessageStore {
    final ConcurrentSkipListMap<Position, Stored> rows = new ConcurrentSkipListMap<>();
    final ConcurrentSkipListMap<Position, Stored> discarded = new ConcurrentSkipListMap<>();
    final AtomicInteger groupLoads = new AtomicInteger();
    final AtomicInteger scans = new AtomicInteger();
    volatile boolean down;

    @Override
    public void save(String sinkId, List<Stored> messages) {
        up();
        messages.forEach(m -> rows.put(m.position(), m));
    }

    @Override
    public void delete(String sinkId, List<Position> positions) {
        up();
        positions.forEach(rows::remove);
    }

    @Override
    public void discarded(String sinkId, List<Stored> messages) {
        up();
        messages.forEach(m -> {
            rows.remove(m.position());
            discarded.put(m.position(), m);
        });
    }

    @Override
    public List<Stored> load(String sinkId, @Nullable Position after, int limit, long maxBytes) {
        up();
        scans.incrementAndGet();
        return withinBytes(
                (after == null ? rows : rows.tailMap(after, false))
                        .values().stream().limit(limit).toList(),
                maxBytes);
    }

    // As the real store: rows until their JSON reaches maxBytes, the row that reaches it included.
    private static List<Stored> withinBytes(List<Stored> rows, long maxBytes) {
        long sum = 0;
        for (int i = 0; i < rows.size(); i++) {
            if (sum >= maxBytes) {
                return rows.subList(0, i);
            }
            sum += rows.get(i).json().length;
        }
        return rows;
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
        up();
        groupLoads.incrementAndGet();
        return withinBytes(
                rows.subMap(after, false, upTo, true).values().stream()
                        .filter(m -> groupId == null
                                ? m.groupId() == null && m.table().equals(table)
                                : groupId.equals(m.groupId()))
                        .limit(limit)
                        .toList(),
                maxBytes);
    }

    /** Bytes of the live rows' JSON. */
    long bytes() {
        return rows.values().stream().mapToLong(r -> r.json().length).sum();
    }

    private void up() {
        if (down) {
            throw new IllegalStateException("store is down");
        }
    }
}
