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

    @Test
    void recordPks_areReadFromTheMetadata_orNullWhenATransformRemovedThem() {
        byte[] message = TestMessages.insert("o-1", "Ada", 0).json();
        assertThat(EntryFields.recordPks(message)).containsExactly("o-1");
        assertThat(EntryFields.recordPks(
                        "{\"metadata\":{\"record_pks\":[\"1\",\"a\\\"b\"]}}".getBytes(StandardCharsets.UTF_8)))
                .containsExactly("1", "a\"b");
        assertThat(EntryFields.recordPks("{\"id\":1}".getBytes(StandardCharsets.UTF_8)))
                .isNull();
        assertThat(EntryFields.recordPks("\"text\"".getBytes(StandardCharsets.UTF_8)))
                .isNull();
        assertThat(EntryFields.recordPks("{\"metadata\":{\"record_pks\":[1]}}".getBytes(StandardCharsets.UTF_8)))
                .isNull();
    }

    @Test
    void stringValue_isAJsonStringsText_andAnyOtherJsonAsItIs() {
        assertThat(value("\"caf\\u00e9 \\\"x\\\"\"")).isEqualTo("café \"x\"");
        assertThat(value("{\"a\":1}")).isEqualTo("{\"a\":1}");
        assertThat(value("42")).isEqualTo("42");
        assertThat(value("\"a\" \"b\"")).isEqualTo("\"a\" \"b\"");
    }

    private static String value(String json) {
        return new String(EntryFields.stringValue(json.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }
}
