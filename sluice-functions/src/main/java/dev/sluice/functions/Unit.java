package dev.sluice.functions;

import java.util.Objects;
import org.graalvm.polyglot.Source;

/**
 * One JavaScript function's code as a {@link Sandbox} loads it: wrapped in a function of its own so that its top-level
 * declarations stay in its own scope (two functions of one sink may both declare {@code helper}), evaluating to the
 * function the code defines, or to its {@code typeof} when it defines none.
 *
 * <p>The wrapper adds nothing before the user's first line but on it, and nothing after the last line but below it,
 * so that lines are the user's and only columns of the first line are shifted, by {@link #PREFIX}'s length.
 */
record Unit(FunctionSpec spec, Source source) {
    private static final String PREFIX = "(function () {";

    static Unit of(FunctionSpec spec) {
        String n = spec.type().jsName();
        String code = PREFIX + Objects.requireNonNull(spec.code()) + "\n;return typeof " + n + " === 'function' ? " + n
                + " : typeof " + n + ";\n})()";
        return new Unit(spec, Source.newBuilder("js", code, spec.name() + ".js").buildLiteral());
    }

    String name() {
        return spec.name();
    }

    /** How the prelude treats the result (its TRANSFORM, ROUTE, FILTER). */
    int mode() {
        return switch (spec.type()) {
            case ROUTING -> 1;
            case FILTER -> 2;
            default -> 0;
        };
    }

    /** The user's line of a line of the wrapped source: the same, but a line of the wrapper's end is the last line. */
    int line(int wrappedLine) {
        return Math.min(wrappedLine, lastLine());
    }

    /** The user's column of a column of the wrapped source. */
    int column(int wrappedLine, int wrappedColumn) {
        return wrappedLine == 1 ? Math.max(1, wrappedColumn - PREFIX.length()) : wrappedColumn;
    }

    private int lastLine() {
        String code = Objects.requireNonNull(spec.code());
        int lines = 1;
        for (int i = 0; i < code.length(); i++) {
            if (code.charAt(i) == '\n') {
                lines++;
            }
        }
        return lines;
    }
}
