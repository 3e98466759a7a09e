package dev.sluice.server.config;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A configuration file could not be read or is invalid. Carries every problem found, not only the first; the
 * message lists them one per line as {@code <file>:<line>:<col>: <key path>: <what is wrong>}.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient List<Problem> problems;

    ConfigException(List<Problem> problems) {
        super(format(problems));
        this.problems = problems.stream()
                .sorted(Comparator.comparingInt(Problem::line).thenComparingInt(Problem::column))
                .toList();
    }

    /** The problems, ordered by position in the file; never empty. */
    public List<Problem> problems() {
        return problems;
    }

    private static String format(List<Problem> problems) {
        List<Problem> sorted = problems.stream()
                .sorted(Comparator.comparingInt(Problem::line).thenComparingInt(Problem::column))
                .toList();
        StringBuilder sb = new StringBuilder("invalid configuration (")
                .append(sorted.size())
                .append(sorted.size() == 1 ? " problem):" : " problems):");
        for (Problem p : sorted) {
            sb.append("\n  ").append(p);
        }
        return sb.toString();
    }

    /**
     * One problem.
     *
     * @param source the file name as given to the loader
     * @param line 1-based line, or 0 when the problem concerns the whole file
     * @param column 1-based column, or 0 when unknown
     * @param path the key path, such as {@code sinks[0].batch_size}; empty for the whole file
     * @param message what is wrong and how to fix it
     */
    public record Problem(String source, int line, int column, String path, String message) {
        public Problem {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(message, "message");
        }

        @Override
        public String toString() {
            String where = line > 0 ? source + ":" + line + ":" + column : source;
            return path.isEmpty() ? where + ": " + message : where + ": " + path + ": " + message;
        }
    }
}
