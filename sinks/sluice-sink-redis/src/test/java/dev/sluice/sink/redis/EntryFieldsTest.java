package dev.sluice.sink.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.testkit.TestMessages;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EntryFieldsTest {
    private static List<String> fields(String json) {
        List<String> out = new ArrayList<>();
        EntryFields.of(json.getBytes(StandardCharsets.UTF_8))
                .forEach(b -> out.add(new String(b, StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void sequinsMessage_givesRecordChangesActionMetadata_stringsBareAndTheRestAsJson() {
        List<String> f = fields(TestMessages.body(TestMessages.insert("o-1", "Ada \"the\" first", 3)));
        assertThat(f).hasSize(8);
        assertThat(List.of(f.get(0), f.get(2), f.get(4), f.get(6)))
                .containsExactly("record", "changes", "action", "metadata");
        assertThat(f.get(1)).startsWith("{").contains("\"name\":\"Ada \\\"the\\\" first\"");
        assertThat(f.get(3)).isEqualTo("null");
        assertThat(f.get(5)).isEqualTo("insert");
        assertThat(f.get(7)).startsWith("{").endsWith("}").contains("\"idempotency_key\"");
    }

    @Test
    void valuesAreCopiedVerbatim_andStringsUnescaped() {
        assertThat(fields(
                        " { \"a\" : [1, {\"b\": \"}\"}] , \"s\":\"x\\ny\\u00e9\\ud83d\\ude00\\\\\", \"n\": -1.5e3 } "))
                .containsExactly("a", "[1, {\"b\": \"}\"}]", "s", "x\nyé😀\\", "n", "-1.5e3");
        assertThat(fields("{}")).isEmpty();
    }

    @Test
    void notAnObject_isRefused() {
        assertThatThrownBy(() -> fields("\"text\"")).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> fields("[1]")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> fields("{\"a\": 1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> fields("{\"a\": 1} x")).isInstanceOf(IllegalArgumentException.class);
    }
}
