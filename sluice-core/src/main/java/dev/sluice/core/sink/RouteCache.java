package dev.sluice.core.sink;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * What a sink made of the routed values it has seen (a checked queue URL and its client calls, a joined webhook
 * path), so that a routing function's value is checked and prepared once, not per batch. Bounded: the least recently
 * used entry goes first, so a routing function that makes a new value per message cannot grow it without end.
 *
 * <p>Thread-safe; {@code make} runs under its lock and should not block.
 *
 * @param <V> what a routed value becomes
 */
public final class RouteCache<V> {
    private final Map<String, V> entries;

    /** Keeps at most {@code capacity} entries. */
    public RouteCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > capacity;
            }
        };
    }

    /**
     * The entry of {@code value}, made by {@code make} when there is none; what {@code make} throws (an invalid
     * value) reaches the caller and nothing is kept.
     */
    public V get(String value, Function<String, V> make) {
        synchronized (entries) {
            V v = entries.get(value);
            if (v == null) {
                v = make.apply(value);
                entries.put(value, v);
            }
            return v;
        }
    }
}
