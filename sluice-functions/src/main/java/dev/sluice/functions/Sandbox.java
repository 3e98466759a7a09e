package dev.sluice.functions;

import dev.sluice.functions.FunctionError.Kind;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.SourceSection;
import org.graalvm.polyglot.Value;
import org.jspecify.annotations.Nullable;

/**
 * One JavaScript context with one function loaded: the prelude, the user's code, the bound invoker, the built-ins
 * frozen. {@link CodeFunction} pools these.
 *
 * <p>State: a sandbox is idle, running a call (its {@code deadline} set), or broken (cancelled, out of statements or
 * memory, or closed): a broken one is closed and never used again.
 *
 * <p>Concurrency: one call at a time, by whichever thread borrowed it; the {@link Watchdog} reads the deadline and
 * cancels from its own thread. The deadline word decides who wins when a call ends as its time runs out: the caller
 * swaps it to idle, the watchdog compares-and-sets it to cancelled, and whoever sees the other's value knows.
 */
final class Sandbox {
    // Sentinels of the deadline word; a real deadline equal to one of them is moved off it.
    private static final long IDLE = 0;
    private static final long CANCELLED = 1;
    private static final Map<FunctionType, Source> LOOKUPS = new EnumMap<>(FunctionType.class);
    private static final Pattern SYNTAX_LOCATION = Pattern.compile("^SyntaxError: \\S*:\\d+:\\d+ ");

    static {
        for (FunctionType t : FunctionType.values()) {
            if (t.isJavaScript()) {
                String n = t.jsName();
                // The value if a function, else its typeof; reads let/const bindings too, which no global object has.
                LOOKUPS.put(t, Source.create("js", "typeof " + n + " === 'function' ? " + n + " : typeof " + n));
            }
        }
    }

    private final String name;
    private final Source code;
    private final Context context;
    private final long timeoutNanos;
    private final int maxOutputBytes;
    private final AtomicLong deadline = new AtomicLong(IDLE);
    private volatile boolean broken;
    private @Nullable Value invoker;

    private Sandbox(String name, Source code, Context context, long timeoutNanos, int maxOutputBytes) {
        this.name = name;
        this.code = code;
        this.context = context;
        this.timeoutNanos = timeoutNanos;
        this.maxOutputBytes = maxOutputBytes;
    }

    /**
     * A new context running {@code code}'s top level, under the same limits as a call.
     *
     * @throws FunctionError of kind {@link Kind#COMPILE} when the code does not load (syntax, a throwing top level,
     *     no function of the type's name), or {@link Kind#LIMIT} when its top level runs out of limits
     */
    static Sandbox open(String name, Source code, FunctionType type, int maxOutputBytes, Duration timeout)
            throws FunctionError {
        Sandbox s = new Sandbox(name, code, Engines.newContext(), timeout.toNanos(), maxOutputBytes);
        Watchdog.watch(s);
        boolean loaded = false;
        try {
            Value prelude = s.context.eval(Engines.prelude());
            // Only the user's top level is timed: the prelude is ours, and slow only on a cold engine.
            s.arm();
            s.context.eval(code);
            Value fn = s.context.eval(LOOKUPS.get(type));
            if (!s.disarm()) {
                throw s.timeout();
            }
            if (!fn.canExecute()) {
                String found = fn.asString().equals("undefined") ? "" : " (" + type.jsName() + " is " + fn + ")";
                throw FunctionError.of(Kind.COMPILE, name, "define " + type.signature() + found);
            }
            int mode = type == FunctionType.ROUTING ? 1 : type == FunctionType.FILTER ? 2 : 0;
            s.invoker = prelude.invokeMember("bind", fn, mode, maxOutputBytes);
            prelude.invokeMember("lockdown");
            loaded = true;
            return s;
        } catch (PolyglotException e) {
            throw s.failure(e, true);
        } finally {
            if (!loaded) {
                s.close();
            }
        }
    }

    /**
     * Calls the function on a message.
     *
     * @return the result's JSON text, or for a filter its boolean
     * @throws FunctionError when the call fails; {@link #broken()} then says whether this sandbox can be used again
     */
    Object call(MessageSplit message) throws FunctionError {
        Value fn = invoker;
        if (fn == null || broken) {
            throw new IllegalStateException("sandbox is not loaded or broken");
        }
        Object result;
        try {
            context.resetLimits(); // the statement count is cumulative: each call gets the full limit
            arm();
            Value r = fn.execute(message.message(), message.metadata());
            result = r.isString() ? r.asString() : r.isBoolean() ? r.asBoolean() : refused(r);
        } catch (PolyglotException e) {
            throw failure(e, false);
        } catch (IllegalStateException e) {
            // The watchdog closed the context between this call's arm and its start.
            broken = true;
            throw disarm() ? FunctionError.of(Kind.RUNTIME, name, "stopped: " + e.getMessage()) : timeout();
        }
        if (!disarm()) {
            broken = true; // finished while the watchdog cancelled it: the result stands, the context is gone
        }
        if (result instanceof FunctionError e) {
            throw e;
        }
        return result;
    }

    /** Whether this sandbox failed in a way that leaves its context unusable. */
    boolean broken() {
        return broken;
    }

    /** Closes the context, cancelling whatever runs in it. */
    void close() {
        broken = true;
        Watchdog.forget(this);
        try {
            context.close(true);
        } catch (RuntimeException e) {
            // Already cancelled or closed by the watchdog: closing again reports that, nothing to do.
        }
    }

    /** For the watchdog: cancels the running call if it is past its deadline. */
    void cancelIfLate(long now) {
        long d = deadline.get();
        if (d != IDLE && d != CANCELLED && now - d > 0 && deadline.compareAndSet(d, CANCELLED)) {
            broken = true;
            Thread.ofVirtual().name("sluice-function-cancel").start(this::close);
        }
    }

    private void arm() {
        long d = System.nanoTime() + timeoutNanos;
        deadline.set(d == IDLE || d == CANCELLED ? d + 2 : d);
    }

    /** Ends the running call's deadline; false when the watchdog cancelled the call first. */
    private boolean disarm() {
        return deadline.getAndSet(IDLE) != CANCELLED;
    }

    // The prelude's [kind, detail] for a result the function's type does not allow.
    private FunctionError refused(Value r) {
        String kind = r.getArrayElement(0).asString();
        Value detail = r.getArrayElement(1);
        if (kind.equals("LIMIT")) {
            return outputTooLarge(name, detail.asLong() + " characters", maxOutputBytes);
        }
        return FunctionError.of(Kind.RESULT, name, detail.asString());
    }

    static FunctionError outputTooLarge(String name, String size, int maxOutputBytes) {
        return FunctionError.limit(
                name, "returned " + size + " of JSON; at most " + maxOutputBytes + " bytes are allowed");
    }

    private FunctionError failure(PolyglotException e, boolean loading) {
        boolean late = !disarm();
        if (late) {
            broken = true;
            return timeout();
        }
        if (e.isResourceExhausted()) {
            broken = true;
            return e.isCancelled()
                    ? FunctionError.limit(
                            name, "ran more than " + Engines.STATEMENT_LIMIT + " statements (an endless loop?)")
                    : FunctionError.limit(name, "ran out of memory (" + e.getMessage() + ")");
        }
        if (!e.isGuestException() || e.isCancelled() || e.isInterrupted() || e.isExit()) {
            broken = true;
            return FunctionError.of(Kind.RUNTIME, name, "stopped: " + e.getMessage());
        }
        SourceSection at = locate(e);
        String message = firstLine(e);
        if (e.isSyntaxError()) {
            message = SYNTAX_LOCATION.matcher(message).replaceFirst("SyntaxError: ");
        }
        Integer line = at == null ? null : at.getStartLine();
        Integer column = at == null || !at.hasColumns() ? null : at.getStartColumn();
        String where = line == null
                ? ""
                : column == null ? "line " + line + ": " : "line " + line + ", column " + column + ": ";
        return FunctionError.of(loading ? Kind.COMPILE : Kind.RUNTIME, name, where + message, line, column);
    }

    /** Where in the user's code the error is: its own location, else the innermost frame in the user's code. */
    private @Nullable SourceSection locate(PolyglotException e) {
        SourceSection at = e.getSourceLocation();
        if (at != null && code.equals(at.getSource())) {
            return at;
        }
        for (PolyglotException.StackFrame f : e.getPolyglotStackTrace()) {
            SourceSection s = f.getSourceLocation();
            if (f.isGuestFrame() && s != null && code.equals(s.getSource())) {
                return s;
            }
        }
        return null;
    }

    private static String firstLine(PolyglotException e) {
        String m = e.getMessage();
        if (m == null) {
            return "error";
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private FunctionError timeout() {
        broken = true;
        return FunctionError.limit(name, "took longer than " + format(timeoutNanos));
    }

    static String format(long nanos) {
        long ms = Duration.ofNanos(nanos).toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
