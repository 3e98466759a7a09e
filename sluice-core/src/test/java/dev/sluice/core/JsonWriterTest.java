package dev.sluice.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import tools.jackson.core.Base64Variants;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/** {@link JsonWriter} writes byte for byte what a default Jackson generator writes, which the encoder used before. */
class JsonWriterTest {
    private static final JsonFactory JACKSON = new JsonFactory();
    // Escapes, the bytes around them, multi-byte UTF-8, surrogate pairs.
    private static final String ALPHABET =
            "aZ09 \"\\/\b\f\n\r\t\u0000\u0001\u001f\u007f\u0080\u00e9\u07ff\u0800\u2028\u2603\uffff\ud83d\ude00";

    @Test
    void stringsAreEscapedAsJacksonEscapesThem() {
        Random random = new Random(42);
        for (int n = 0; n < 5_000; n++) {
            StringBuilder sb = new StringBuilder();
            int length = random.nextInt(40);
            while (sb.length() < length) {
                int i = random.nextInt(ALPHABET.length());
                char c = ALPHABET.charAt(i);
                if (Character.isHighSurrogate(c)) {
                    sb.append(c).append(ALPHABET.charAt(i + 1)); // whole pairs only: Jackson rejects halves
                } else if (!Character.isLowSurrogate(c)) {
                    sb.append(c);
                }
            }
            String s = sb.toString();
            char[] chars = ("<<" + s + ">>").toCharArray();
            assertSame(w -> w.writeString(s), g -> g.writeString(s));
            assertSame(w -> w.writeString(chars, 2, s.length()), g -> g.writeString(chars, 2, s.length()));
            assertSame(
                    w -> {
                        w.writeStartObject();
                        w.writeName(s);
                        w.writeNull();
                        w.writeName(JsonWriter.name(s));
                        w.writeString(s);
                        w.writeEndObject();
                    },
                    g -> {
                        g.writeStartObject();
                        g.writeName(s);
                        g.writeNull();
                        g.writeName(s);
                        g.writeString(s);
                        g.writeEndObject();
                    });
        }
    }

    @Test
    void numbersStructureAndBinary() {
        byte[] bytes = new byte[300];
        new Random(7).nextBytes(bytes);
        assertSame(
                w -> {
                    w.writeStartArray();
                    w.writeNumber(Long.MIN_VALUE);
                    w.writeNumber(Long.MAX_VALUE);
                    w.writeNumber(0);
                    w.writeNumber(-17);
                    w.writeNumber("1.5e-07");
                    w.writeNumber(new BigInteger("-123456789012345678901234567890"));
                    w.writeBoolean(true);
                    w.writeBoolean(false);
                    w.writeStartArray();
                    w.writeEndArray();
                    w.writeStartObject();
                    w.writeEndObject();
                    w.writeStartArray();
                    w.writeStartArray();
                    w.writeNull();
                    w.writeEndArray();
                    w.writeRawValue("{\"a\": [1, \"é\"]}");
                    w.writeEndArray();
                    w.writeBinary(bytes);
                    w.writeBinary(new byte[0]);
                    w.writeStartObject();
                    w.writeName("months");
                    w.writeNumber(1);
                    w.writeName("days");
                    w.writeNumber(2);
                    w.writeEndObject();
                    w.writeEndArray();
                },
                g -> {
                    g.writeStartArray();
                    g.writeNumber(Long.MIN_VALUE);
                    g.writeNumber(Long.MAX_VALUE);
                    g.writeNumber(0);
                    g.writeNumber(-17);
                    g.writeNumber("1.5e-07");
                    g.writeNumber(new BigInteger("-123456789012345678901234567890"));
                    g.writeBoolean(true);
                    g.writeBoolean(false);
                    g.writeStartArray();
                    g.writeEndArray();
                    g.writeStartObject();
                    g.writeEndObject();
                    g.writeStartArray();
                    g.writeStartArray();
                    g.writeNull();
                    g.writeEndArray();
                    g.writeRawValue("{\"a\": [1, \"é\"]}");
                    g.writeEndArray();
                    g.writeBinary(Base64Variants.MIME_NO_LINEFEEDS, bytes, 0, bytes.length);
                    g.writeBinary(Base64Variants.MIME_NO_LINEFEEDS, new byte[0], 0, 0);
                    g.writeStartObject();
                    g.writeName("months");
                    g.writeNumber(1);
                    g.writeName("days");
                    g.writeNumber(2);
                    g.writeEndObject();
                    g.writeEndArray();
                });
    }

    @Test
    void aLoneSurrogateBecomesTheReplacementCharacter() {
        JsonWriter w = new JsonWriter(4);
        w.writeString("a\ud83db\ude00");
        assertThat(w.toString()).isEqualTo("\"a\ufffdb\ufffd\"");
    }

    @Test
    void resetEmptiesAndGrowsAsNeeded() {
        JsonWriter w = new JsonWriter(1);
        w.writeString("x".repeat(10_000));
        assertThat(w.size()).isEqualTo(10_002);
        w.reset();
        w.writeNumber(5);
        assertThat(w.toByteArray()).containsExactly('5');
    }

    private static void assertSame(Consumer<JsonWriter> ours, Consumer<JsonGenerator> jackson) {
        JsonWriter w = new JsonWriter(8);
        ours.accept(w);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JACKSON.createGenerator(ObjectWriteContext.empty(), out)) {
            jackson.accept(g);
        }
        assertThat(w.toString()).isEqualTo(out.toString(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(w.toByteArray()).isEqualTo(out.toByteArray());
    }
}
