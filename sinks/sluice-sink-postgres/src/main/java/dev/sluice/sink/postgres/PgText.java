package dev.sluice.sink.postgres;

import dev.sluice.core.JsonWriter;
import dev.sluice.sink.postgres.ChangeRow.JsonValue;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * A message value back in Postgres text input form, for a target column of a given {@link ValueKind}: the inverse
 * of the message format's value mapping (docs/ARCHITECTURE: base64 bytea, ISO dates with astronomical years,
 * intervals as objects, arrays as JSON arrays, timestamps optionally as Unix microseconds). The target then casts
 * the text to the column's type, so every type's own input function does the parsing.
 */
final class PgText {
    private static final JsonFactory JSON = new JsonFactory();
    private static final DateTimeFormatter ISO_MICROS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS");
    private static final long MICROS_PER_SECOND = 1_000_000L;

    private PgText() {}

    /** The text of {@code v} for a column of {@code kind}; null for SQL NULL. */
    static @Nullable String of(JsonValue v, ValueKind kind) {
        return switch (v) {
            case JsonValue.Null n -> null;
            case JsonValue.Bool b -> b.value() ? "true" : "false";
            case JsonValue.Number n -> number(n.digits(), kind);
            case JsonValue.Text t -> text(t.value(), kind);
            case JsonValue.Structured s -> structured(s.json(), kind);
        };
    }

    private static String number(String digits, ValueKind kind) {
        if (kind == ValueKind.Scalar.TIMESTAMPTZ || kind == ValueKind.Scalar.TIMESTAMP) {
            return unixMicros(Long.parseLong(digits), kind == ValueKind.Scalar.TIMESTAMPTZ);
        }
        return digits;
    }

    private static String text(String s, ValueKind kind) {
        if (!(kind instanceof ValueKind.Scalar k)) {
            return s;
        }
        return switch (k) {
            case JSON -> jsonString(s); // a json value that is itself a string
            case BYTEA -> "\\x" + HexFormat.of().formatHex(Base64.getDecoder().decode(s));
            case DATE, TIMESTAMP, TIMESTAMPTZ -> isoDate(s);
            default -> s;
        };
    }

    private static String structured(String json, ValueKind kind) {
        if (kind == ValueKind.Scalar.INTERVAL && json.startsWith("{")) {
            return interval(json);
        }
        if (kind instanceof ValueKind.Array a && json.startsWith("[")) {
            try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), json.getBytes(StandardCharsets.UTF_8))) {
                StringBuilder out = new StringBuilder(json.length() + 8);
                array(p, p.nextToken(), a, out, json.getBytes(StandardCharsets.UTF_8));
                return out.toString();
            }
        }
        return json; // json/jsonb, and any value the message wrote as JSON: its exact text
    }

    private static String jsonString(String s) {
        JsonWriter w = new JsonWriter(s.length() + 8);
        w.writeString(s);
        return w.toString();
    }

    /** One level of an array literal: {@code {"a","b",NULL}}, nested levels in braces. */
    private static void array(JsonParser p, JsonToken start, ValueKind.Array a, StringBuilder out, byte[] json) {
        ValueKind element = a.element();
        if (start != JsonToken.START_ARRAY) {
            throw new IllegalArgumentException("not a JSON array");
        }
        out.append('{');
        boolean first = true;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (!first) {
                out.append(a.delimiter());
            }
            first = false;
            if (t == JsonToken.START_ARRAY && !(element == ValueKind.Scalar.JSON)) {
                array(p, t, a, out, json); // a further dimension
                continue;
            }
            JsonValue v = switch (t) {
                case VALUE_NULL -> JsonValue.NULL;
                case VALUE_STRING -> new JsonValue.Text(p.getString());
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> new JsonValue.Number(p.getText());
                case VALUE_TRUE -> new JsonValue.Bool(true);
                case VALUE_FALSE -> new JsonValue.Bool(false);
                default -> {
                    int from = (int) p.currentTokenLocation().getByteOffset();
                    p.skipChildren();
                    int to = (int) p.currentLocation().getByteOffset();
                    yield new JsonValue.Structured(new String(json, from, to - from, StandardCharsets.UTF_8));
                }
            };
            String text = of(v, element);
            if (text == null) {
                out.append("NULL");
            } else {
                out.append('"');
                for (int i = 0; i < text.length(); i++) {
                    char c = text.charAt(i);
                    if (c == '"' || c == '\\') {
                        out.append('\\');
                    }
                    out.append(c);
                }
                out.append('"');
            }
        }
        out.append('}');
    }

    /** {@code {"months":m,"days":d,"microseconds":us}} as {@code m mons d days [-]h:mm:ss.ffffff}. */
    private static String interval(String json) {
        long months = 0;
        long days = 0;
        BigInteger micros = BigInteger.ZERO;
        try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), json.getBytes(StandardCharsets.UTF_8))) {
            p.nextToken();
            for (String name = p.nextName(); name != null; name = p.nextName()) {
                p.nextToken();
                switch (name) {
                    case "months" -> months = p.getLongValue();
                    case "days" -> days = p.getLongValue();
                    case "microseconds" -> micros = p.getBigIntegerValue();
                    default -> p.skipChildren();
                }
            }
        }
        BigInteger abs = micros.abs();
        BigInteger[] secs = abs.divideAndRemainder(BigInteger.valueOf(MICROS_PER_SECOND));
        long totalSeconds = secs[0].longValueExact();
        return months + " mons " + days + " days " + (micros.signum() < 0 ? "-" : "") + (totalSeconds / 3600) + ":"
                + String.format("%02d:%02d.%06d", (totalSeconds / 60) % 60, totalSeconds % 60, secs[1].longValue());
    }

    /**
     * An ISO date or timestamp with an astronomical year ({@code -0043-03-15}, {@code +10000-01-01T00:00:00Z}) in
     * Postgres's form ({@code 0044-03-15 BC}, {@code 10000-01-01T00:00:00Z}); {@code infinity} as it is.
     */
    static String isoDate(String s) {
        int i = s.charAt(0) == '-' || s.charAt(0) == '+' ? 1 : 0;
        int dash = s.indexOf('-', i);
        if (dash < 0 || !Character.isDigit(s.charAt(i))) {
            return s; // infinity, -infinity
        }
        long year = Long.parseLong(s.substring(i, dash));
        if (s.charAt(0) == '-') {
            year = -year;
        }
        String rest = s.substring(dash);
        return year > 0 ? String.format("%04d", year) + rest : String.format("%04d", 1 - year) + rest + " BC";
    }

    private static String unixMicros(long micros, boolean withZone) {
        long seconds = Math.floorDiv(micros, MICROS_PER_SECOND);
        int nanos = (int) Math.floorMod(micros, MICROS_PER_SECOND) * 1000;
        LocalDateTime t = LocalDateTime.ofInstant(Instant.ofEpochSecond(seconds, nanos), ZoneOffset.UTC);
        return isoDate(t.format(ISO_MICROS) + (withZone ? "Z" : ""));
    }
}
