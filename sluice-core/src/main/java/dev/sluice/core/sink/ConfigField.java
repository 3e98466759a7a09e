package dev.sluice.core.sink;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One field of a sink's configuration, as data: the server derives yaml and API validation, secret sealing and
 * masking, storage, export and the OpenAPI schema from these, so a sink declares each field once.
 *
 * <p>Made with the factories ({@link #string}, {@link #integer}, …) and refined with the {@code with}-style methods,
 * each returning a new field:
 *
 * <pre>{@code
 * ConfigField.string("topic", "The topic every message goes to").asRequired()
 * ConfigField.integer("request_timeout_ms", "How long one request may take").range(1, 3_600_000).defaultValue(30_000L)
 * ConfigField.string("password", "SASL password").asSecret()
 * ConfigField.string("compression", "How batches are compressed").allowed("none", "gzip").defaultValue("none")
 * }</pre>
 *
 * @param name the key in yaml and JSON ({@code snake_case}, as Sequin names it)
 * @param type the JSON type of the value
 * @param required whether the value must be given (a field with a default never is)
 * @param defaultValue the value when none is given, typed as {@link ConfigValues} holds it ({@code String},
 *     {@code Long}, {@code Boolean}, {@code List<String>}); null for none
 * @param allowed for a string, the only values accepted (matched by {@link #canonical}, stored as listed); empty
 *     for any
 * @param min for an integer, the smallest value accepted; null for no bound
 * @param max for an integer, the largest value accepted; null for no bound
 * @param secret sealed at rest, masked in responses and exports, never logged
 * @param references for a {@link Type#REFERENCE}, the kind of resource it names ({@code http_endpoint})
 * @param doc one line for docs and the OpenAPI schema
 */
public record ConfigField(
        String name,
        Type type,
        boolean required,
        @Nullable Object defaultValue,
        List<String> allowed,
        @Nullable Long min,
        @Nullable Long max,
        boolean secret,
        @Nullable String references,
        String doc) {

    /** The JSON types a field may hold. */
    public enum Type {
        /** A string. */
        STRING,
        /** A whole number, held as {@code Long}. */
        INTEGER,
        /** {@code true} or {@code false}. */
        BOOLEAN,
        /** A list of strings. */
        STRING_LIST,
        /** A JSON object, held as {@code Map<String, Object>} of JSON values. */
        OBJECT,
        /**
         * The name of another resource of kind {@link ConfigField#references()} (an HTTP endpoint), which the server
         * checks and resolves; or, where the sink allows it, an absolute http(s) URL in its place.
         */
        REFERENCE
    }

    public ConfigField {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(doc, "doc");
        allowed = List.copyOf(allowed);
        if (!name.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException("field names are snake_case, got '" + name + "'");
        }
        if (!allowed.isEmpty() && type != Type.STRING) {
            throw new IllegalArgumentException(name + ": allowed values are for string fields");
        }
        if ((min != null || max != null) && type != Type.INTEGER) {
            throw new IllegalArgumentException(name + ": bounds are for integer fields");
        }
        if (min != null && max != null && min > max) {
            throw new IllegalArgumentException(name + ": min " + min + " is above max " + max);
        }
        if ((type == Type.REFERENCE) != (references != null)) {
            throw new IllegalArgumentException(
                    name + ": a reference field, and only one, names the kind it references");
        }
        if (defaultValue != null) {
            checkDefault(name, type, defaultValue, allowed, min, max);
        }
        if (required && defaultValue != null) {
            throw new IllegalArgumentException(name + ": a field with a default is not required");
        }
    }

    public static ConfigField string(String name, String doc) {
        return new ConfigField(name, Type.STRING, false, null, List.of(), null, null, false, null, doc);
    }

    public static ConfigField integer(String name, String doc) {
        return new ConfigField(name, Type.INTEGER, false, null, List.of(), null, null, false, null, doc);
    }

    public static ConfigField bool(String name, String doc) {
        return new ConfigField(name, Type.BOOLEAN, false, null, List.of(), null, null, false, null, doc);
    }

    public static ConfigField stringList(String name, String doc) {
        return new ConfigField(name, Type.STRING_LIST, false, null, List.of(), null, null, false, null, doc);
    }

    public static ConfigField object(String name, String doc) {
        return new ConfigField(name, Type.OBJECT, false, null, List.of(), null, null, false, null, doc);
    }

    /** A field naming a resource of kind {@code kind}, such as {@code http_endpoint}. */
    public static ConfigField reference(String name, String kind, String doc) {
        return new ConfigField(name, Type.REFERENCE, false, null, List.of(), null, null, false, kind, doc);
    }

    public ConfigField asRequired() {
        return new ConfigField(name, type, true, defaultValue, allowed, min, max, secret, references, doc);
    }

    public ConfigField defaultValue(Object value) {
        return new ConfigField(name, type, required, value, allowed, min, max, secret, references, doc);
    }

    public ConfigField allowed(String... values) {
        return new ConfigField(name, type, required, defaultValue, List.of(values), min, max, secret, references, doc);
    }

    public ConfigField range(long min, long max) {
        return new ConfigField(name, type, required, defaultValue, allowed, min, max, secret, references, doc);
    }

    public ConfigField asSecret() {
        return new ConfigField(name, type, required, defaultValue, allowed, min, max, true, references, doc);
    }

    /**
     * The listed {@linkplain #allowed() allowed value} that {@code value} names, matched ignoring case and with
     * {@code -} taken as {@code _} (so {@code SCRAM-SHA-256} names {@code scram_sha_256}); {@code value} itself when
     * any value is allowed; null when it names none.
     */
    public @Nullable String canonical(String value) {
        if (allowed.isEmpty()) {
            return value;
        }
        String wanted = value.strip().replace('-', '_');
        for (String a : allowed) {
            if (a.replace('-', '_').equalsIgnoreCase(wanted)) {
                return a;
            }
        }
        return null;
    }

    private static void checkDefault(
            String name, Type type, Object value, List<String> allowed, @Nullable Long min, @Nullable Long max) {
        boolean ok = switch (type) {
            case STRING, REFERENCE -> value instanceof String s && (allowed.isEmpty() || allowed.contains(s));
            case INTEGER -> value instanceof Long l && (min == null || l >= min) && (max == null || l <= max);
            case BOOLEAN -> value instanceof Boolean;
            case STRING_LIST -> value instanceof List<?> l && l.stream().allMatch(String.class::isInstance);
            case OBJECT -> value instanceof java.util.Map<?, ?>;
        };
        if (!ok) {
            throw new IllegalArgumentException(name + ": default " + value + " does not fit a " + type + " field");
        }
    }
}
