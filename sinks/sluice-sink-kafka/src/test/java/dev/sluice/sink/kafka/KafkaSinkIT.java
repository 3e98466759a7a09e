package dev.sluice.sink.kafka;

import static dev.sluice.testkit.TestMessages.sequenced;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Position;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
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
        assertThatThrownBy(() -> KafkaSink.check(config, Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(
                        SinkException.class, e -> assertThat(e.retriable()).isFalse())
                .hasMessage("topic 'no-such-topic' does not exist on " + String.join(",", kafka.hosts()));
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

    private static String key(ConsumerRecord<byte[], byte[]> r) {
        return new String(r.key(), StandardCharsets.UTF_8);
    }
}
