package dev.sluice.server.metrics;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * Sequin's metric names, served beside Sluice's so that Sequin's Grafana dashboard and alerts keep working. They are
 * written straight in the Prometheus text format rather than through Micrometer, which would rename them (a counter
 * always gets {@code _total}); the values come from the same events as Sluice's meters.
 *
 * <p>Served: {@code sequin_message_deliver_attempt_count}, {@code _success_count} and {@code _failure_count},
 * {@code sequin_delivery_latency_us} (with Sequin's buckets) per sink as {@code consumer_id} and
 * {@code consumer_name}; {@code sequin_replication_slot_size} (bytes) and {@code sequin_replication_slot_size_mb}
 * per database. Thread-safe.
 */
final class SequinMetrics {
    /** Sequin's buckets of {@code sequin_delivery_latency_us}, in microseconds. */
    static final long[] LATENCY_BUCKETS_US = {
        10, 100, 1000, 10_000, 50_000, 100_000, 500_000, 1_000_000, 5_000_000, 10_000_000, 50_000_000
    };

    private SequinMetrics() {}

    /** A sink's delivery latency as Sequin buckets it; cumulative counts are computed when written. */
    static final class LatencyHistogram {
        private final AtomicLongArray buckets = new AtomicLongArray(LATENCY_BUCKETS_US.length + 1);
        private final LongAdder sumUs = new LongAdder();
        private final LongAdder count = new LongAdder();

        void record(long latencyNanos) {
            long us = Math.max(0, latencyNanos / 1000);
            int i = 0;
            while (i < LATENCY_BUCKETS_US.length && us > LATENCY_BUCKETS_US[i]) {
                i++;
            }
            buckets.incrementAndGet(i);
            sumUs.add(us);
            count.increment();
        }

        /** Each bucket's own count (not cumulative); the last one counts what is above every bound. */
        long[] counts() {
            long[] out = new long[buckets.length()];
            for (int i = 0; i < out.length; i++) {
                out[i] = buckets.get(i);
            }
            return out;
        }
    }

    /** One sink's numbers at scrape time. */
    record Sink(String id, String name, double delivered, double failed, LatencyHistogram latency) {}

    /** One database's slot at scrape time; {@code lagBytes} is negative while unknown. */
    record Slot(String id, String slotName, String databaseName, long lagBytes) {}

    static void write(StringBuilder out, Iterable<Sink> sinks, Iterable<Slot> slots) {
        counter(
                out,
                "sequin_message_deliver_attempt_count",
                "Total number of messages attempted for delivery.",
                sinks,
                s -> s.delivered() + s.failed());
        counter(
                out,
                "sequin_message_deliver_success_count",
                "Total number of messages successfully delivered.",
                sinks,
                Sink::delivered);
        counter(
                out,
                "sequin_message_deliver_failure_count",
                "Total number of messages that failed delivery.",
                sinks,
                Sink::failed);
        header(
                out,
                "sequin_delivery_latency_us",
                "histogram",
                "Delivery latency in microseconds: in Sluice, from the commit of a batch's oldest change to the sink's"
                        + " acknowledgement.");
        for (Sink s : sinks) {
            String labels = consumer(s) + ",success=\"ok\"";
            long cumulative = 0;
            for (int i = 0; i <= LATENCY_BUCKETS_US.length; i++) {
                cumulative += s.latency().buckets.get(i);
                String le = i < LATENCY_BUCKETS_US.length ? Long.toString(LATENCY_BUCKETS_US[i]) : "+Inf";
                sample(out, "sequin_delivery_latency_us_bucket", labels + ",le=\"" + le + "\"", cumulative);
            }
            sample(
                    out,
                    "sequin_delivery_latency_us_sum",
                    labels,
                    s.latency().sumUs.sum());
            sample(
                    out,
                    "sequin_delivery_latency_us_count",
                    labels,
                    s.latency().count.sum());
        }
        header(out, "sequin_replication_slot_size", "gauge", "Replication slot size in bytes.");
        for (Slot s : slots) {
            sample(
                    out,
                    "sequin_replication_slot_size",
                    slot(s) + ",database_name=\"" + escape(s.databaseName()) + "\"",
                    s.lagBytes() < 0 ? Double.NaN : s.lagBytes());
        }
        header(out, "sequin_replication_slot_size_mb", "gauge", "Replication slot size in megabytes.");
        for (Slot s : slots) {
            sample(
                    out,
                    "sequin_replication_slot_size_mb",
                    slot(s),
                    s.lagBytes() < 0 ? Double.NaN : s.lagBytes() / (1024.0 * 1024.0));
        }
    }

    private static void counter(
            StringBuilder out, String name, String help, Iterable<Sink> sinks, ToDoubleFunction<Sink> value) {
        header(out, name, "counter", help);
        for (Sink s : sinks) {
            sample(out, name, consumer(s), value.applyAsDouble(s));
        }
    }

    private static String consumer(Sink s) {
        return "consumer_id=\"" + escape(s.id()) + "\",consumer_name=\"" + escape(s.name()) + "\"";
    }

    private static String slot(Slot s) {
        return "replication_slot_id=\"" + escape(s.id()) + "\",slot_name=\"" + escape(s.slotName()) + "\"";
    }

    private static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder out, String name, String labels, double value) {
        out.append(name)
                .append('{')
                .append(labels)
                .append("} ")
                .append(format(value))
                .append('\n');
    }

    private static String format(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }

    // The text format's escapes for a label value.
    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
