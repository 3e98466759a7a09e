package dev.sluice.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Column;
import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import dev.sluice.core.ValueCodec;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A read's idempotency key is base64("<backfill id>:<key values>"), whatever the values. */
class ReadKeysTest {
    private static final TableSchema KEYED = new TableSchema(
            new TableId("public", "t"), List.of(column("a"), column("b"), column("c")), new int[] {2, 0});
    private static final TableSchema KEYLESS =
            new TableSchema(new TableId("public", "t"), List.of(column("a"), column("b")), new int[0]);

    @Test
    void keysAreTheBase64OfTheIdAndTheKeyValues() {
        ReadKeys keys = new ReadKeys("bf-1", null);
        String[][] rows = {
            {"1", "x", "2"},
            {"", "x", ""},
            {"12", null, "a"},
            {"123", "x", "ab"},
            {"é", "x", "☃ 😀"},
            {"x".repeat(600), "y", "z"},
            {null, "y", "tab\tnew\nline"},
            {"1", "x", "2"}
        };
        for (String[] row : rows) {
            assertThat(keys.of(KEYED, row))
                    .as(String.join("|", String.valueOf(row[0]), String.valueOf(row[2])))
                    .isEqualTo(expected("bf-1:" + row[2] + ":" + row[0]));
        }
    }

    @Test
    void aKeylessTablesKeyIsTheSortValue() {
        ReadKeys keys = new ReadKeys("bf-2", "b");
        assertThat(keys.of(KEYLESS, new String[] {"1", "2024-01-01"})).isEqualTo(expected("bf-2:2024-01-01"));
        assertThat(keys.of(KEYLESS, new String[] {"1", null})).isEqualTo(expected("bf-2:null"));
    }

    private static String expected(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static Column column(String name) {
        return new Column(name, "text", ValueCodec.STRING);
    }
}
