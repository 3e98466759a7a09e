package dev.sluice.sink.kinesis;

import static org.awaitility.Awaitility.await;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The sink conformance suite against the kinesis-local emulator, on streams of two shards. The emulator takes any
 * credentials, so there is no bad-credentials case; it forgets its streams when stopped, so the harness reads them
 * first and creates them again on the restart.
 */
class KinesisConformanceIT extends SinkConformance<KinesisConfig> {
    @Override
    protected SinkHarness<KinesisConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<KinesisConfig> {
        private static final int SHARDS = 2;
        private final KinesisProvider provider = new KinesisProvider();
        // Stream name -> shard id -> record data read before a restart, in shard order.
        private final Map<String, Map<String, List<String>>> earlier = new LinkedHashMap<>();
        private KinesisLocal emulator;

        @Override
        public SinkProvider<KinesisConfig> provider() {
            return provider;
        }

        @Override
        public void start() {
            emulator = KinesisLocal.start();
        }

        @Override
        public void stopPeer() {
            earlier.forEach((stream, shards) -> data(stream)
                    .forEach((shard, data) -> shards.computeIfAbsent(shard, s -> new ArrayList<>())
                            .addAll(data)));
            emulator.stop();
        }

        @Override
        public void restartPeer() {
            emulator.restart();
            earlier.keySet().forEach(stream -> emulator.createStream(stream, SHARDS));
        }

        @Override
        public Destination newDestination(String name) {
            String arn = emulator.createStream(name, SHARDS);
            earlier.put(name, new LinkedHashMap<>());
            return new Destination(name, values(arn, emulator.endpoint()));
        }

        @Override
        public ConfigValues unreachable() {
            return values(KinesisLocal.arn("nowhere"), "http://127.0.0.1:" + FreePort.find());
        }

        @Override
        public OptionalInt oversizedBytes() {
            return OptionalInt.of(KinesisSink.MAX_RECORD_BYTES);
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            return await().atMost(Duration.ofSeconds(30))
                    .until(
                            () -> {
                                Map<String, List<String>> shards = new LinkedHashMap<>();
                                earlier.get(destination.name())
                                        .forEach((shard, data) -> shards.put(shard, new ArrayList<>(data)));
                                data(destination.name())
                                        .forEach((shard, data) -> shards.computeIfAbsent(shard, s -> new ArrayList<>())
                                                .addAll(data));
                                return List.copyOf(shards.values());
                            },
                            got -> got.stream().mapToInt(List::size).sum() >= atLeast);
        }

        @Override
        public void close() {
            if (emulator != null) {
                emulator.close();
            }
        }

        /** The stream's record data, by shard, each in shard order. */
        private Map<String, List<String>> data(String stream) {
            Map<String, List<String>> out = new LinkedHashMap<>();
            emulator.records(KinesisLocal.arn(stream))
                    .forEach((shard, records) -> out.put(
                            shard,
                            records.stream()
                                    .map(r -> r.data().asString(StandardCharsets.UTF_8))
                                    .toList()));
            return out;
        }

        private ConfigValues values(String streamArn, String endpoint) {
            return ConfigValues.of(
                    provider.schema(),
                    Map.of(
                            "stream_arn",
                            streamArn,
                            "region",
                            "us-east-1",
                            "access_key_id",
                            "AKIDCONFORMANCE",
                            "secret_access_key",
                            "kinesis-conformance-secret-5d0b",
                            "endpoint_url",
                            endpoint,
                            "request_timeout_ms",
                            3000L));
        }
    }
}
