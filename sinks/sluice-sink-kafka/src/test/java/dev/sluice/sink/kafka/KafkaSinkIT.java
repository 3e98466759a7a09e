package dev.sluice.sink.kafka;

import static dev.sluice.testkit.TestMessages.seq;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

    @Test
    void deliver_concurrentBatchesOfManyGroups_keepEachKeysOrderAcrossPartitions() throws Exception {
        String topic = "order-per-key";
        kafka.createTopic(topic, 4, Map.of());
        int lanes = 6;
        int groupsPerLane = 5;
        int batchesPerLane = 8;
        int perGroupPerBatch = 4;
        try (KafkaSink sink = started(config(topic, Compression.NONE, Duration.ofSeconds(30)))) {
            // Like the engine: each lane owns its groups and has one batch in flight; lanes run concurrently.
            List<CompletableFuture<Void>> lanesDone = new ArrayList<>();
            for (int lane = 0; lane < lanes; lane++) {
                CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
                for (int b = 0; b < batchesPerLane; b++) {
                    Batch batch = laneBatch(lane, groupsPerLane, b, perGroupPerBatch);
                    chain = chain.thenCompose(v -> sink.deliver(batch));
                }
                lanesDone.add(chain);
            }
            CompletableFuture.allOf(lanesDone.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);
        }
        Map<String, List<Long>> byKey = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : kafka.readAll(topic)) {
            byKey.computeIfAbsent(key(r), k -> new ArrayList<>()).add(seq(r.value()));
        }
        assertThat(byKey).hasSize(lanes * groupsPerLane);
        List<Long> expected = new ArrayList<>();
        for (long s = 0; s < (long) batchesPerLane * perGroupPerBatch; s++) {
            expected.add(s);
        }
        byKey.forEach((key, seqs) -> assertThat(seqs).as(key).isEqualTo(expected));
        assertThat(kafka.readAll(topic).stream().map(ConsumerRecord::partition).distinct())
                .as("keys spread over partitions")
                .hasSizeGreaterThan(1);
    }

    // Batch b of a lane: for each of its groups, sequence numbers b*n .. b*n+n-1, groups interleaved.
    private static Batch laneBatch(int lane, int groups, int b, int n) {
        List<SinkMessage> messages = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (int g = 0; g < groups; g++) {
                messages.add(sequenced("lane" + lane + "-g" + g, (long) b * n + i));
            }
        }
        return new Batch(messages);
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
    void deliver_brokerRestartMidStream_losesNothingAndKeepsFirstOccurrenceOrder() throws Exception {
        String topic = "restart";
        kafka.createTopic(topic, 3, Map.of());
        int groups = 6;
        int batches = 30;
        AtomicInteger failures = new AtomicInteger();
        Thread restart = null;
        try (KafkaSink sink = started(config(topic, Compression.LZ4, Duration.ofSeconds(2)))) {
            for (int b = 0; b < batches; b++) {
                if (b == 10) {
                    restart = Thread.ofPlatform().name("broker-restart").start(() -> {
                        try {
                            kafka.stopBroker();
                            Thread.sleep(3000);
                            kafka.startBroker();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                }
                List<SinkMessage> messages = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    for (int g = 0; g < groups; g++) {
                        messages.add(sequenced("g" + g, b * 5L + i));
                    }
                }
                deliverUntilDone(sink, new Batch(messages), failures);
            }
        }
        restart.join();
        assertThat(failures.get())
                .as("deliveries failed while the broker was down")
                .isPositive();
        Map<String, List<Long>> firsts = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : kafka.readAll(topic)) {
            List<Long> seqs = firsts.computeIfAbsent(key(r), k -> new ArrayList<>());
            long s = seq(r.value());
            if (!seqs.contains(s)) {
                seqs.add(s);
            }
        }
        assertThat(firsts).hasSize(groups);
        List<Long> expected = new ArrayList<>();
        for (long s = 0; s < batches * 5L; s++) {
            expected.add(s);
        }
        firsts.forEach((key, seqs) -> assertThat(seqs).as(key).isEqualTo(expected));
    }

    /** Delivers as the engine does: a failed batch is tried again, a partial failure only with its messages to retry. */
    private static void deliverUntilDone(KafkaSink sink, Batch batch, AtomicInteger failures) throws Exception {
        Batch current = batch;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                sink.deliver(current).toCompletableFuture().get(30, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                SinkException failure = (SinkException) e.getCause();
                failures.incrementAndGet();
                assertThat(failure.retriable()).as(failure.getMessage()).isTrue();
                assertThat(failure.getMessage()).contains("topic 'restart'");
                if (failure.isPartial()) {
                    List<SinkMessage> again = new ArrayList<>();
                    for (int i = 0; i < current.size(); i++) {
                        if (failure.toRetry(i)) {
                            again.add(current.messages().get(i));
                        }
                    }
                    current = new Batch(again);
                }
                assertThat(System.nanoTime()).as("delivered within 60 s").isLessThan(deadline);
                Thread.sleep(200);
            }
        }
    }

    @Test
    void deliver_recordOverTopicLimit_isRejectedAndTheOthersDelivered() throws Exception {
        String topic = "oversize";
        kafka.createTopic(topic, 1, Map.of("max.message.bytes", "4000"));
        List<SinkMessage> messages = List.of(
                sequenced("a", 0),
                sequenced("a", 1),
                sequenced("a", 2, new Position(1002, 0), "x".repeat(10_000)),
                sequenced("a", 3),
                sequenced("a", 4));
        try (KafkaSink sink = started(config(topic, Compression.NONE, Duration.ofSeconds(30)))) {
            assertThatThrownBy(() -> sink.deliver(new Batch(messages))
                            .toCompletableFuture()
                            .get(60, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(SinkException.class, e -> {
                        assertThat(e.isPartial()).isTrue();
                        assertThat(e.retriable()).isFalse();
                        for (int i = 0; i < messages.size(); i++) {
                            assertThat(e.rejected(i)).as("rejected " + i).isEqualTo(i == 2);
                            assertThat(e.toRetry(i)).as("retry " + i).isFalse();
                        }
                        assertThat(e.getMessage())
                                .contains("topic 'oversize'", "1 of 5 messages failed", "RecordTooLargeException");
                    });
        }
        assertThat(kafka.readAll(topic).stream().map(r -> seq(r.value())).toList())
                .containsExactly(0L, 1L, 3L, 4L);
    }

    @Test
    void check_existingTopic_passes() throws Exception {
        kafka.createTopic("checked", 1, Map.of());
        KafkaSink.check(config("checked", Compression.NONE, Duration.ofSeconds(5)), Duration.ofSeconds(5));
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
    void check_unreachableHost_saysNoBrokerAnswered() throws Exception {
        int closedPort;
        try (var socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        KafkaConfig config = KafkaConfig.of(List.of("127.0.0.1:" + closedPort), "any");
        long start = System.nanoTime();
        assertThatThrownBy(() -> KafkaSink.check(config, Duration.ofSeconds(2)))
                .isInstanceOfSatisfying(
                        SinkException.class, e -> assertThat(e.retriable()).isTrue())
                .hasMessageContaining("127.0.0.1:" + closedPort + ": no broker answered within 2000 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
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
