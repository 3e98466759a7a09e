package dev.sluice.terraform.resources;

import dev.sluice.terraform.wire.Unknown;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Conversions between API JSON and state values, shared by the resources. */
final class Values {
    private Values() {}

    static @Nullable String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isString() && !v.asString().isEmpty() ? v.asString() : null;
    }

    static @Nullable BigDecimal number(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isNumber() ? v.decimalValue() : null;
    }

    static @Nullable Boolean bool(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isBoolean() ? v.asBoolean() : null;
    }

    /** Puts a planned value into a request body, leaving nulls and unknowns (the server decides those) out. */
    static void put(ObjectNode body, String field, @Nullable Object v) {
        switch (v) {
            case null -> {}
            case Unknown u -> {}
            case String s -> body.put(field, s);
            case Boolean b -> body.put(field, b);
            case BigDecimal d -> body.put(field, d);
            default ->
                throw new IllegalArgumentException(
                        field + ": unexpected " + v.getClass().getSimpleName());
        }
    }

    static void copy(ObjectNode body, Map<String, @Nullable Object> state, String... fields) {
        for (String f : fields) {
            put(body, f, state.get(f));
        }
    }

    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
