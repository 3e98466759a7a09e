package dev.sluice.terraform.schema;

import dev.sluice.terraform.wire.TfType;
import org.jspecify.annotations.Nullable;

/**
 * One attribute of a resource's schema, with the behaviour the plugin protocol leaves to the provider: a default
 * planned when the configuration leaves it unset, and whether a change forces the resource to be replaced.
 *
 * @param defaultValue planned for an optional, computed attribute the configuration leaves null (e.g. {@code port}
 *     5432); null for none (the server's answer then fills it)
 */
public record Attribute(
        String name,
        TfType type,
        Presence presence,
        boolean sensitive,
        boolean forcesReplacement,
        @Nullable Object defaultValue,
        String description) {
    /** Whether the configuration must, may or cannot set it. */
    public enum Presence {
        REQUIRED,
        OPTIONAL,
        /** Optional; when unset, the provider or the server decides (a default, or the server's value). */
        OPTIONAL_COMPUTED,
        /** Set by the server only. */
        COMPUTED
    }

    public static Attribute required(String name, TfType type, String description) {
        return new Attribute(name, type, Presence.REQUIRED, false, false, null, description);
    }

    public static Attribute optional(String name, TfType type, String description) {
        return new Attribute(name, type, Presence.OPTIONAL, false, false, null, description);
    }

    public static Attribute optionalComputed(String name, TfType type, String description) {
        return new Attribute(name, type, Presence.OPTIONAL_COMPUTED, false, false, null, description);
    }

    public static Attribute computed(String name, TfType type, String description) {
        return new Attribute(name, type, Presence.COMPUTED, false, false, null, description);
    }

    public Attribute asSensitive() {
        return new Attribute(name, type, presence, true, forcesReplacement, defaultValue, description);
    }

    public Attribute asForceNew() {
        return new Attribute(name, type, presence, sensitive, true, defaultValue, description);
    }

    public Attribute withDefault(Object value) {
        return new Attribute(name, type, Presence.OPTIONAL_COMPUTED, sensitive, forcesReplacement, value, description);
    }

    public boolean computed() {
        return presence == Presence.OPTIONAL_COMPUTED || presence == Presence.COMPUTED;
    }
}
