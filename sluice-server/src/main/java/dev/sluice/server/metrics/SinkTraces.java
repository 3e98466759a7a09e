package dev.sluice.server.metrics;

import dev.sluice.engine.DeliveryTrace;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * Who watches which sink's deliveries: the console's live trace pages, each registered while it is open. Keyed by
 * sink name, so a watcher keeps watching when the sink is reconfigured or restarted. With nobody watching, {@link
 * #get} is one lookup in an empty map, and the engine delivers untraced.
 */
public final class SinkTraces {
    private final Map<String, List<DeliveryTrace>> watchers = new ConcurrentHashMap<>();

    /** Tells {@code trace} of each delivery of sink {@code sink} until the returned handle is closed. */
    public AutoCloseable watch(String sink, DeliveryTrace trace) {
        watchers.computeIfAbsent(sink, k -> new CopyOnWriteArrayList<>()).add(trace);
        return () -> watchers.computeIfPresent(sink, (k, list) -> {
            list.remove(trace);
            return list.isEmpty() ? null : list;
        });
    }

    /** The watchers of {@code sink} as one, or null when there are none. */
    @Nullable
    DeliveryTrace get(String sink) {
        if (watchers.isEmpty()) {
            return null;
        }
        List<DeliveryTrace> list = watchers.get(sink);
        if (list == null) {
            return null;
        }
        return (batch, exchange, failure, took) -> {
            for (DeliveryTrace t : list) {
                t.delivered(batch, exchange, failure, took);
            }
        };
    }
}
