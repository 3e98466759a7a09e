package dev.sluice.terraform.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The plugin protocol's value encoding: msgpack against a type, unknowns, objects, numbers, and state JSON. */
class MsgpackTest {
    private static final TfType.ObjectType SLOT =
            new TfType.ObjectType(map("id", TfType.STRING, "slot_name", TfType.STRING, "status", TfType.STRING));
    private static final TfType.ObjectType DB = new TfType.ObjectType(map(
            "name", TfType.STRING,
            "port", TfType.NUMBER,
            "ssl", TfType.BOOL,
            "tags", TfType.map(TfType.STRING),
            "replication_slots", TfType.list(SLOT)));

    @Test
    void unknown_isExtensionZero_writtenAsTerraformWritesIt_andAnyExtensionReadsAsUnknown() {
        assertThat(HexFormat.of().formatHex(Msgpack.encode(Unknown.VALUE, TfType.STRING)))
                .isEqualTo("d40000");
        // ext 12 (a refined unknown, payload a map of refinements) and an empty ext 0 are unknown too.
        assertThat(Msgpack.decode(HexFormat.of().parseHex("c7010c80"), TfType.STRING))
                .isEqualTo(Unknown.VALUE);
        assertThat(Msgpack.decode(HexFormat.of().parseHex("c70000"), TfType.NUMBER))
                .isEqualTo(Unknown.VALUE);
    }

    @Test
    void objects_roundTrip_withEveryAttributePresent_nullsExplicit() {
        Map<String, Object> slot = new LinkedHashMap<>();
        slot.put("id", Unknown.VALUE);
        slot.put("slot_name", "s1");
        slot.put("status", null);
        Map<String, Object> db = new LinkedHashMap<>();
        db.put("name", "source");
        db.put("port", new BigDecimal("5432"));
        db.put("ssl", true);
        db.put("tags", Map.of("team", "data"));
        db.put("replication_slots", List.of(slot));
        Object back = Msgpack.decode(Msgpack.encode(db, DB), DB);
        assertThat(back).isEqualTo(db);

        Map<String, Object> partial = new LinkedHashMap<>();
        partial.put("name", "x");
        // An attribute left out is written as nil: Terraform refuses objects with missing attributes.
        Map<String, Object> expected = new LinkedHashMap<>();
        for (String a : DB.attributes().keySet()) {
            expected.put(a, null);
        }
        expected.put("name", "x");
        assertThat(Msgpack.decode(Msgpack.encode(partial, DB), DB)).isEqualTo(expected);
    }

    @Test
    void unknownAttributes_areRefused_bothWays() {
        assertThatThrownBy(() -> Msgpack.encode(Map.of("nope", "x"), DB))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nope");
        byte[] withExtra = Msgpack.encode(
                Map.of("name", "x", "nope", "y"),
                new TfType.ObjectType(map("name", TfType.STRING, "nope", TfType.STRING)));
        assertThatThrownBy(() -> Msgpack.decode(withExtra, DB)).hasMessageContaining("nope");
    }

    @Test
    void numbers_intsFloatsAndDecimalsBeyondBoth() {
        for (String n : List.of(
                "0",
                "-7",
                "5432",
                "9223372036854775807",
                "1.5",
                "0.1",
                "123456789012345678901234567890",
                "3.14159265358979323846264338327950288")) {
            Object back = Msgpack.decode(Msgpack.encode(new BigDecimal(n), TfType.NUMBER), TfType.NUMBER);
            assertThat(((BigDecimal) back).compareTo(new BigDecimal(n))).as(n).isZero();
        }
        assertThat(HexFormat.of().formatHex(Msgpack.encode(new BigDecimal("5432"), TfType.NUMBER)))
                .isEqualTo("cd1538");
    }

    @Test
    void stateJson_fromAnOlderSchema_dropsWhatIsGone_andNullsWhatIsNew() {
        var json = JsonMapper.builder().build().readTree("""
                {"name": "source", "port": 5432, "removed_attr": "x",
                 "replication_slots": [{"id": "rs1", "slot_name": "s1"}]}""");
        @SuppressWarnings("unchecked")
        Map<String, Object> v = (Map<String, Object>) JsonValues.read(json, DB);
        assertThat(v).containsOnlyKeys("name", "port", "ssl", "tags", "replication_slots");
        assertThat(v.get("ssl")).isNull();
        assertThat(((BigDecimal) v.get("port")).intValueExact()).isEqualTo(5432);
        assertThat(v.get("replication_slots")).asList().first().isEqualTo(slot("rs1", "s1"));
        // And it encodes as the current schema's object.
        assertThat(Msgpack.decode(Msgpack.encode(v, DB), DB)).isEqualTo(v);
    }

    @Test
    void typesAsTheProtocolWritesThem() {
        assertThat(TfType.list(TfType.STRING).json()).isEqualTo("[\"list\",\"string\"]");
        assertThat(SLOT.json())
                .isEqualTo("[\"object\",{\"id\":\"string\",\"slot_name\":\"string\",\"status\":\"string\"}]");
    }

    private static Map<String, Object> slot(String id, String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("slot_name", name);
        m.put("status", null);
        return m;
    }

    private static Map<String, TfType> map(Object... kv) {
        Map<String, TfType> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (TfType) kv[i + 1]);
        }
        return m;
    }
}
