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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The engine's {@link PipelineMetrics} on a Prometheus registry, scraped by {@code GET /metrics}.
 *
 * <p>Meters per sink: {@code sluice_messages_{ingested,delivered,failed,discarded,shed}_total} and the
 * {@code sluice_delivery_latency_seconds} histogram (one observation per delivered batch, from the commit
 * of its oldest change). Per database: {@code sluice_replication_slot_lag_bytes}. Plus JVM memory,
 * threads, CPU and uptime.
 */
public final class SluiceMetrics implements PipelineMetrics {
    /** What {@link #scrape()} produces: the Prometheus text exposition format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, SinkMeters> sinks = new ConcurrentHashMap<>();

    private record SinkMeters(
            Counter ingested, Counter delivered, Counter failed, Counter discarded, Counter shed, Timer latency) {}

    public SluiceMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /** Registers a sink's meters at zero, so a scrape shows them before anything happened. */
    public void registerSink(String sink) {
        meters(sink);
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
        if (m != null) {
            registry.remove(m.ingested());
            registry.remove(m.delivered());
            registry.remove(m.failed());
            registry.remove(m.discarded());
            registry.remove(m.shed());
            registry.remove(m.latency());
        }
    }

    /**
     * Exposes a running backfill's totals (including earlier runs) as {@code sluice_backfill_rows_processed} and
     * {@code sluice_backfill_rows_ingested}, tagged with its sink, id and table. Replaces an earlier run's.
     */
    public void registerBackfill(
            String sink,
            String backfillId,
            String table,
            java.util.function.LongSupplier processed,
            java.util.function.LongSupplier ingested) {
        unregisterBackfill(backfillId);
        Gauge.builder("sluice.backfill.rows.processed", processed, s -> s.getAsLong())
                .description("Rows a backfill has read (delivered, or dropped because a live change is newer)")
                .tags("sink", sink, "backfill", backfillId, "table", table)
                .strongReference(true)
                .register(registry);
        Gauge.builder("sluice.backfill.rows.ingested", ingested, s -> s.getAsLong())
                .description("Rows a backfill has handed to its sink as read messages")
                .tags("sink", sink, "backfill", backfillId, "table", table)
                .strongReference(true)
                .register(registry);
    }

    /** Removes a backfill's gauges (it was stopped, cancelled or deleted). */
    public void unregisterBackfill(String backfillId) {
        for (String name : new String[] {"sluice.backfill.rows.processed", "sluice.backfill.rows.ingested"}) {
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
        return registry.scrape();
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

    private SinkMeters meters(String sink) {
        return sinks.computeIfAbsent(sink, this::create);
    }

    private SinkMeters create(String sink) {
        return new SinkMeters(
                counter("sluice.messages.ingested", "Changes queued for the sink", sink),
                counter("sluice.messages.delivered", "Messages the sink acknowledged", sink),
                counter("sluice.messages.failed", "Messages in failed delivery attempts (each retry counts)", sink),
                counter("sluice.messages.discarded", "Messages given up on after max_retry_count", sink),
                counter("sluice.messages.shed", "New messages dropped on a full buffer (discard_on_full)", sink),
                Timer.builder("sluice.delivery.latency")
                        .description("Commit of a batch's oldest change to the sink's acknowledgement, per batch")
                        .tag("sink", sink)
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofMinutes(10))
                        .register(registry));
    }

    private Counter counter(String name, String description, String sink) {
        return Counter.builder(name).description(description).tag("sink", sink).register(registry);
    }
}
