package dev.sluice.sink.sns;

import static org.awaitility.Awaitility.await;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The sink conformance suite against the fauxqs emulator, on FIFO topics (one message group per conformance group)
 * read through a subscribed FIFO queue. Bad credentials are an access key id other than {@link Fauxqs#ACCESS_KEY_ID}
 * (fauxqs checks no signature). It forgets everything when stopped, so the
 * harness reads what arrived first and the emulator makes the topics again on the restart.
 */
class SnsConformanceIT extends SinkConformance<SnsConfig> {
    @Override
    protected SinkHarness<SnsConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<SnsConfig> {
        private final SnsProvider provider = new SnsProvider();
        // Topic name -> message bodies read before a restart, in queue order.
        private final Map<String, List<Fauxqs.Received>> earlier = new LinkedHashMap<>();
        private Fauxqs emulator;

        @Override
        public SinkProvider<SnsConfig> provider() {
            return provider;
        }

        @Override
        public void start() {
            emulator = Fauxqs.start();
        }

        @Override
        public void stopPeer() {
            earlier.forEach((topic, got) -> got.addAll(emulator.received(topic)));
            emulator.stop();
        }

        @Override
        public void restartPeer() {
            emulator.restart();
        }

        @Override
        public Destination newDestination(String name) {
            String topic = name + ".fifo";
            String arn = emulator.createTopic(topic);
            earlier.put(topic, new ArrayList<>());
            return new Destination(topic, values(arn, emulator.endpoint()));
        }

        @Override
        public ConfigValues unreachable() {
            return values(Fauxqs.arn("nowhere.fifo"), "http://127.0.0.1:" + FreePort.find());
        }

        @Override
        public OptionalInt oversizedBytes() {
            return OptionalInt.of(SnsSink.MAX_CALL_BYTES);
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            return await().atMost(Duration.ofSeconds(30))
                    .until(
                            () -> {
                                List<Fauxqs.Received> all = new ArrayList<>(earlier.get(destination.name()));
                                all.addAll(emulator.received(destination.name()));
                                Map<String, List<String>> groups = new LinkedHashMap<>();
                                for (Fauxqs.Received r : all) {
                                    groups.computeIfAbsent(r.groupId(), g -> new ArrayList<>())
                                            .add(r.body());
                                }
                                return List.copyOf(groups.values());
                            },
                            got -> got.stream().mapToInt(List::size).sum() >= atLeast);
        }

        @Override
        public void close() {
            if (emulator != null) {
                emulator.close();
            }
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            return Optional.of(values(Fauxqs.arn(destination.name()), emulator.endpoint(), "AKIDUNKNOWN"));
        }

        private ConfigValues values(String topicArn, String endpoint) {
            return values(topicArn, endpoint, Fauxqs.ACCESS_KEY_ID);
        }

        private ConfigValues values(String topicArn, String endpoint, String accessKeyId) {
            return ConfigValues.of(
                    provider.schema(),
                    Map.of(
                            "topic_arn",
                            topicArn,
                            "access_key_id",
                            accessKeyId,
                            "secret_access_key",
                            "sns-conformance-secret-3f81",
                            "use_emulator",
                            true,
                            "emulator_base_url",
                            endpoint,
                            "request_timeout_ms",
                            3000L));
        }
    }
}
