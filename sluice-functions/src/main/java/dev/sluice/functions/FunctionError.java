package dev.sluice.functions;

import org.jspecify.annotations.Nullable;

/**
 * A call of a {@link CodeFunction} that produced no result. The message names the function and, when known, the line
 * of the user's code; the message being processed is not in it (it may hold personal data).
 */
public final class FunctionError extends Exception {
    /** Why the call failed. */
    public enum Kind {
        /** The code failed to load: a syntax error, a throwing top level, a missing function definition. */
        COMPILE,
        /** The function threw. */
        RUNTIME,
        /** The call ran out of time, statements or memory, or its result was too large. */
        LIMIT,
        /** The function returned something its type does not allow (a filter returning 1). */
        RESULT
    }

    private final Kind kind;
    private final String function;
    private final String detail;
    private final @Nullable Integer line;
    private final @Nullable Integer column;

    private FunctionError(
            Kind kind,
            String function,
            String message,
            String detail,
            @Nullable Integer line,
            @Nullable Integer column) {
        super(message);
        this.kind = kind;
        this.function = function;
        this.detail = detail;
        this.line = line;
        this.column = column;
    }

    /** An error of function {@code function}: "function f: {@code detail}". */
    static FunctionError of(
            Kind kind, String function, String detail, @Nullable Integer line, @Nullable Integer column) {
        return new FunctionError(kind, function, "function " + function + ": " + detail, detail, line, column);
    }

    static FunctionError of(Kind kind, String function, String detail) {
        return of(kind, function, detail, null, null);
    }

    /** A limit function {@code function} ran into: "function f {@code what}", e.g. "took longer than 1 s". */
    static FunctionError limit(String function, String what) {
        return new FunctionError(Kind.LIMIT, function, "function " + function + " " + what, what, null, null);
    }

    public Kind kind() {
        return kind;
    }

    /** The name of the function that failed (for an error no one function of a chain caused, all their names). */
    String function() {
        return function;
    }

    /** The message without the function's name: what a problem at the {@code code} field says. */
    String detail() {
        return detail;
    }

    /** The line of the user's code the error is at, from 1; null when not known. */
    public @Nullable Integer line() {
        return line;
    }

    /** The column of the user's code the error is at, from 1; null when not known. */
    public @Nullable Integer column() {
        return column;
    }
}
