package dev.sluice.core.sink;

import java.util.List;

/**
 * Thrown by a sink's configuration record when a value is invalid, carrying the field it is about, so that callers
 * report it at that field without reading the message. {@link Configured#of} turns it into a {@link
 * Configured.Invalid}.
 */
public final class InvalidConfigException extends IllegalArgumentException {
    private final transient List<ConfigProblem> problems;

    /** One problem of {@code field}: {@code message} says what is wrong and how to fix it. */
    public InvalidConfigException(String field, String message) {
        this(List.of(new ConfigProblem(field, message)));
    }

    /** Several problems at once; at least one. */
    public InvalidConfigException(List<ConfigProblem> problems) {
        super(describe(problems));
        this.problems = List.copyOf(problems);
    }

    /** The problems, in the order found; never empty. */
    public List<ConfigProblem> problems() {
        return problems;
    }

    /** The field of the first problem. */
    public String field() {
        return problems.getFirst().field();
    }

    private static String describe(List<ConfigProblem> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("an invalid configuration names at least one problem");
        }
        StringBuilder b = new StringBuilder();
        for (ConfigProblem p : problems) {
            if (!b.isEmpty()) {
                b.append("; ");
            }
            b.append(p);
        }
        return b.toString();
    }
}
