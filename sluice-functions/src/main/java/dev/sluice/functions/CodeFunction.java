package dev.sluice.functions;

import dev.sluice.functions.FunctionError.Kind;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A transform, filter or routing function: JavaScript defining {@code function transform|filter|route(action,
 * record, changes, metadata)}, run by GraalJS in a constrained sandbox.
 *
 * <p>A call passes the message's JSON text in and gets JSON text out, one string each way (the least interop):
 * {@code action} is a string, {@code record}, {@code changes} (null but for updates) and {@code metadata} are plain
 * objects made by {@code JSON.parse}, each value as the message's JSON carries it (an int8 beyond 2^53 or a numeric
 * stays a string). Cost: GraalJS runs interpreted on a stock JDK, where parsing the message dominates a warm call
 * (several microseconds for a 1 KB message on a small machine, most of it {@code metadata}): the metadata is parsed
 * only once the function is seen to read it ({@link Pool}).
 *
 * <p>Sandbox: GraalVM's {@code CONSTRAINED} policy: no host classes, IO, threads, processes, native code or
 * environment, and no {@code Java}, {@code Polyglot}, {@code load}, {@code require} or {@code print}. Limits of a
 * call: 1 s of wall-clock time (Sequin's), 50 million statements, 1 MiB of result JSON, and the JVM's heap: past any
 * of them the call fails with {@link Kind#LIMIT}. Community GraalJS has no heap limit of its own: an allocation the
 * heap cannot hold fails the call that made it, but while it grows it takes heap from the rest of the server.
 *
 * <p>State: contexts are pooled, one call per context at a time. A context's built-ins are frozen after the code's
 * top level has run, so a call cannot change what later calls see through them; but <b>variables the code declares,
 * and properties it sets on {@code globalThis}, persist across the calls a context serves</b>, and which context serves
 * a call is not defined: code must not keep state between calls. A context whose call was cancelled or ran out of a limit is closed; the next call
 * makes a new one, running the code's top level again.
 *
 * <p>Scope: the code's top-level declarations are its own (it runs wrapped in a function); a sink's filter, routing
 * and transform together run as a {@link CodeChain}, on one parse of each message.
 *
 * <p>Concurrency: thread-safe, for platform and virtual threads alike; see {@link Pool} for how many calls run at once.
 */
public final class CodeFunction implements Compiled {
    private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);

    private final FunctionSpec spec;
    private final Pool pool;

    private CodeFunction(FunctionSpec spec, Pool pool) {
        this.spec = spec;
        this.pool = pool;
    }

    /** Loads the code in a first context, which the first call then uses; COMPILE or LIMIT errors if it fails. */
    static CodeFunction load(FunctionSpec spec, Pool.Limits limits) throws FunctionError {
        return new CodeFunction(spec, Pool.load(List.of(spec), limits));
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
        Object result = pool.run(messageJson);
        if (result instanceof Boolean b) {
            return b ? TRUE : FALSE;
        }
        return CodeChain.utf8((String) result, spec.name(), pool.limits());
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
        return (Boolean) pool.run(messageJson);
    }

    /** Closes the idle contexts; running calls finish, then close theirs. Idempotent. */
    @Override
    public void close() {
        pool.close();
    }
}
