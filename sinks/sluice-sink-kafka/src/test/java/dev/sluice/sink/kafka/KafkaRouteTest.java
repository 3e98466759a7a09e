package dev.sluice.sink.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.SinkException;
import dev.sluice.testkit.TestMessages;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KafkaRouteTest {
    private static final KafkaConfig CONFIG = KafkaConfig.of(List.of("b1:9092"), "orders");

    private static Map<String, Object> routing(Object... keysAndValues) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    @Test
    void absentKeys_keepTheConfiguredTopicAndTheGroupKey() {
        KafkaRoute route = KafkaRoute.of(Map.of(), CONFIG);

        assertThat(route.topic()).isEqualTo("orders");
        assertThat(route.keyOf(TestMessages.insert("1", "a", 1000, 0, "g-1")))
                .isEqualTo("g-1".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void routedTopicAndKey_overrideTheConfig_andANullKeyMeansNoKey() {
        KafkaRoute route = KafkaRoute.of(routing("topic", "audit.orders_v2", "message_key", "k"), CONFIG);
        assertThat(route.topic()).isEqualTo("audit.orders_v2");
        assertThat(route.keyOf(TestMessages.insert("1", "a", 0))).isEqualTo("k".getBytes(StandardCharsets.UTF_8));

        assertThat(KafkaRoute.of(routing("message_key", null), CONFIG).keyOf(TestMessages.insert("1", "a", 0)))
                .isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "a b", "a/b", "é"})
    void invalidTopic_failsRetriablyNamingKeyValueAndRule(String topic) {
        assertThatThrownBy(() -> KafkaRoute.of(routing("topic", topic), CONFIG))
                .isInstanceOfSatisfying(
                        SinkException.class, e -> assertThat(e.retriable()).isTrue())
                .hasMessage("routing: topic \"" + topic + "\" is not a valid Kafka topic name (letters, digits, '.',"
                        + " '_', '-'; at most 249 characters)");
    }

    @Test
    void topicOver249Characters_isRefused_valueCut() {
        assertThatThrownBy(() -> KafkaRoute.of(routing("topic", "t".repeat(250)), CONFIG))
                .hasMessageStartingWith("routing: topic \"ttt")
                .hasMessageContaining("t… is not a valid Kafka topic name");
    }

    @Test
    void wrongTypes_areRefused() {
        assertThatThrownBy(() -> KafkaRoute.of(routing("topic", 42L), CONFIG))
                .hasMessage("routing: topic 42 must be a string, the name of a topic");
        assertThatThrownBy(() -> KafkaRoute.of(routing("topic", null), CONFIG))
                .hasMessage("routing: topic null must be a string, the name of a topic, not null");
        assertThatThrownBy(() -> KafkaRoute.of(routing("message_key", Map.of("a", 1)), CONFIG))
                .hasMessage("routing: message_key {\"a\": 1} must be a string, or null for records without a key");
    }
}
