package dev.sluice.sink.kafka;

import static dev.sluice.testkit.TestMessages.sequenced;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaSinkSaslIT {
    private static final String TOPIC = "secured";
    // A quote and a backslash check the escaping of the JAAS option.
    private static final String PASSWORD = "s3cr\"et\\pw";

    private TestKafka kafka;

    @BeforeAll
    void startKafka() throws Exception {
        kafka = TestKafka.sasl();
        kafka.createTopic(TOPIC, 1, Map.of());
        kafka.createScramUser("sluice256", PASSWORD, ScramMechanism.SCRAM_SHA_256);
        kafka.createScramUser("sluice512", PASSWORD, ScramMechanism.SCRAM_SHA_512);
    }

    @AfterAll
    void stopKafka() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    private KafkaConfig config(SaslMechanism mechanism, String user, String password) {
        return new KafkaConfig(
                kafka.hosts(),
                TOPIC,
                false,
                user,
                password,
                mechanism,
                null,
                null,
                null,
                Compression.NONE,
                Duration.ofSeconds(5));
    }

    private static String user(SaslMechanism mechanism) {
        return switch (mechanism) {
            case SCRAM_SHA_256 -> "sluice256";
            case SCRAM_SHA_512 -> "sluice512";
            default -> throw new IllegalArgumentException(mechanism.name());
        };
    }

    @ParameterizedTest
    @EnumSource(
            value = SaslMechanism.class,
            names = {"SCRAM_SHA_256", "SCRAM_SHA_512"})
    void deliver_scramWithRightPassword_writesRecords(SaslMechanism mechanism) throws Exception {
        int before = kafka.readAll(TOPIC).size();
        try (KafkaSink sink = new KafkaSink(config(mechanism, user(mechanism), PASSWORD))) {
            sink.start(new SinkContext("s1", "sasl"));
            sink.deliver(new Batch(List.of(sequenced("a", 0), sequenced("a", 1))))
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
        }
        assertThat(kafka.readAll(TOPIC)).hasSize(before + 2);
    }

    @Test
    void deliver_plainWithRightPassword_writesRecords() throws Exception {
        int before = kafka.readAll(TOPIC).size();
        try (KafkaSink sink = new KafkaSink(config(SaslMechanism.PLAIN, "plain-user1", "plain-user1-secret"))) {
            sink.start(new SinkContext("s1", "sasl"));
            sink.deliver(new Batch(List.of(sequenced("a", 0))))
                    .toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
        }
        assertThat(kafka.readAll(TOPIC)).hasSize(before + 1);
    }

    @Test
    void deliver_scramWithWrongPassword_failsRetriablyNamingAuthentication() throws Exception {
        try (KafkaSink sink = new KafkaSink(config(SaslMechanism.SCRAM_SHA_256, "sluice256", "wrong-password"))) {
            sink.start(new SinkContext("s1", "sasl"));
            var stage = sink.deliver(new Batch(List.of(sequenced("a", 0), sequenced("a", 1))));
            assertThatThrownBy(() -> stage.toCompletableFuture().get(60, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(SinkException.class, e -> {
                        // The messages are fine: they are kept for another attempt once the credentials are fixed.
                        assertThat(e.retriable()).isTrue();
                        assertThat(e.isPartial()).isFalse();
                    })
                    .hasMessageContaining("kafka topic 'secured' on " + String.join(",", kafka.hosts()))
                    .hasMessageContaining("all 2 messages failed: authentication failed")
                    .message()
                    .doesNotContain("wrong-password");
        }
    }
}
