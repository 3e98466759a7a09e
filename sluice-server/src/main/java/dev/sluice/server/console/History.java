package dev.sluice.server.console;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.metrics.SluiceMetrics;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last {@link #SAMPLES} seconds of every sink's and database's numbers, sampled once a second from the running
 * pipelines and the meters, for the console's charts and sparklines. Kept in memory only: a restarted server starts
 * with empty charts (the Prometheus endpoint is the place for long history).
 */
final class History {
    static final int SAMPLES = 600;

    /**
     * One second of a sink.
     *
     * @param delivered messages per second delivered since the previous sample
     * @param p50Millis median delivery latency of the batches delivered since the previous sample (upper bound of
     *     its bucket); NaN when none was
     * @param backlog messages buffered or stored, not yet delivered
     * @param bytesPerSecond bytes of message JSON per second delivered since the previous sample
     * @param storedBytes bytes of the sink's messages in the metadata store (failing, or spilled)
     */
    record SinkPoint(
            long epochSecond,
            double delivered,
            double p50Millis,
            double p99Millis,
            double lagSeconds,
            long backlog,
            int failingGroups,
            double bytesPerSecond,
            long storedBytes) {}

    /** One second of a database: WAL bytes its slot holds back (negative while unknown). */
    record DatabasePoint(long epochSecond, long slotLagBytes) {}

    private record Previous(long at, SluiceMetrics.SinkCounts counts) {}

    private final ConsoleServices services;
    private final Map<String, ArrayDeque<SinkPoint>> sinks = new ConcurrentHashMap<>();
    private final Map<String, ArrayDeque<DatabasePoint>> databases = new ConcurrentHashMap<>();
    private final Map<String, Previous> previous = new HashMap<>();

    History(ConsoleServices services) {
        this.services = services;
    }

    /** A sink's samples, oldest first. */
    List<SinkPoint> sink(String name) {
        return copy(sinks.get(name));
    }

    /** A database's samples, oldest first. */
    List<DatabasePoint> database(String name) {
        return copy(databases.get(name));
    }

    /** Takes one sample of everything that runs; called once a second by one thread. */
    void sample() {
        long nowMillis = services.clock().millis();
        long second = Instant.ofEpochMilli(nowMillis).getEpochSecond();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (DatabasePipeline.Status d : services.pipelines().get()) {
            append(databases, d.database(), new DatabasePoint(second, d.slotLagBytes()));
            seen.add(d.database());
            for (DatabasePipeline.SinkStatus s : d.sinks()) {
                seen.add(s.name());
                SluiceMetrics.SinkCounts now = services.metrics().counts(s.name());
                if (now == null) {
                    continue;
                }
                Previous before = previous.put(s.name(), new Previous(nowMillis, now));
                if (before == null) {
                    continue;
                }
                double seconds = Math.max(0.001, (nowMillis - before.at()) / 1000.0);
                long[] window = new long[now.latencyBuckets().length];
                for (int i = 0; i < window.length; i++) {
                    window[i] = now.latencyBuckets()[i] - before.counts().latencyBuckets()[i];
                }
                append(
                        sinks,
                        s.name(),
                        new SinkPoint(
                                second,
                                (now.delivered() - before.counts().delivered()) / seconds,
                                percentileMillis(window, 0.50),
                                percentileMillis(window, 0.99),
                                s.lag().toMillis() / 1000.0,
                                s.queued() + s.spilled(),
                                s.failingGroups(),
                                (now.deliveredBytes() - before.counts().deliveredBytes()) / seconds,
                                s.storedBytes()));
            }
        }
        // Deleted sinks and databases leave the charts.
        sinks.keySet().retainAll(seen);
        databases.keySet().retainAll(seen);
        previous.keySet().retainAll(seen);
    }

    /** The upper bound, in milliseconds, of the bucket holding quantile {@code q}; NaN for an empty window. */
    static double percentileMillis(long[] buckets, double q) {
        long total = 0;
        for (long b : buckets) {
            total += b;
        }
        if (total == 0) {
            return Double.NaN;
        }
        long[] bounds = SluiceMetrics.latencyBoundsMicros();
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < buckets.length; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return bounds[Math.min(i, bounds.length - 1)] / 1000.0;
            }
        }
        return bounds[bounds.length - 1] / 1000.0;
    }

    private static <T> void append(Map<String, ArrayDeque<T>> to, String key, T point) {
        ArrayDeque<T> q = to.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (q) {
            q.addLast(point);
            while (q.size() > SAMPLES) {
                q.removeFirst();
            }
        }
    }

    private static <T> List<T> copy(ArrayDeque<T> q) {
        if (q == null) {
            return List.of();
        }
        synchronized (q) {
            return List.copyOf(q);
        }
    }
}
