package dev.sluice.functions;

import dev.sluice.functions.FunctionError.Kind;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.SourceSection;
import org.graalvm.polyglot.Value;
import org.jspecify.annotations.Nullable;

/**
 * One JavaScript context with functions loaded: the prelude, each function's code, the bound invoker, the built-ins
 * frozen. A {@link Pool} keeps these.
 *
 * <p>Functions: one {@link CodeFunction}'s, or a sink's filter, routing and transform ({@link CodeChain}), called in
 * that order on one parse of the message. Each function's code runs in a scope of its own ({@link Unit}), so two
 * functions of one sink may declare the same names.
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
    private static final Pattern SYNTAX_LOCATION = Pattern.compile("^SyntaxError: \\S*:\\d+:\\d+ ");

    private final List<Unit> units;
    private final Context context;
    private final long timeoutNanos;
    private final int maxOutputBytes;
    private final AtomicLong deadline = new AtomicLong(IDLE);
    private volatile boolean broken;
    private @Nullable Value invoker;
    private @Nullable Value stage;
    private @Nullable Value readsMetadata;

    private Sandbox(List<Unit> units, Context context, long timeoutNanos, int maxOutputBytes) {
        this.units = units;
        this.context = context;
        this.timeoutNanos = timeoutNanos;
        this.maxOutputBytes = maxOutputBytes;
    }

    /**
     * A new context running each unit's top level, under the same limits as a call.
     *
     * @throws FunctionError of kind {@link Kind#COMPILE} when a unit does not load (syntax, a throwing top level, no
     *     function of its type's name), or {@link Kind#LIMIT} when its top level runs out of limits; named after it
     */
    static Sandbox open(List<Unit> units, int maxOutputBytes, Duration timeout) throws FunctionError {
        Sandbox s = new Sandbox(units, Engines.newContext(), timeout.toNanos(), maxOutputBytes);
        Watchdog.watch(s);
        boolean loaded = false;
        Unit loading = units.getFirst();
        try {
            Value prelude = s.context.eval(Engines.prelude());
            Object[] args = new Object[1 + 2 * units.size()];
            args[0] = maxOutputBytes;
            for (int i = 0; i < units.size(); i++) {
                loading = units.get(i);
                // Only the user's top level is timed: the prelude is ours, and slow only on a cold engine.
                s.arm();
                Value fn = s.context.eval(loading.source());
                if (!s.disarm()) {
                    throw s.timeout(loading.name());
                }
                if (!fn.canExecute()) {
                    FunctionType type = loading.spec().type();
                    String found = fn.asString().equals("undefined") ? "" : " (" + type.jsName() + " is " + fn + ")";
                    throw FunctionError.of(Kind.COMPILE, loading.name(), "define " + type.signature() + found);
                }
                args[1 + 2 * i] = loading.mode();
                args[2 + 2 * i] = fn;
            }
            Value bound = prelude.invokeMember("bind", args);
            s.invoker = bound.getMember("invoke");
            s.stage = bound.getMember("stage");
            s.readsMetadata = bound.getMember("readsMetadata");
            prelude.invokeMember("lockdown");
            loaded = true;
            return s;
        } catch (PolyglotException e) {
            throw s.failure(e, loading);
        } finally {
            if (!loaded) {
                s.close();
            }
        }
    }

    /**
     * Calls the functions on a message.
     *
     * @return the result's JSON text (results joined by a newline when there are several), or a boolean: false when a
     *     filter rejected the message, true when the only function is a filter that passed it
     * @throws FunctionError when the call fails, named after the function that failed; {@link #broken()} then says
     *     whether this sandbox can be used again
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
            throw failure(e, null);
        } catch (IllegalStateException e) {
            // The watchdog closed the context between this call's arm and its start.
            broken = true;
            throw disarm() ? FunctionError.of(Kind.RUNTIME, names(), "stopped: " + e.getMessage()) : timeout(names());
        }
        if (!disarm()) {
            broken = true; // finished while the watchdog cancelled it: the result stands, the context is gone
        }
        if (result instanceof FunctionError e) {
            throw e;
        }
        return result;
    }

    /** Whether a call of these functions has read the message's metadata (after which it is parsed eagerly). */
    boolean readsMetadata() {
        Value v = readsMetadata;
        try {
            return v != null && !broken && v.execute().asBoolean();
        } catch (RuntimeException e) {
            return false; // closed by the watchdog meanwhile
        }
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
        String name = units.get(r.getArrayElement(1).asInt()).name();
        Value detail = r.getArrayElement(2);
        if (kind.equals("LIMIT")) {
            return outputTooLarge(name, detail.asLong() + " characters", maxOutputBytes);
        }
        return FunctionError.of(Kind.RESULT, name, detail.asString());
    }

    static FunctionError outputTooLarge(String name, String size, int maxOutputBytes) {
        return FunctionError.limit(
                name, "returned " + size + " of JSON; at most " + maxOutputBytes + " bytes are allowed");
    }

    /**
     * The error of a failed load ({@code loading} the unit being loaded) or call: named after the unit whose code the
     * error is in, else the unit the call was in, else all of them.
     */
    private FunctionError failure(PolyglotException e, @Nullable Unit loading) {
        boolean late = !disarm();
        if (late) {
            broken = true;
            return timeout(loading != null ? loading.name() : culprit(e, null));
        }
        if (e.isResourceExhausted()) {
            broken = true;
            String name = loading != null ? loading.name() : culprit(e, null);
            return e.isCancelled()
                    ? FunctionError.limit(
                            name, "ran more than " + Engines.STATEMENT_LIMIT + " statements (an endless loop?)")
                    : FunctionError.limit(name, "ran out of memory (" + e.getMessage() + ")");
        }
        if (!e.isGuestException() || e.isCancelled() || e.isInterrupted() || e.isExit()) {
            broken = true;
            return FunctionError.of(
                    Kind.RUNTIME, loading != null ? loading.name() : culprit(e, null), "stopped: " + e.getMessage());
        }
        Located at = locate(e);
        String name = loading != null ? loading.name() : culprit(e, at);
        String message = firstLine(e);
        if (e.isSyntaxError()) {
            message = SYNTAX_LOCATION.matcher(message).replaceFirst("SyntaxError: ");
        }
        Integer line = at == null ? null : at.line();
        Integer column = at == null ? null : at.column();
        String where = line == null
                ? ""
                : column == null ? "line " + line + ": " : "line " + line + ", column " + column + ": ";
        return FunctionError.of(loading != null ? Kind.COMPILE : Kind.RUNTIME, name, where + message, line, column);
    }

    /** A place in one unit's code, in the user's lines and columns. */
    private record Located(Unit unit, int line, @Nullable Integer column) {}

    /** Where in the user's code the error is: its own location, else the innermost frame in the user's code. */
    private @Nullable Located locate(PolyglotException e) {
        Located at = located(e.getSourceLocation());
        if (at != null) {
            return at;
        }
        for (PolyglotException.StackFrame f : e.getPolyglotStackTrace()) {
            at = f.isGuestFrame() ? located(f.getSourceLocation()) : null;
            if (at != null) {
                return at;
            }
        }
        return null;
    }

    private @Nullable Located located(@Nullable SourceSection s) {
        if (s == null) {
            return null;
        }
        for (Unit u : units) {
            if (u.source().equals(s.getSource())) {
                int line = u.line(s.getStartLine());
                return new Located(u, line, s.hasColumns() ? u.column(s.getStartLine(), s.getStartColumn()) : null);
            }
        }
        return null;
    }

    /** The name of the function an error of a call came from. */
    private String culprit(PolyglotException e, @Nullable Located at) {
        if (units.size() == 1) {
            return units.getFirst().name();
        }
        if (at == null && e.isGuestException()) {
            at = locate(e);
        }
        if (at != null) {
            return at.unit().name();
        }
        try {
            Value st = stage;
            int i = st == null || e.isResourceExhausted() || e.isCancelled()
                    ? -1
                    : st.execute().asInt();
            if (i >= 0 && i < units.size()) {
                return units.get(i).name();
            }
        } catch (RuntimeException ignored) {
            // The context is gone (cancelled): no stage to read.
        }
        return names();
    }

    /** Every function's name, for an error no one function can be blamed for: "a, b". */
    private String names() {
        return units.size() == 1
                ? units.getFirst().name()
                : String.join(", ", units.stream().map(Unit::name).toList());
    }

    private static String firstLine(PolyglotException e) {
        String m = e.getMessage();
        if (m == null) {
            return "error";
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private FunctionError timeout(String name) {
        broken = true;
        return FunctionError.limit(name, "took longer than " + format(timeoutNanos));
    }

    static String format(long nanos) {
        long ms = Duration.ofNanos(nanos).toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms";
    }
}
