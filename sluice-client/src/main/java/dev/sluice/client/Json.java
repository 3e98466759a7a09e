package dev.sluice.client;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** Reading the API's JSON into models: lenient, so that fields a newer server adds or drops do not break a client. */
final class Json {
    static final JsonMapper MAPPER = JsonMapper.builder().build();

    private Json() {}

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static JsonNode tree(@Nullable Object value) {
        return MAPPER.valueToTree(value);
    }

    static @Nullable String str(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.isValueNode() ? v.asString() : v.toString();
    }

    static String str(JsonNode n, String field, String fallback) {
        String s = str(n, field);
        return s == null ? fallback : s;
    }

    static @Nullable Long longOrNull(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || !v.isNumber() ? null : v.asLong();
    }

    static long longOr(JsonNode n, String field, long fallback) {
        Long v = longOrNull(n, field);
        return v == null ? fallback : v;
    }

    static @Nullable Integer intOrNull(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || !v.isNumber() ? null : v.asInt();
    }

    static @Nullable Double doubleOrNull(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || !v.isNumber() ? null : v.asDouble();
    }

    static @Nullable Boolean boolOrNull(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || !v.isBoolean() ? null : v.asBoolean();
    }

    static boolean bool(JsonNode n, String field) {
        return Boolean.TRUE.equals(boolOrNull(n, field));
    }

    static @Nullable Instant instant(JsonNode n, String field) {
        String s = str(n, field);
        if (s == null) {
            return null;
        }
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    static @Nullable Duration seconds(JsonNode n, String field) {
        Double s = doubleOrNull(n, field);
        return s == null ? null : Duration.ofMillis(Math.round(s * 1000));
    }

    static @Nullable Duration millis(JsonNode n, String field) {
        Long ms = longOrNull(n, field);
        return ms == null ? null : Duration.ofMillis(ms);
    }

    static List<String> strings(JsonNode n, String field) {
        JsonNode v = n.get(field);
        List<String> out = new ArrayList<>();
        if (v != null && v.isArray()) {
            for (JsonNode e : v) {
                out.add(e.asString());
            }
        }
        return List.copyOf(out);
    }

    static @Nullable List<String> stringsOrNull(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || !v.isArray() ? null : strings(n, field);
    }

    static Map<String, String> stringMap(JsonNode n, String field) {
        JsonNode v = n.get(field);
        Map<String, String> out = new LinkedHashMap<>();
        if (v != null && v.isObject()) {
            for (Map.Entry<String, JsonNode> e : v.properties()) {
                out.put(e.getKey(), e.getValue().isNull() ? "" : e.getValue().asString());
            }
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    static <T> List<T> list(JsonNode n, String field, Function<JsonNode, T> parse) {
        JsonNode v = n.get(field);
        List<T> out = new ArrayList<>();
        if (v != null && v.isArray()) {
            for (JsonNode e : v) {
                out.add(parse.apply(e));
            }
        }
        return List.copyOf(out);
    }

    /** {@code n[field]}, or a missing node: never null, so that models can always hand out their raw JSON. */
    static JsonNode node(JsonNode n, String field) {
        return n.path(field);
    }
}
