package dev.sluice.terraform.schema;

import dev.sluice.terraform.wire.TfType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One attribute of a schema, with the behaviour the plugin protocol leaves to the provider: a default planned when the
 * configuration leaves it unset, and whether a change forces the resource to be replaced.
 *
 * @param nested for a nested attribute (an object, or a list of objects, written {@code x = { … }} or {@code x = [{ …
 *     }]}), its attributes; {@code type} is then the object's or the list's type
 * @param defaultValue planned for an optional, computed attribute the configuration leaves null (e.g. {@code port}
 *     5432); null for none (the server's answer then fills it)
 * @param block for a nested attribute of one object, whether configurations write it as a block ({@code source { …
 *     }}, as the seeds' provider declares it) rather than as an attribute ({@code source = { … }})
 */
public record Attribute(
        String name,
        TfType type,
        @Nullable Nested nested,
        Presence presence,
        boolean sensitive,
        boolean forcesReplacement,
        @Nullable Object defaultValue,
        String description,
        boolean block) {
    /** Whether the configuration must, may or cannot set it. */
    public enum Presence {
        REQUIRED,
        OPTIONAL,
        /** Optional; when unset, the provider or the server decides (a default, or the server's value). */
        OPTIONAL_COMPUTED,
        /** Set by the server only. */
        COMPUTED
    }

    /** The attributes of a nested attribute, and whether it holds one object or a list of them. */
    public record Nested(Nesting nesting, List<Attribute> attributes) {
        public Nested {
            attributes = List.copyOf(attributes);
        }

        public TfType.ObjectType objectType() {
            Map<String, TfType> m = new LinkedHashMap<>();
            attributes.forEach(a -> m.put(a.name(), a.type()));
            return new TfType.ObjectType(m);
        }
    }

    /** How many objects a nested attribute holds. */
    public enum Nesting {
        SINGLE,
        LIST
    }

    public static Attribute required(String name, TfType type, String description) {
        return new Attribute(name, type, null, Presence.REQUIRED, false, false, null, description, false);
    }

    public static Attribute optional(String name, TfType type, String description) {
        return new Attribute(name, type, null, Presence.OPTIONAL, false, false, null, description, false);
    }

    public static Attribute optionalComputed(String name, TfType type, String description) {
        return new Attribute(name, type, null, Presence.OPTIONAL_COMPUTED, false, false, null, description, false);
    }

    public static Attribute computed(String name, TfType type, String description) {
        return new Attribute(name, type, null, Presence.COMPUTED, false, false, null, description, false);
    }

    /** A nested attribute of one object or a list of objects. */
    public static Attribute nested(
            String name, Presence presence, Nesting nesting, String description, Attribute... attributes) {
        Nested n = new Nested(nesting, List.of(attributes));
        TfType type = nesting == Nesting.SINGLE ? n.objectType() : TfType.list(n.objectType());
        return new Attribute(name, type, n, presence, false, false, null, description, false);
    }

    public Attribute asSensitive() {
        return new Attribute(name, type, nested, presence, true, forcesReplacement, defaultValue, description, block);
    }

    public Attribute asForceNew() {
        return new Attribute(name, type, nested, presence, sensitive, true, defaultValue, description, block);
    }

    /** Optional and computed, planned as {@code value} when the configuration leaves it unset. */
    public Attribute withDefault(Object value) {
        return new Attribute(
                name,
                type,
                nested,
                Presence.OPTIONAL_COMPUTED,
                sensitive,
                forcesReplacement,
                value,
                description,
                block);
    }

    /** Optional and computed: when the configuration leaves it unset, the server's value stands. */
    public Attribute asComputed() {
        return new Attribute(
                name, type, nested, Presence.OPTIONAL_COMPUTED, sensitive, forcesReplacement, null, description, block);
    }

    /** A nested attribute of one object, written as a block in configurations. */
    public Attribute asBlock() {
        if (nested == null || nested.nesting() != Nesting.SINGLE) {
            throw new IllegalStateException(name + ": only a nested attribute of one object is written as a block");
        }
        return new Attribute(
                name, type, nested, presence, sensitive, forcesReplacement, defaultValue, description, true);
    }

    /** The same attribute with another presence (a data source's copy of a resource's attribute, say). */
    public Attribute withPresence(Presence p) {
        return new Attribute(name, type, nested, p, sensitive, forcesReplacement, null, description, block);
    }

    public boolean computed() {
        return presence == Presence.OPTIONAL_COMPUTED || presence == Presence.COMPUTED;
    }
}
