package dev.sluice.core.sink;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A sink's configuration values as {@link SinkProvider#configure} receives them: already checked against the
 * provider's {@link ConfigSchema} (types, required fields, allowed values, bounds), defaults filled in, and
 * reference fields resolved. A provider checks only what the schema cannot say (fields that go together, formats).
 *
 * <p>Values are held as {@code String}, {@code Long}, {@code Boolean}, {@code List<String>} or {@code Map<String,
 * Object>} by field type. Immutable and thread-safe.
 */
public final class ConfigValues {
    private final ConfigSchema schema;
    private final Map<String, Object> values;
    private final Set<String> given;
    private final Map<String, HttpEndpoint> endpoints;

    private ConfigValues(
            ConfigSchema schema, Map<String, Object> values, Set<String> given, Map<String, HttpEndpoint> endpoints) {
        this.schema = schema;
        this.values = values;
        this.given = given;
        this.endpoints = endpoints;
    }

    /**
     * Values for {@code schema}: each given value must have its field's Java type (an {@code Integer} is taken as a
     * {@code Long}); a field not given takes its default. Values of fields the schema lacks are refused.
     *
     * @throws IllegalArgumentException when a value does not fit its field (the server checks before, so this is a
     *     bug of the caller)
     */
    public static ConfigValues of(ConfigSchema schema, Map<String, ?> given) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (ConfigField f : schema.fields()) {
            Object v = given.get(f.name());
            if (v == null) {
                v = f.defaultValue();
            } else {
                v = typed(f, v);
            }
            if (v != null) {
                values.put(f.name(), v);
            }
        }
        for (String key : given.keySet()) {
            if (schema.field(key).isEmpty()) {
                throw new IllegalArgumentException("no field '" + key + "' in this schema; fields: " + schema.names());
            }
        }
        Set<String> keys = new java.util.HashSet<>();
        given.forEach((k, v) -> {
            if (v != null) {
                keys.add(k);
            }
        });
        return new ConfigValues(schema, Collections.unmodifiableMap(values), Set.copyOf(keys), Map.of());
    }

    /** The same values with {@code field}, a reference to an HTTP endpoint, resolved to {@code endpoint}. */
    public ConfigValues withEndpoint(String field, HttpEndpoint endpoint) {
        ConfigField f = schema.field(field).orElseThrow(() -> new IllegalArgumentException("no field '" + field + "'"));
        if (f.type() != ConfigField.Type.REFERENCE) {
            throw new IllegalArgumentException(field + " is not a reference field");
        }
        Map<String, HttpEndpoint> out = new HashMap<>(endpoints);
        out.put(field, Objects.requireNonNull(endpoint));
        return new ConfigValues(schema, values, given, Map.copyOf(out));
    }

    public ConfigSchema schema() {
        return schema;
    }

    /** Whether the user gave {@code field} (rather than it taking its default, or being absent). */
    public boolean given(String field) {
        return given.contains(field);
    }

    /** Every value, defaults included, by field name in schema order. */
    public Map<String, Object> asMap() {
        return values;
    }

    public @Nullable String string(String field) {
        return get(field, String.class);
    }

    public @Nullable Long integer(String field) {
        return get(field, Long.class);
    }

    public @Nullable Boolean bool(String field) {
        return get(field, Boolean.class);
    }

    /** A boolean that has a default, or false when absent. */
    public boolean flag(String field) {
        return Boolean.TRUE.equals(bool(field));
    }

    @SuppressWarnings("unchecked")
    public @Nullable List<String> strings(String field) {
        return get(field, List.class);
    }

    @SuppressWarnings("unchecked")
    public @Nullable Map<String, Object> object(String field) {
        return get(field, Map.class);
    }

    /**
     * The HTTP endpoint a reference field names, as the server resolved it; null when the field holds a URL instead
     * (see {@link ConfigField.Type#REFERENCE}) or is absent.
     */
    public @Nullable HttpEndpoint endpoint(String field) {
        return endpoints.get(field);
    }

    private <T> @Nullable T get(String field, Class<T> type) {
        if (schema.field(field).isEmpty()) {
            throw new IllegalArgumentException("no field '" + field + "' in this schema; fields: " + schema.names());
        }
        Object v = values.get(field);
        return v == null ? null : type.cast(v);
    }

    private static Object typed(ConfigField f, Object v) {
        Object out = switch (f.type()) {
            case STRING, REFERENCE -> v instanceof String ? v : null;
            case INTEGER -> v instanceof Long ? v : v instanceof Integer i ? Long.valueOf(i) : null;
            case BOOLEAN -> v instanceof Boolean ? v : null;
            case STRING_LIST ->
                v instanceof List<?> l && l.stream().allMatch(String.class::isInstance) ? List.copyOf(l) : null;
            case OBJECT -> v instanceof Map<?, ?> m ? Collections.unmodifiableMap(new LinkedHashMap<>(m)) : null;
        };
        if (out == null) {
            throw new IllegalArgumentException(f.name() + ": a " + f.type() + " field cannot hold "
                    + v.getClass().getSimpleName());
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ConfigValues other
                && schema.equals(other.schema)
                && values.equals(other.values)
                && given.equals(other.given)
                && endpoints.equals(other.endpoints);
    }

    @Override
    public int hashCode() {
        return Objects.hash(values, given, endpoints);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("ConfigValues{");
        values.forEach((k, v) -> {
            if (b.length() > "ConfigValues{".length()) {
                b.append(", ");
            }
            boolean secret = schema.field(k).map(ConfigField::secret).orElse(false);
            b.append(k).append('=').append(secret ? "****" : v);
        });
        return b.append('}').toString();
    }
}
