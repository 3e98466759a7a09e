package dev.sluice.functions;

import dev.sluice.core.sink.ConfigProblem;
import java.util.List;
import java.util.stream.Collectors;

/** Thrown by {@link Functions#compile} for a function that cannot run, with what to fix at each field. */
public final class InvalidFunctionException extends Exception {
    private final transient List<ConfigProblem> problems;

    InvalidFunctionException(String name, List<ConfigProblem> problems) {
        super("function " + name + ": "
                + problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("; ")));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("an invalid function names at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    /** The problems, in the order found; never empty. */
    public List<ConfigProblem> problems() {
        return problems;
    }
}
