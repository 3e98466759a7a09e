package dev.sluice.core.sink;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutingTest {
    private static SinkMessage message(Map<String, Object> routing) {
        return new SinkMessage(
                new Position(1, 0),
                new TableId("public", "orders"),
                Action.INSERT,
                Instant.EPOCH,
                "{}".getBytes(StandardCharsets.UTF_8),
                "g",
                "k",
                routing);
    }

    @Test
    void batchRouting_isItsFirstMessages_orNullWithoutARoutingFunction() {
        Map<String, Object> routing = new LinkedHashMap<>();
        routing.put("topic", "a");
        routing.put("message_key", null);
        assertThat(new Batch(List.of(message(routing), message(routing))).routing())
                .containsEntry("topic", "a")
                .containsEntry("message_key", null);
        assertThat(new Batch(List.of(message(null))).routing()).isNull();
    }

    @Test
    void invalidRouting_namesKeyValueAndRule_andIsRetriable() {
        SinkException e = SinkException.invalidRouting("topic", "a b", "is not a valid Kafka topic name");

        assertThat(e.getMessage()).isEqualTo("routing: topic \"a b\" is not a valid Kafka topic name");
        assertThat(e.retriable()).isTrue();
        assertThat(e.isPartial()).isFalse();
    }

    @Test
    void invalidRouting_showsValuesAsJson() {
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("X-A", 1);
        headers.put("X-B", Arrays.asList(true, null));
        assertThat(SinkException.invalidRouting("headers", headers, "bad").getMessage())
                .isEqualTo("routing: headers {\"X-A\": 1, \"X-B\": [true, null]} bad");
        assertThat(SinkException.invalidRouting("method", null, "must be set").getMessage())
                .isEqualTo("routing: method null must be set");
        assertThat(SinkException.invalidRouting("k", "q\"\\\n\u0001", "bad").getMessage())
                .isEqualTo("routing: k \"q\\\"\\\\\\n\\u0001\" bad");
    }

    @Test
    void invalidRouting_cutsLongValues() {
        String message = SinkException.invalidRouting("topic", "t".repeat(5000), "is too long")
                .getMessage();

        assertThat(message).isEqualTo("routing: topic \"" + "t".repeat(99) + "… is too long");
    }
}
