package dev.sluice.server.metrics;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.engine.PipelineMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The engine's {@link PipelineMetrics} on a Prometheus registry, scraped by {@code GET /metrics}.
 *
 * <p>Meters per sink: {@code sluice_messages_{ingested,delivered,failed,discarded,shed,filtered}_total} (filtered: rejected by the sink's filter function, counted in delivered too), {@code sluice_delivered_bytes_total} (their JSON, before functions), the
 * {@code sluice_delivery_latency_seconds} histogram (one observation per delivered batch, from the commit
 * of its oldest change), and the gauges {@code sluice_sink_stored_bytes} (its messages in the metadata store)
 * and {@code sluice_sink_spill_budget_bytes} (its {@code max_spill_mb}). Per database: {@code sluice_replication_slot_lag_bytes}. Plus JVM memory,
 * threads, CPU and uptime, and the same numbers under Sequin's names ({@link SequinMetrics}).
 */
public final class SluiceMetrics implements PipelineMetrics {
    /** What {@link #scrape()} produces: the Prometheus text exposition format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, SinkMeters> sinks = new ConcurrentHashMap<>();
    // For Sequin's consumer_id and replication_slot_id labels.
    private final Map<String, String> sinkIds = new ConcurrentHashMap<>();
    private final Map<String, SlotSource> slots = new ConcurrentHashMap<>();
    private final SinkTraces traces = new SinkTraces();

    private record SlotSource(DatabasePipeline pipeline, String id) {}

    private record SinkMeters(
            Counter ingested,
            Counter delivered,
            Counter failed,
            Counter discarded,
            Counter shed,
            Counter filtered,
            Counter deliveredBytes,
            Timer latency,
            AtomicLong storedBytes,
            AtomicLong spillBudget,
            Gauge stored,
            Gauge budget,
            SequinMetrics.LatencyHistogram sequinLatency) {}

    public SluiceMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /**
     * A sink's counters since the server started, for the console's charts.
     *
     * @param latencyBuckets delivered batches per latency bucket, bounded above by {@link #latencyBoundsMicros()}
     *     (the last bucket is everything slower)
     * @param deliveredBytes bytes of the delivered messages' JSON (as encoded, before functions)
     * @param storedBytes bytes of the sink's messages in the metadata store now
     */
    public record SinkCounts(
            long ingested, long delivered, long failed, long[] latencyBuckets, long deliveredBytes, long storedBytes) {}

    /** The upper bounds of {@link SinkCounts#latencyBuckets()}, in microseconds. */
    public static long[] latencyBoundsMicros() {
        return SequinMetrics.LATENCY_BUCKETS_US.clone();
    }

    /** The counters of sink {@code sink}, or null when it has none. */
    public @org.jspecify.annotations.Nullable SinkCounts counts(String sink) {
        SinkMeters m = sinks.get(sink);
        return m == null
                ? null
                : new SinkCounts(
                        (long) m.ingested().count(),
                        (long) m.delivered().count(),
                        (long) m.failed().count(),
                        m.sequinLatency().counts(),
                        (long) m.deliveredBytes().count(),
                        m.storedBytes().get());
    }

    /**
     * This node's identity in a cluster ({@code sluice_node_info}, always 1) and how many database pipelines it runs
     * ({@code sluice_node_pipelines}), so that a dashboard over every node's scrape tells them apart.
     */
    public void registerNode(String nodeId, java.util.function.Supplier<Integer> pipelines) {
        Gauge.builder("sluice.node.info", () -> 1.0).tag("node", nodeId).register(registry);
        Gauge.builder("sluice.node.pipelines", () -> (double) pipelines.get())
                .tag("node", nodeId)
                .register(registry);
    }

    /** Registers a sink's meters at zero, so a scrape shows them before anything happened. */
    public void registerSink(String sink) {
        meters(sink);
    }

    /** As {@link #registerSink(String)}, with the sink's id for Sequin's {@code consumer_id} label. */
    public void registerSink(String sink, UUID id) {
        sinkIds.put(sink, id.toString());
        meters(sink);
    }

    /** As {@link #registerDatabase(DatabasePipeline)}, with the database's id for Sequin's slot metrics. */
    public void registerDatabase(DatabasePipeline pipeline, UUID id) {
        registerDatabase(pipeline);
        slots.put(pipeline.name(), new SlotSource(pipeline, id.toString()));
    }

    /**
     * Exposes the slot lag of {@code pipeline}'s database; NaN until the pipeline has read it. Replaces the gauge
     * of a pipeline that was rebuilt (a changed connection) under the same database and slot.
     */
    public void registerDatabase(DatabasePipeline pipeline) {
        unregisterDatabase(pipeline);
        Gauge.builder("sluice.replication.slot.lag", pipeline, SluiceMetrics::lagOrNaN)
                .description("WAL bytes the replication slot holds back (current WAL LSN - confirmed flush LSN)")
                .baseUnit("bytes")
                .tags("database", pipeline.name(), "slot", pipeline.slotName())
                .strongReference(true)
                .register(registry);
    }

    /** Removes the slot-lag gauge of a pipeline that stopped. */
    public void unregisterDatabase(DatabasePipeline pipeline) {
        slots.computeIfPresent(pipeline.name(), (k, v) -> v.pipeline() == pipeline ? null : v);
        Gauge g = registry.find("sluice.replication.slot.lag")
                .tags("database", pipeline.name(), "slot", pipeline.slotName())
                .gauge();
        if (g != null) {
            registry.remove(g);
        }
    }

    /** Removes a deleted sink's meters, so scrapes stop showing it. */
    public void unregisterSink(String sink) {
        SinkMeters m = sinks.remove(sink);
        sinkIds.remove(sink);
        if (m != null) {
            registry.remove(m.ingested());
            registry.remove(m.delivered());
            registry.remove(m.failed());
            registry.remove(m.discarded());
            registry.remove(m.shed());
            registry.remove(m.filtered());
            registry.remove(m.deliveredBytes());
            registry.remove(m.latency());
            registry.remove(m.stored());
            registry.remove(m.budget());
        }
    }

    /** What a running backfill's gauges read. */
    public interface BackfillGauges {
        /** Rows read, all runs. */
        long processed();

        /** Rows handed to the sink, all runs. */
        long ingested();

        /** Rows expected (estimate, then exact count); null before known. */
        @Nullable
        Long initial();

        /** Seconds left at the current run's rate; null before there is a rate. */
        @Nullable
        Long etaSeconds();
    }

    private static final String[] BACKFILL_GAUGES = {
        "sluice.backfill.rows.processed",
        "sluice.backfill.rows.ingested",
        "sluice.backfill.rows.initial",
        "sluice.backfill.eta.seconds"
    };

    /**
     * Exposes a running backfill as {@code sluice_backfill_rows_processed}, {@code _rows_ingested} (totals including
     * earlier runs), {@code _rows_initial} and {@code sluice_backfill_eta_seconds} (NaN while unknown), tagged with its
     * sink, id and table. Replaces an earlier run's.
     */
    public void registerBackfill(String sink, String backfillId, String table, BackfillGauges g) {
        unregisterBackfill(backfillId);
        gauge(
                BACKFILL_GAUGES[0],
                "Rows a backfill has read (delivered, or dropped because a live change is newer)",
                g,
                x -> x.processed(),
                sink,
                backfillId,
                table);
        gauge(
                BACKFILL_GAUGES[1],
                "Rows a backfill has handed to its sink as read messages",
                g,
                x -> x.ingested(),
                sink,
                backfillId,
                table);
        gauge(
                BACKFILL_GAUGES[2],
                "Rows a backfill expects to read: the planner's estimate, then an exact count",
                g,
                x -> orNaN(x.initial()),
                sink,
                backfillId,
                table);
        gauge(
                BACKFILL_GAUGES[3],
                "Seconds a backfill has left at its current rate",
                g,
                x -> orNaN(x.etaSeconds()),
                sink,
                backfillId,
                table);
    }

    private void gauge(
            String name,
            String description,
            BackfillGauges g,
            java.util.function.ToDoubleFunction<BackfillGauges> value,
            String sink,
            String backfillId,
            String table) {
        Gauge.builder(name, g, value)
                .description(description)
                .tags("sink", sink, "backfill", backfillId, "table", table)
                .strongReference(true)
                .register(registry);
    }

    private static double orNaN(@Nullable Long v) {
        return v == null ? Double.NaN : v;
    }

    /** Removes a backfill's gauges (it was stopped, cancelled or deleted). */
    public void unregisterBackfill(String backfillId) {
        for (String name : BACKFILL_GAUGES) {
            for (Gauge g : registry.find(name).tag("backfill", backfillId).gauges()) {
                registry.remove(g);
            }
        }
    }

    private static double lagOrNaN(DatabasePipeline p) {
        long lag = p.slotLagBytes();
        return lag < 0 ? Double.NaN : lag;
    }

    public String scrape() {
        StringBuilder out = new StringBuilder(registry.scrape());
        List<SequinMetrics.Sink> sinkValues = new ArrayList<>();
        sinks.forEach((name, m) -> sinkValues.add(new SequinMetrics.Sink(
                sinkIds.getOrDefault(name, name),
                name,
                m.delivered().count(),
                m.failed().count(),
                m.sequinLatency())));
        List<SequinMetrics.Slot> slotValues = new ArrayList<>();
        slots.values()
                .forEach(s -> slotValues.add(new SequinMetrics.Slot(
                        s.id(),
                        s.pipeline().slotName(),
                        s.pipeline().name(),
                        s.pipeline().slotLagBytes())));
        SequinMetrics.write(out, sinkValues, slotValues);
        return out.toString();
    }

    @Override
    public void ingested(String sink, int n) {
        meters(sink).ingested.increment(n);
    }

    @Override
    public void delivered(String sink, int n, long latencyNanos) {
        SinkMeters m = meters(sink);
        m.delivered.increment(n);
        m.latency.record(latencyNanos, TimeUnit.NANOSECONDS);
        m.sequinLatency.record(latencyNanos);
    }

    @Override
    public void deliveredBytes(String sink, long bytes) {
        meters(sink).deliveredBytes.increment(bytes);
    }

    /** Who watches which sink's deliveries (the console's live trace). */
    public SinkTraces traces() {
        return traces;
    }

    @Override
    public dev.sluice.engine.@Nullable DeliveryTrace trace(String sink) {
        return traces.get(sink);
    }

    @Override
    public void failed(String sink, int n) {
        meters(sink).failed.increment(n);
    }

    @Override
    public void discarded(String sink, int n) {
        meters(sink).discarded.increment(n);
    }

    @Override
    public void shed(String sink, int n) {
        meters(sink).shed.increment(n);
    }

    @Override
    public void filtered(String sink, int n) {
        meters(sink).filtered.increment(n);
    }

    @Override
    public void stored(String sink, long bytes, long maxBytes) {
        SinkMeters m = meters(sink);
        m.storedBytes.set(bytes);
        m.spillBudget.set(maxBytes);
    }

    private SinkMeters meters(String sink) {
        return sinks.computeIfAbsent(sink, this::create);
    }

    private SinkMeters create(String sink) {
        AtomicLong stored = new AtomicLong();
        AtomicLong budget = new AtomicLong(-1); // unknown until the sink reports
        return new SinkMeters(
                counter("sluice.messages.ingested", "Changes queued for the sink", sink),
                counter("sluice.messages.delivered", "Messages the sink acknowledged", sink),
                counter("sluice.messages.failed", "Messages in failed delivery attempts (each retry counts)", sink),
                counter("sluice.messages.discarded", "Messages given up on after max_retry_count", sink),
                counter("sluice.messages.shed", "New messages dropped on a full buffer (discard_on_full)", sink),
                counter("sluice.messages.filtered", "Messages the sink's filter function rejected (not sent)", sink),
                Counter.builder("sluice.delivered")
                        .description("Bytes of the JSON of the messages the sink acknowledged (before functions)")
                        .baseUnit("bytes")
                        .tag("sink", sink)
                        .register(registry),
                Timer.builder("sluice.delivery.latency")
                        .description("Commit of a batch's oldest change to the sink's acknowledgement, per batch")
                        .tag("sink", sink)
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofMinutes(10))
                        .register(registry),
                stored,
                budget,
                Gauge.builder("sluice.sink.stored", stored, AtomicLong::get)
                        .description("Bytes of the sink's messages in the metadata store (failing, or spilled from a"
                                + " full buffer)")
                        .baseUnit("bytes")
                        .tag("sink", sink)
                        .register(registry),
                Gauge.builder("sluice.sink.spill.budget", budget, b -> b.get() < 0 ? Double.NaN : b.get())
                        .description("The sink's spill budget (max_spill_mb); NaN until the sink has run")
                        .baseUnit("bytes")
                        .tag("sink", sink)
                        .register(registry),
                new SequinMetrics.LatencyHistogram());
    }

    private Counter counter(String name, String description, String sink) {
        return Counter.builder(name).description(description).tag("sink", sink).register(registry);
    }
}
