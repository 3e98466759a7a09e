package dev.sluice.functions;

import dev.sluice.functions.FunctionError.Kind;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Deque;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import org.graalvm.polyglot.Source;

/**
 * A transform, filter or routing function: JavaScript defining {@code function transform|filter|route(action,
 * record, changes, metadata)}, run by GraalJS in a constrained sandbox.
 *
 * <p>A call passes the message's JSON text in and gets JSON text out, one string each way (the least interop):
 * {@code action} is a string, {@code record}, {@code changes} (null but for updates) and {@code metadata} are plain
 * objects made by {@code JSON.parse}, each value as the message's JSON carries it (an int8 beyond 2^53 or a numeric
 * stays a string). Cost: GraalJS runs interpreted on a stock JDK, where parsing the message dominates a warm call
 * (about 10 us for a 600-byte message on a small machine, most of it {@code metadata}).
 *
 * <p>Sandbox: GraalVM's {@code CONSTRAINED} policy: no host classes, IO, threads, processes, native code or
 * environment, and no {@code Java}, {@code Polyglot}, {@code load}, {@code require} or {@code print}. Limits of a
 * call: 1 s of wall-clock time (Sequin's), 50 million statements, 1 MiB of result JSON, and the JVM's heap: past any
 * of them the call fails with {@link Kind#LIMIT}. Community GraalJS has no heap limit of its own: an allocation the
 * heap cannot hold fails the call that made it, but while it grows it takes heap from the rest of the server.
 *
 * <p>State: contexts are pooled, one call per context at a time. A context's built-ins are frozen after the code's
 * top level has run, so a call cannot change what later calls see through them; but <b>globals the code declares or
 * creates persist across the calls a context serves</b>, and which context serves a call is not defined: code must
 * not keep state between calls. A context whose call was cancelled or ran out of a limit is closed; the next call
 * makes a new one, running the code's top level again.
 *
 * <p>Concurrency: thread-safe, for platform and virtual threads alike. At most twice as many calls as there are cores
 * (at least 4) run at once, each in its own context (a context costs memory, and more of them than cores buy no
 * throughput): further calls block until one ends.
 */
public final class CodeFunction implements Compiled {
    /** The call limits; tests shorten them. */
    record Limits(Duration timeout, int maxOutputBytes) {
        static final Limits DEFAULT = new Limits(Duration.ofSeconds(1), 1 << 20);

        Limits {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, was " + timeout);
            }
            if (maxOutputBytes <= 0) {
                throw new IllegalArgumentException("maxOutputBytes must be positive, was " + maxOutputBytes);
            }
        }
    }

    private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);

    private final FunctionSpec spec;
    private final Source source;
    private final Limits limits;
    private final Semaphore permits;
    // Last in, first out: the most recently used contexts stay warm.
    private final Deque<Sandbox> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    private CodeFunction(FunctionSpec spec, Limits limits) {
        this.spec = spec;
        this.limits = limits;
        this.source = Source.newBuilder("js", Objects.requireNonNull(spec.code()), spec.name() + ".js")
                .buildLiteral();
        this.permits = new Semaphore(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));
    }

    /** Loads the code in a first context, which the first call then uses; COMPILE or LIMIT errors if it fails. */
    static CodeFunction load(FunctionSpec spec, Limits limits) throws FunctionError {
        if (!spec.type().isJavaScript()) {
            throw new IllegalArgumentException(spec.type().wire() + " functions are not JavaScript");
        }
        CodeFunction f = new CodeFunction(spec, limits);
        f.idle.push(f.open());
        return f;
    }

    @Override
    public FunctionSpec spec() {
        return spec;
    }

    /**
     * Calls the function on a message. Blocks while the most calls that run at once are running, and once running at
     * most for the time limit (plus a few tens of milliseconds).
     *
     * @param messageJson a message as UTF-8 JSON: {@code {"record":{..},"changes":{..}|null,"action":"..",
     *     "metadata":{..}}}
     * @return the result as UTF-8 JSON: for a transform any JSON value ({@code null} for {@code undefined}), for a
     *     route an object, for a filter {@code true} or {@code false}
     * @throws FunctionError when the function throws ({@link Kind#RUNTIME}), returns what its type does not allow
     *     ({@link Kind#RESULT}), runs out of a limit ({@link Kind#LIMIT}), or a new context fails to load the code
     *     ({@link Kind#COMPILE}: its top level does not always succeed)
     * @throws IllegalStateException after {@link #close()}
     */
    public byte[] call(byte[] messageJson) throws FunctionError {
        Object result = run(messageJson);
        if (result instanceof Boolean b) {
            return b ? TRUE : FALSE;
        }
        byte[] json = ((String) result).getBytes(StandardCharsets.UTF_8);
        if (json.length > limits.maxOutputBytes()) {
            throw Sandbox.outputTooLarge(spec.name(), json.length + " bytes", limits.maxOutputBytes());
        }
        return json;
    }

    /**
     * Calls a filter on a message: whether the message passes. As {@link #call(byte[])}, which see.
     *
     * @throws FunctionError of kind {@link Kind#RESULT} when the filter returns anything but {@code true} or
     *     {@code false} (no truthiness: {@code 1} and {@code "true"} are refused, as in Sequin)
     * @throws IllegalStateException when this is not a filter, or after {@link #close()}
     */
    public boolean test(byte[] messageJson) throws FunctionError {
        if (spec.type() != FunctionType.FILTER) {
            throw new IllegalStateException(
                    "function " + spec.name() + " is a " + spec.type().wire() + ", not a filter");
        }
        return (Boolean) run(messageJson);
    }

    private Object run(byte[] messageJson) throws FunctionError {
        if (closed) {
            throw new IllegalStateException("function " + spec.name() + " is closed");
        }
        MessageSplit message = MessageSplit.of(messageJson);
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw FunctionError.of(Kind.RUNTIME, spec.name(), "interrupted while waiting for a free context");
        }
        try {
            Sandbox s = idle.pollFirst();
            if (s == null) {
                s = open();
            }
            try {
                return s.call(message);
            } finally {
                release(s);
            }
        } finally {
            permits.release();
        }
    }

    private Sandbox open() throws FunctionError {
        return Sandbox.open(spec.name(), source, spec.type(), limits.maxOutputBytes(), limits.timeout());
    }

    private void release(Sandbox s) {
        if (s.broken() || closed) {
            s.close();
            return;
        }
        idle.push(s);
        if (closed) {
            drain(); // close() ran between the check and the push
        }
    }

    /** Closes the idle contexts; running calls finish, then close theirs. Idempotent. */
    @Override
    public void close() {
        closed = true;
        drain();
    }

    private void drain() {
        for (Sandbox s; (s = idle.pollFirst()) != null; ) {
            s.close();
        }
    }
}
