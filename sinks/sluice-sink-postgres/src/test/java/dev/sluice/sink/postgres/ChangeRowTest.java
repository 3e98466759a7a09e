package dev.sluice.sink.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.sink.postgres.ChangeRow.JsonValue;
import dev.sluice.testkit.TestMessages;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChangeRowTest {
    private static SinkMessage raw(String json, Map<String, Object> routing) {
        return new SinkMessage(
                new Position(1, 1),
                new TableId("public", "orders"),
                Action.UPDATE,
                Instant.EPOCH,
                json.getBytes(StandardCharsets.UTF_8),
                null,
                "k1",
                routing);
    }

    @Test
    void readsAnEncodedMessagesRowWithExactValues() {
        ChangeRow r = ChangeRow.of(TestMessages.insert("o-1", "Ann", 3), null);
        assertThat(r.action()).isEqualTo(Action.INSERT);
        assertThat(r.target()).isEqualTo(new TableId("public", "orders"));
        assertThat(r.record())
                .containsEntry("id", new JsonValue.Text("o-1"))
                .containsEntry("name", new JsonValue.Text("Ann"))
                .containsEntry("seq", JsonValue.NULL);
    }

    @Test
    void keepsNumbersAndStructuresAsWrittenAndReadsChangesAndToast() {
        ChangeRow r = ChangeRow.of(
                raw(
                        "{\"metadata\":{\"x\":[1],\"unchanged_toast_columns\":[\"big\"]},"
                                + "\"record\":{\"n\":1.50e+3,\"doc\":{\"a\" : [1,  2]},\"big\":\"unchanged_toast\"},"
                                + "\"changes\":{\"n\":-0},\"action\":\"update\"}",
                        null),
                "mirror");
        assertThat(r.target()).isEqualTo(new TableId("mirror", "orders"));
        assertThat(r.record().get("n")).isEqualTo(new JsonValue.Number("1.50e+3"));
        assertThat(r.record().get("doc")).isEqualTo(new JsonValue.Structured("{\"a\" : [1,  2]}"));
        assertThat(r.changes()).containsEntry("n", new JsonValue.Number("-0"));
        assertThat(r.unchangedToast()).containsExactly("big");
        assertThat(r.written()).containsOnlyKeys("n", "doc");
        assertThat(r.before()).containsEntry("n", new JsonValue.Number("-0")).doesNotContainKey("big");
    }

    @Test
    void routingChoosesTheTable() {
        ChangeRow r =
                ChangeRow.of(raw("{\"record\":{\"id\":1}}", Map.of(ChangeRow.ROUTE_TABLE, "orders_2024")), "mirror");
        assertThat(r.target()).isEqualTo(new TableId("mirror", "orders_2024"));
    }

    @Test
    void aMessageWithoutARecordSaysWhy() {
        assertThatThrownBy(() -> ChangeRow.of(raw("{\"id\":1}", null), null))
                .isInstanceOf(SinkException.class)
                .hasMessageContaining("no \"record\" object")
                .hasMessageContaining("transform");
        assertThatThrownBy(() -> ChangeRow.of(raw("[1]", null), null)).isInstanceOf(SinkException.class);
    }
}
