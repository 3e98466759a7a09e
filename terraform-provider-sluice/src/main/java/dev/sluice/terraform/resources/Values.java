package dev.sluice.terraform.resources;

import dev.sluice.terraform.wire.Unknown;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
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
            case List<?> l -> putTexts(body, field, l);
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

    static @Nullable List<String> texts(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (!v.isArray()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        v.forEach(x -> out.add(x.asString()));
        return out;
    }

    /**
     * The server's value, or the configuration's spelling of it where both mean the same: equal ignoring case and
     * with {@code -} as {@code _} ({@code PLAIN} for {@code plain}, {@code SCRAM-SHA-256} for {@code scram_sha_256}),
     * or an alias in {@code aliases} (lower-case configured spelling to the
     * server's).
     */
    static @Nullable String alias(@Nullable String server, @Nullable Object configured, Map<String, String> aliases) {
        if (server == null || !(configured instanceof String c)) {
            return server;
        }
        String lower = c.toLowerCase(Locale.ROOT);
        // As the server matches a choice: case ignored, and - taken as _ (SCRAM-SHA-256 is scram_sha_256).
        boolean same = c.strip().replace('-', '_').equalsIgnoreCase(server.replace('-', '_'));
        return same || server.equals(aliases.get(lower)) ? c : server;
    }

    /** A list of strings into a request body; null and unknown are left out. */
    static void putTexts(ObjectNode body, String field, @Nullable Object v) {
        if (v instanceof List<?> l) {
            ArrayNode a = body.putArray(field);
            l.forEach(x -> a.add((String) x));
        }
    }

    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
