package dev.sluice.testkit.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Position;
import dev.sluice.core.Ticker;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.HttpEndpoint;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.TestMessages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A sink's drain benchmark against its local peer: how many messages a second the sink moves when the engine keeps
 * it busy. A sink module gets it with one class in its tests, named {@code <Type>DrainBench} so that no test run picks
 * it up by default, handing over the harness of its conformance IT:
 *
 * <pre>{@code
 * class KafkaDrainBench extends SinkDrainBenchmark<KafkaConfig> {
 *     @Override
 *     protected SinkHarness<KafkaConfig> harness() {
 *         return new KafkaConformanceIT.Harness();
 *     }
 * }
 * }</pre>
 *
 * <p>{@code sluice-bench/run sinks} runs every module's one (see docs/benchmarks.md "Sink drains"). Each run makes a
 * new destination and delivers {@code messages} messages as the engine does: {@code lanes} concurrent lanes, one batch
 * in flight per lane, each lane owning four groups interleaved in its batches of the sink's {@code batch_size}. A run
 * is timed from the first delivery to the last one the sink completes; then the peer is read back, and a run that
 * lost a message fails the benchmark. One warm-up run of a tenth of the messages comes first. Nothing here asserts a
 * time: the figures are written to {@code target/sink-drain/<type>.json} and printed, for the report to compare.
 *
 * <p>System properties: {@code sluice.drain.messages} (default 100000), {@code sluice.drain.runs} (3),
 * {@code sluice.drain.lanes} (8), {@code sluice.drain.batchSize} (the provider's default, at least 10),
 * {@code sluice.drain.padding} (200 characters of row text per message).
 *
 * @param <C> the provider's configuration type
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class SinkDrainBenchmark<C> {
    private static final Duration RUN_LIMIT = Duration.ofMinutes(10);
    private static final int GROUPS_PER_LANE = 4;

    private SinkHarness<C> harness;
    private long lsn = 1_000;

    /** The module's conformance harness; called once, before the run. */
    protected abstract SinkHarness<C> harness();

    @BeforeAll
    final void startPeer() throws Exception {
        harness = harness();
        harness.start();
    }

    @AfterAll
    final void stopPeer() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void drain() throws Exception {
        SinkProvider<C> provider = harness.provider();
        int messages = Integer.getInteger("sluice.drain.messages", 100_000);
        int runs = Integer.getInteger("sluice.drain.runs", 3);
        int lanes = Integer.getInteger("sluice.drain.lanes", 8);
        int batchSize = Integer.getInteger("sluice.drain.batchSize", Math.max(10, provider.defaultBatchSize()));
        String padding = "p".repeat(Integer.getInteger("sluice.drain.padding", 200));

        run(provider, "drain-warmup", Math.max(lanes * batchSize, messages / 10), lanes, batchSize, padding);
        double[] rates = new double[runs];
        long bytes = 0;
        for (int r = 0; r < runs; r++) {
            Run result = run(provider, "drain-" + r, messages, lanes, batchSize, padding);
            rates[r] = result.messagesPerSecond();
            bytes = result.bytes();
        }
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        double median = sorted[runs / 2];
        double mibPerSecond = median * bytes / messages / (1024.0 * 1024.0);
        String json = String.format(
                Locale.ROOT,
                "{\"type\":\"%s\",\"messages\":%d,\"runs\":%d,\"lanes\":%d,\"batch_size\":%d,\"message_bytes\":%d,"
                        + "\"median_messages_per_second\":%.0f,\"median_mib_per_second\":%.2f,\"runs_messages_per_second\":%s}",
                provider.type(),
                messages,
                runs,
                lanes,
                batchSize,
                bytes / messages,
                median,
                mibPerSecond,
                Arrays.toString(Arrays.stream(rates).mapToLong(Math::round).toArray()));
        Path out = Path.of("target", "sink-drain", provider.type() + ".json");
        Files.createDirectories(out.getParent());
        Files.writeString(out, json + "\n", StandardCharsets.UTF_8);
        System.out.println("SINK-DRAIN " + json);
    }

    private Run run(SinkProvider<C> provider, String name, int messages, int lanes, int batchSize, String padding)
            throws Exception {
        Destination d = harness.newDestination(name + "-" + System.nanoTime());
        SinkContext context = new SinkContext("drain", "drain", batchSize, Ticker.SYSTEM);
        Sink sink = provider.create(provider.configure(patient(d.config())).orThrow(), context);
        try {
            sink.start(context);
            List<List<Batch>> laneBatches = new ArrayList<>();
            long bytes = 0;
            int perLane = messages / lanes;
            for (int l = 0; l < lanes; l++) {
                int count = l == lanes - 1 ? messages - perLane * (lanes - 1) : perLane;
                List<Batch> batches = new ArrayList<>();
                List<SinkMessage> current = new ArrayList<>(batchSize);
                for (int i = 0; i < count; i++) {
                    String group = "lane" + l + "-" + (i % GROUPS_PER_LANE);
                    SinkMessage m = TestMessages.sequenced(group, i / GROUPS_PER_LANE, new Position(++lsn, 0), padding);
                    bytes += TestMessages.body(m).length();
                    current.add(m);
                    if (current.size() == batchSize) {
                        batches.add(new Batch(current));
                        current = new ArrayList<>(batchSize);
                    }
                }
                if (!current.isEmpty()) {
                    batches.add(new Batch(current));
                }
                laneBatches.add(batches);
            }
            EngineLikeDelivery delivery = new EngineLikeDelivery(sink, RUN_LIMIT);
            long start = System.nanoTime();
            delivery.lanes(laneBatches).get(RUN_LIMIT.toSeconds(), TimeUnit.SECONDS);
            long nanos = System.nanoTime() - start;
            assertThat(delivery.rejected())
                    .as("messages rejected by %s", provider.type())
                    .isEmpty();
            int arrived =
                    harness.arrived(d, messages).stream().mapToInt(List::size).sum();
            assertThat(arrived).as("messages at the peer after the drain").isGreaterThanOrEqualTo(messages);
            return new Run(messages * 1e9 / nanos, bytes);
        } finally {
            sink.close();
        }
    }

    /**
     * The harness's values with a request timeout of 30 s where the type has one: the conformance suite's few
     * seconds are for noticing a stopped peer, and a loaded machine may take longer for a large request.
     */
    private static ConfigValues patient(ConfigValues values) {
        boolean hasTimeout =
                values.schema().fields().stream().anyMatch(f -> f.name().equals("request_timeout_ms"));
        if (!hasTimeout) {
            return values;
        }
        Map<String, Object> v = new HashMap<>(values.asMap());
        v.put("request_timeout_ms", 30_000L);
        ConfigValues patient = ConfigValues.of(values.schema(), v);
        for (ConfigField f : values.schema().fields()) {
            HttpEndpoint e = f.type() == ConfigField.Type.REFERENCE ? values.endpoint(f.name()) : null;
            if (e != null) {
                patient = patient.withEndpoint(f.name(), e);
            }
        }
        return patient;
    }

    private record Run(double messagesPerSecond, long bytes) {}
}
