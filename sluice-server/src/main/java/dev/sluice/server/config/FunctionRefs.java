package dev.sluice.server.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The functions a sink names, by name; null for none (written {@code "none"} or left out). Each is checked to exist
 * and to be of the slot's type when the configuration is read.
 */
public record FunctionRefs(
        @Nullable String filter,
        @Nullable String transform,
        @Nullable String routing,
        @Nullable String enrichment) {
    public static final FunctionRefs NONE = new FunctionRefs(null, null, null, null);

    /** The sink keys, in Sequin's order. */
    public static final List<String> KEYS = List.of("filter", "transform", "enrichment", "routing");

    /** From a key's value as given: null, blank and {@code none} mean none. */
    static @Nullable String reference(@Nullable String value) {
        if (value == null || value.isBlank() || value.strip().equalsIgnoreCase("none")) {
            return null;
        }
        return value.strip();
    }

    static FunctionRefs of(Map<String, String> byKey) {
        return new FunctionRefs(
                byKey.get("filter"), byKey.get("transform"), byKey.get("routing"), byKey.get("enrichment"));
    }

    /** Each named function with its key. */
    public void forEach(BiConsumer<String, String> keyAndName) {
        if (filter != null) {
            keyAndName.accept("filter", filter);
        }
        if (transform != null) {
            keyAndName.accept("transform", transform);
        }
        if (enrichment != null) {
            keyAndName.accept("enrichment", enrichment);
        }
        if (routing != null) {
            keyAndName.accept("routing", routing);
        }
    }

    /** The names used, in key order. */
    public List<String> names() {
        List<String> out = new ArrayList<>();
        forEach((k, n) -> out.add(n));
        return out;
    }

    /** Whether {@code name} is one of them. */
    public boolean uses(String name) {
        return names().contains(name);
    }
}
