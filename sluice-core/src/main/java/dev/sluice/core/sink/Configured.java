package dev.sluice.core.sink;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The outcome of {@link SinkProvider#configure}: a typed configuration, or the problems of the values, each at its
 * field.
 *
 * @param <C> the provider's configuration record
 */
public sealed interface Configured<C> {
    /**
     * A valid configuration.
     *
     * @param config the typed configuration the provider creates sinks from
     * @param derived values the provider inferred from others (an AWS region from a queue URL, say), keyed by field
     *     name, typed as {@link ConfigValues} holds them; shown in API responses where the user left the field out.
     *     Never stored as if the user had written them
     */
    record Valid<C>(C config, Map<String, Object> derived) implements Configured<C> {
        public Valid {
            Objects.requireNonNull(config, "config");
            derived = Map.copyOf(derived);
        }
    }

    /** Invalid values; {@code problems} is never empty. */
    record Invalid<C>(List<ConfigProblem> problems) implements Configured<C> {
        public Invalid {
            problems = List.copyOf(problems);
            if (problems.isEmpty()) {
                throw new IllegalArgumentException("an invalid configuration names at least one problem");
            }
        }
    }

    static <C> Configured<C> valid(C config) {
        return new Valid<>(config, Map.of());
    }

    static <C> Configured<C> invalid(String field, String message) {
        return new Invalid<>(List.of(new ConfigProblem(field, message)));
    }

    /**
     * Builds the configuration with {@code build}, whose checks throw {@link InvalidConfigException}: those become
     * an {@link Invalid} at their fields. Any other exception propagates (it is a bug, not a user's mistake).
     */
    static <C> Configured<C> of(Supplier<C> build) {
        try {
            return valid(build.get());
        } catch (InvalidConfigException e) {
            return new Invalid<>(e.problems());
        }
    }

    /** The configuration; throws {@link InvalidConfigException} when invalid. */
    default C orThrow() {
        return switch (this) {
            case Valid<C> v -> v.config();
            case Invalid<C> i -> throw new InvalidConfigException(i.problems());
        };
    }
}
