package dev.sluice.postgres.types;

import static dev.sluice.postgres.types.Render.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TimestampFormat;
import dev.sluice.core.ValueCodec;
import org.junit.jupiter.api.Test;

class ArrayCodecTest {
    private static final ArrayCodec INTS = new ArrayCodec(ScalarCodecs.INTEGER, ',');
    private static final ArrayCodec TEXTS = new ArrayCodec(ValueCodec.STRING, ',');

    @Test
    void flatAndEmpty() {
        assertThat(json(INTS, "{1,2,3}")).isEqualTo("[1,2,3]");
        assertThat(json(INTS, "{}")).isEqualTo("[]");
        assertThat(json(INTS, "{-5}")).isEqualTo("[-5]");
    }

    @Test
    void nullsAreNullButQuotedNullIsText() {
        assertThat(json(INTS, "{1,NULL,3}")).isEqualTo("[1,null,3]");
        assertThat(json(TEXTS, "{NULL,\"NULL\",null}")).isEqualTo("[null,\"NULL\",null]");
    }

    @Test
    void quotedElementsWithEscapes() {
        assertThat(json(TEXTS, "{\"a b\",\"c\\\"d\",\"e\\\\f\",\"{x,y}\",\"\"}"))
                .isEqualTo("[\"a b\",\"c\\\"d\",\"e\\\\f\",\"{x,y}\",\"\"]");
        assertThat(json(TEXTS, "{plain,\"new\nline\"}")).isEqualTo("[\"plain\",\"new\\nline\"]");
    }

    @Test
    void multiDimensionalNests() {
        assertThat(json(INTS, "{{1,2},{3,4}}")).isEqualTo("[[1,2],[3,4]]");
        assertThat(json(INTS, "{{{1},{2}},{{3},{NULL}}}")).isEqualTo("[[[1],[2]],[[3],[null]]]");
    }

    @Test
    void dimensionDecorationIsDropped() {
        assertThat(json(INTS, "[0:2]={1,2,3}")).isEqualTo("[1,2,3]");
        assertThat(json(INTS, "[-1:0][1:2]={{1,2},{3,4}}")).isEqualTo("[[1,2],[3,4]]");
    }

    @Test
    void usesElementDelimiter() {
        ArrayCodec boxes = new ArrayCodec(ValueCodec.STRING, ';');
        assertThat(json(boxes, "{(1,1),(0,0);(3,3),(2,2)}")).isEqualTo("[\"(1,1),(0,0)\",\"(3,3),(2,2)\"]");
    }

    @Test
    void elementsUseElementCodec() {
        ArrayCodec floats = new ArrayCodec(ScalarCodecs.FLOAT, ',');
        assertThat(json(floats, "{1.5,NaN,-Infinity}")).isEqualTo("[1.5,\"NaN\",\"-Infinity\"]");
        ArrayCodec jsons = new ArrayCodec(ScalarCodecs.JSON, ',');
        assertThat(json(jsons, "{\"{\\\"a\\\": 1}\",\"[1, 2]\",NULL}")).isEqualTo("[{\"a\": 1},[1, 2],null]");
        ArrayCodec stamps = new ArrayCodec(DateTimeCodecs.TIMESTAMPTZ, ',');
        assertThat(json(stamps, "{\"2024-01-02 03:04:05+00\",infinity}"))
                .isEqualTo("[\"2024-01-02T03:04:05.000000Z\",\"infinity\"]");
        assertThat(json(stamps, "{\"1970-01-01 00:00:01+00\"}", TimestampFormat.UNIX_MICROSECOND))
                .isEqualTo("[1000000]");
        ArrayCodec intervals = new ArrayCodec(IntervalCodec.INSTANCE, ',');
        assertThat(json(intervals, "{P1D,\"1 day\"}"))
                .isEqualTo(
                        "[{\"months\":0,\"days\":1,\"microseconds\":0},{\"months\":0,\"days\":1,\"microseconds\":0}]");
    }

    @Test
    void arrayOfArrayCodec_forDomainOverArrayElements() {
        ArrayCodec nested = new ArrayCodec(new ArrayCodec(ScalarCodecs.INTEGER, ','), ',');
        assertThat(json(nested, "{\"{1,2}\",NULL}")).isEqualTo("[[1,2],null]");
    }

    @Test
    void malformedLiteralBecomesOneString() {
        assertThat(json(INTS, "{1,2")).isEqualTo("\"{1,2\"");
        assertThat(json(INTS, "{1,,2}")).isEqualTo("\"{1,,2}\"");
        assertThat(json(INTS, "{1,2}x")).isEqualTo("\"{1,2}x\"");
        assertThat(json(TEXTS, "{\"open}")).isEqualTo("\"{\\\"open}\"");
        assertThat(json(INTS, "[0:2]{1}")).isEqualTo("\"[0:2]{1}\"");
        assertThat(json(INTS, "1,2")).isEqualTo("\"1,2\"");
    }
}
