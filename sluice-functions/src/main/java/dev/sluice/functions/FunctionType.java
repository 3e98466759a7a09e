package dev.sluice.functions;

import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** The kinds of function, as Sequin defines them. */
public enum FunctionType {
    /** A path into the message ({@code record.status}), evaluated natively. */
    PATH,
    /** JavaScript {@code function transform(action, record, changes, metadata)}: returns the new payload. */
    TRANSFORM,
    /** JavaScript {@code function filter(action, record, changes, metadata)}: returns {@code true} or {@code false}. */
    FILTER,
    /** JavaScript {@code function route(action, record, changes, metadata)}: returns an object of routing keys. */
    ROUTING,
    /** SQL run against the source database once per batch, {@code $1} being the primary-key values. */
    ENRICHMENT;

    /** The lower-case name users write ({@code transform}). */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The type named {@code text}, ignoring case; the legacy {@code function} is {@link #TRANSFORM}, as in Sequin.
     * Empty for null or an unknown name.
     */
    public static Optional<FunctionType> parse(@Nullable String text) {
        if (text == null) {
            return Optional.empty();
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("function")) {
            return Optional.of(TRANSFORM);
        }
        for (FunctionType type : values()) {
            if (type.wire().equals(t)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    /**
     * The JavaScript function the code must define: {@code filter}, {@code transform} or {@code route}.
     *
     * @throws IllegalStateException for {@link #PATH} and {@link #ENRICHMENT}, which run no JavaScript
     */
    public String jsName() {
        return switch (this) {
            case TRANSFORM -> "transform";
            case FILTER -> "filter";
            case ROUTING -> "route";
            case PATH, ENRICHMENT -> throw new IllegalStateException(wire() + " functions run no JavaScript");
        };
    }

    /** Whether this type's code is JavaScript run by {@link CodeFunction}. */
    boolean isJavaScript() {
        return this == TRANSFORM || this == FILTER || this == ROUTING;
    }

    /** The signature users write, e.g. {@code function transform(action, record, changes, metadata)}. */
    String signature() {
        return "function " + jsName() + "(action, record, changes, metadata)";
    }
}
