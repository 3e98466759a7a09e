package dev.sluice.sink.kafka;

import static dev.sluice.testkit.TestMessages.sequenced;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Position;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaSinkIT {
    /** Generous: these tests check what a check finds, not how fast, and CI machines can be busy. */
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);

    private TestKafka kafka;

    @BeforeAll
    void startKafka() throws Exception {
        kafka = TestKafka.plaintext();
    }

    @AfterAll
    void stopKafka() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    private KafkaConfig config(String topic, Compression compression, Duration requestTimeout) {
        return new KafkaConfig(
                kafka.hosts(), topic, false, null, null, null, null, null, null, compression, requestTimeout);
    }

    private KafkaSink started(KafkaConfig config) {
        KafkaSink sink = new KafkaSink(config);
        sink.start(new SinkContext("s1", "kafka-it"));
        return sink;
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void deliver_everyCompression_roundTripsExactJsonBytes(Compression compression) throws Exception {
        String topic = "compression-" + compression.name().toLowerCase();
        kafka.createTopic(topic, 1, Map.of());
        List<SinkMessage> messages = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            messages.add(sequenced("g" + (i % 3), i, new Position(1000 + i, 0), "é✓ \\\"😀 " + "x".repeat(i * 20)));
        }
        messages.add(sequenced(null, 50));
        try (KafkaSink sink = started(config(topic, compression, Duration.ofSeconds(30)))) {
            sink.deliver(new Batch(messages)).toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        List<ConsumerRecord<byte[], byte[]>> records = kafka.readAll(topic);
        assertThat(records).hasSize(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            assertThat(records.get(i).value()).isEqualTo(messages.get(i).json());
        }
        assertThat(key(records.get(1))).isEqualTo("g1");
        assertThat(key(records.get(50))).as("no group: the table is the key").isEqualTo("public.orders");
    }

    @Test
    void check_unknownTopic_saysItDoesNotExist() {
        KafkaConfig config = config("no-such-topic", Compression.NONE, Duration.ofSeconds(5));
        CheckResult result = new KafkaProvider().check(config, CHECK_TIMEOUT);

        assertThat(result.status()).isEqualTo(CheckResult.Status.NOT_FOUND);
        assertThat(result.detail())
                .isEqualTo("topic 'no-such-topic' does not exist on " + String.join(",", kafka.hosts()));
    }

    @Test
    void deliver_unreachableBroker_failsRetriablyNamingTopicAndHost() throws Exception {
        int closedPort;
        try (var socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        KafkaConfig config = new KafkaConfig(
                List.of("127.0.0.1:" + closedPort),
                "t",
                false,
                null,
                null,
                null,
                null,
                null,
                null,
                Compression.NONE,
                Duration.ofSeconds(1));
        try (KafkaSink sink = started(config)) {
            var stage = sink.deliver(new Batch(List.of(sequenced("a", 0), sequenced("a", 1))));
            assertThatThrownBy(() -> stage.toCompletableFuture().get(10, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(SinkException.class, e -> {
                        assertThat(e.retriable()).isTrue();
                        assertThat(e.isPartial()).isFalse();
                    })
                    .hasMessageContaining("kafka topic 't' on 127.0.0.1:" + closedPort + ": all 2 messages failed");
        }
    }

    @Test
    void start_hostsThatDoNotResolve_startsAnyway_andFailsDeliveriesRetriably() {
        // A broker name not in DNS yet is a peer that is down: the sink (and the API call that adds it) starts.
        KafkaConfig config = new KafkaConfig(
                List.of("kafka-not-in-dns.invalid:9092"),
                "t",
                false,
                null,
                null,
                null,
                null,
                null,
                null,
                Compression.NONE,
                Duration.ofSeconds(1));
        try (KafkaSink sink = started(config)) {
            var stage = sink.deliver(new Batch(List.of(sequenced("a", 0))));
            assertThatThrownBy(() -> stage.toCompletableFuture().get(10, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(
                            SinkException.class, e -> assertThat(e.retriable()).isTrue())
                    .hasMessageContaining("kafka-not-in-dns.invalid");
        }
    }

    @Test
    void deliver_routedBatches_goToTheirTopics_withTheRoutedKey() throws Exception {
        kafka.createTopic("routing-default", 1, Map.of());
        kafka.createTopic("routing-a", 1, Map.of());
        kafka.createTopic("routing-b", 1, Map.of());
        Map<String, Object> noKey = new HashMap<>();
        noKey.put("message_key", null);
        Batch toA = routed(Map.of("topic", "routing-a"), sequenced("g1", 0), sequenced("g1", 1));
        Batch toB = routed(Map.of("topic", "routing-b", "message_key", "fixed-key"), sequenced("g2", 0));
        Batch unkeyed = routed(noKey, sequenced("g3", 0));
        Batch plain = new Batch(List.of(sequenced("g4", 0)));

        try (KafkaSink sink = started(config("routing-default", Compression.NONE, Duration.ofSeconds(30)))) {
            for (Batch b : List.of(toA, toB, unkeyed, plain)) {
                sink.deliver(b).toCompletableFuture().get(60, TimeUnit.SECONDS);
            }
        }

        List<ConsumerRecord<byte[], byte[]>> a = kafka.readAll("routing-a");
        assertThat(a).extracting(r -> key(r)).containsExactly("g1", "g1");
        assertThat(a).extracting(ConsumerRecord::value).containsExactly(json(toA, 0), json(toA, 1));
        List<ConsumerRecord<byte[], byte[]>> b = kafka.readAll("routing-b");
        assertThat(b).extracting(r -> key(r)).containsExactly("fixed-key");
        assertThat(b).extracting(ConsumerRecord::value).containsExactly(json(toB, 0));
        List<ConsumerRecord<byte[], byte[]>> rest = kafka.readAll("routing-default");
        assertThat(rest).extracting(ConsumerRecord::key).containsExactly(null, "g4".getBytes(StandardCharsets.UTF_8));
        assertThat(rest).extracting(ConsumerRecord::value).containsExactly(json(unkeyed, 0), json(plain, 0));
    }

    @Test
    void deliver_invalidRoutedTopic_failsTheBatchRetriablyNamingTheKey() throws Exception {
        kafka.createTopic("routing-invalid", 1, Map.of());
        try (KafkaSink sink = started(config("routing-invalid", Compression.NONE, Duration.ofSeconds(30)))) {
            var stage = sink.deliver(routed(Map.of("topic", "no spaces"), sequenced("g", 0)));
            assertThatThrownBy(() -> stage.toCompletableFuture().get(10, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(
                            SinkException.class, e -> assertThat(e.retriable()).isTrue())
                    .hasMessage("routing: topic \"no spaces\" is not a valid Kafka topic name (letters, digits, '.',"
                            + " '_', '-'; at most 249 characters)");
            // The sink goes on: a valid batch after it is written.
            sink.deliver(new Batch(List.of(sequenced("g", 0))))
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
        }
        assertThat(kafka.readAll("routing-invalid")).hasSize(1);
    }

    private static Batch routed(Map<String, Object> routing, SinkMessage... messages) {
        List<SinkMessage> out = new ArrayList<>();
        for (SinkMessage m : messages) {
            out.add(m.with(m.json(), routing));
        }
        return new Batch(out);
    }

    private static byte[] json(Batch batch, int i) {
        return batch.messages().get(i).json();
    }

    private static String key(ConsumerRecord<byte[], byte[]> r) {
        return new String(r.key(), StandardCharsets.UTF_8);
    }
}
