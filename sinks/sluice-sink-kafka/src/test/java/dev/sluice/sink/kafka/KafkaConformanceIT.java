package dev.sluice.sink.kafka;

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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The sink conformance suite against an in-process KRaft broker ({@link TestKafka}) that authenticates with
 * SASL/SCRAM; topics of three partitions with a 64 KiB record limit.
 */
class KafkaConformanceIT extends SinkConformance<KafkaConfig> {
    @Override
    protected SinkHarness<KafkaConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<KafkaConfig> {
        private static final String USER = "conformance";
        private static final String PASSWORD = "conformance-Pw-3c1a";
        private static final int RECORD_LIMIT = 64 * 1024;
        private final KafkaProvider provider = new KafkaProvider();
        private TestKafka kafka;

        @Override
        public SinkProvider<KafkaConfig> provider() {
            return provider;
        }

        @Override
        public void start() throws Exception {
            kafka = TestKafka.sasl();
            kafka.createScramUser(USER, PASSWORD, ScramMechanism.SCRAM_SHA_256);
        }

        @Override
        public void stopPeer() {
            kafka.stopBroker();
        }

        @Override
        public void restartPeer() throws Exception {
            kafka.startBroker();
        }

        @Override
        public Destination newDestination(String name) throws Exception {
            kafka.createTopic(name, 3, Map.of("max.message.bytes", Integer.toString(RECORD_LIMIT)));
            return new Destination(name, values(String.join(",", kafka.hosts()), name, PASSWORD));
        }

        @Override
        public ConfigValues unreachable() {
            return values("127.0.0.1:" + FreePort.find(), "nowhere", PASSWORD);
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            return Optional.of(values(String.join(",", kafka.hosts()), destination.name(), "not-the-password"));
        }

        @Override
        public OptionalInt oversizedBytes() {
            return OptionalInt.of(RECORD_LIMIT + 16 * 1024);
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            List<ConsumerRecord<byte[], byte[]>> records = await().atMost(Duration.ofSeconds(30))
                    .until(() -> kafka.readAll(destination.name()), r -> r.size() >= atLeast);
            Map<Integer, List<String>> byPartition = new TreeMap<>();
            for (ConsumerRecord<byte[], byte[]> r : records) {
                byPartition
                        .computeIfAbsent(r.partition(), p -> new ArrayList<>())
                        .add(new String(r.value(), StandardCharsets.UTF_8));
            }
            return List.copyOf(byPartition.values());
        }

        @Override
        public void close() throws Exception {
            if (kafka != null) {
                kafka.close();
            }
        }

        private ConfigValues values(String hosts, String topic, String password) {
            return ConfigValues.of(
                    provider.schema(),
                    Map.of(
                            "hosts", hosts,
                            "topic", topic,
                            "username", USER,
                            "password", password,
                            "sasl_mechanism", "scram_sha_256",
                            "request_timeout_ms", 3000L));
        }
    }
}
