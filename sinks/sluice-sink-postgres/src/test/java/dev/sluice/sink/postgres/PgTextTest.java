package dev.sluice.sink.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.sink.postgres.ChangeRow.JsonValue;
import dev.sluice.sink.postgres.ValueKind.Array;
import dev.sluice.sink.postgres.ValueKind.Scalar;
import org.junit.jupiter.api.Test;

class PgTextTest {
    @Test
    void scalarsKeepTheirExactText() {
        assertThat(PgText.of(JsonValue.NULL, Scalar.OTHER)).isNull();
        assertThat(PgText.of(new JsonValue.Number("1e+308"), Scalar.OTHER)).isEqualTo("1e+308");
        assertThat(PgText.of(new JsonValue.Number("-0"), Scalar.OTHER)).isEqualTo("-0");
        assertThat(PgText.of(new JsonValue.Bool(false), Scalar.OTHER)).isEqualTo("false");
        assertThat(PgText.of(new JsonValue.Text("12345678901234567890.000000000000000001"), Scalar.OTHER))
                .isEqualTo("12345678901234567890.000000000000000001");
        assertThat(PgText.of(new JsonValue.Structured("{\"b\":  [1, 2],\"a\":null}"), Scalar.JSON))
                .isEqualTo("{\"b\":  [1, 2],\"a\":null}");
    }

    @Test
    void byteaComesBackFromBase64AsHex() {
        assertThat(PgText.of(new JsonValue.Text("AAH/"), Scalar.BYTEA)).isEqualTo("\\x0001ff");
        assertThat(PgText.of(new JsonValue.Text(""), Scalar.BYTEA)).isEqualTo("\\x");
    }

    @Test
    void astronomicalYearsBecomeBcAndLongYearsLoseTheirSign() {
        assertThat(PgText.of(new JsonValue.Text("-0043-03-15"), Scalar.DATE)).isEqualTo("0044-03-15 BC");
        assertThat(PgText.of(new JsonValue.Text("0000-01-01"), Scalar.DATE)).isEqualTo("0001-01-01 BC");
        assertThat(PgText.of(new JsonValue.Text("+10000-01-01T00:00:00.000000Z"), Scalar.TIMESTAMPTZ))
                .isEqualTo("10000-01-01T00:00:00.000000Z");
        assertThat(PgText.of(new JsonValue.Text("2024-01-02T03:04:05.500000Z"), Scalar.TIMESTAMPTZ))
                .isEqualTo("2024-01-02T03:04:05.500000Z");
        assertThat(PgText.of(new JsonValue.Text("-infinity"), Scalar.TIMESTAMP)).isEqualTo("-infinity");
    }

    @Test
    void unixMicrosecondsBecomeTimestamps() {
        assertThat(PgText.of(new JsonValue.Number("1704164645500000"), Scalar.TIMESTAMPTZ))
                .isEqualTo("2024-01-02T03:04:05.500000Z");
        assertThat(PgText.of(new JsonValue.Number("-1"), Scalar.TIMESTAMP)).isEqualTo("1969-12-31T23:59:59.999999");
    }

    @Test
    void intervalsAreWrittenWithAClockPart() {
        assertThat(PgText.of(
                        new JsonValue.Structured("{\"months\":-14,\"days\":3,\"microseconds\":-3600000001}"),
                        Scalar.INTERVAL))
                .isEqualTo("-14 mons 3 days -1:00:00.000001");
        assertThat(PgText.of(
                        new JsonValue.Structured("{\"months\":0,\"days\":0,\"microseconds\":9223372036854775807}"),
                        Scalar.INTERVAL))
                .isEqualTo("0 mons 0 days 2562047788:00:54.775807");
    }

    @Test
    void arraysBecomeLiteralsWithEachElementConverted() {
        assertThat(PgText.of(new JsonValue.Structured("[[1,2],[3,null]]"), new Array(Scalar.OTHER)))
                .isEqualTo("{{\"1\",\"2\"},{\"3\",NULL}}");
        assertThat(PgText.of(new JsonValue.Structured("[\"a \\\"q\\\" \\\\ b\",\"\"]"), new Array(Scalar.OTHER)))
                .isEqualTo("{\"a \\\"q\\\" \\\\ b\",\"\"}");
        assertThat(PgText.of(new JsonValue.Structured("[\"AAH/\"]"), new Array(Scalar.BYTEA)))
                .isEqualTo("{\"\\\\x0001ff\"}");
        assertThat(PgText.of(new JsonValue.Structured("[{\"a\": [1]}, [2]]"), new Array(Scalar.JSON)))
                .isEqualTo("{\"{\\\"a\\\": [1]}\",\"[2]\"}");
        assertThat(PgText.of(new JsonValue.Structured("[]"), new Array(Scalar.OTHER)))
                .isEqualTo("{}");
    }
}
