package dev.sluice.functions;

import dev.sluice.core.sink.ConfigProblem;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A sink's JavaScript functions, filter, routing and transform, called in that order (Sequin's) on one parse of each
 * message in one context: parsing the message is most of a call's cost, so a sink with a filter and a transform pays
 * it once, not twice.
 *
 * <p>The functions see the same {@code record}, {@code changes} and {@code metadata} objects: what the filter or the
 * routing function changes in them, the next function sees (as if one function had called the other). A call ends at
 * the filter when it rejects the message.
 *
 * <p>Errors name the function they come from. Limits apply to the whole call: 1 s of wall-clock time and the statement
 * limit for the functions together, 1 MiB of JSON for each result.
 *
 * <p>Concurrency: thread-safe, as {@link CodeFunction}.
 */
public final class CodeChain implements AutoCloseable {
    /**
     * What the functions made of a message: {@code passed} false when the filter rejected it (nothing else ran); else
     * the routing function's result (a JSON object) and the transform's (any JSON value), each null when the chain has
     * no such function.
     */
    public record Result(boolean passed, byte @Nullable [] routing, byte @Nullable [] payload) {
        static final Result REJECTED = new Result(false, null, null);
        static final Result PASSED = new Result(true, null, null);
    }

    private final List<FunctionSpec> specs;
    private final @Nullable FunctionSpec routing;
    private final @Nullable FunctionSpec transform;
    private final Pool pool;

    private CodeChain(
            List<FunctionSpec> specs, @Nullable FunctionSpec routing, @Nullable FunctionSpec transform, Pool pool) {
        this.specs = specs;
        this.routing = routing;
        this.transform = transform;
        this.pool = pool;
    }

    /**
     * Compiles a sink's functions into one chain; each may be null, not all. Blocks for the compilation, as {@link
     * Functions#compile}.
     *
     * @throws IllegalArgumentException when a function is not of its slot's type (a transform given as the filter)
     * @throws InvalidFunctionException with the first function's problems that does not compile
     */
    public static CodeChain load(
            @Nullable FunctionSpec filter, @Nullable FunctionSpec routing, @Nullable FunctionSpec transform)
            throws InvalidFunctionException {
        return load(filter, routing, transform, Pool.Limits.DEFAULT);
    }

    static CodeChain load(
            @Nullable FunctionSpec filter,
            @Nullable FunctionSpec routing,
            @Nullable FunctionSpec transform,
            Pool.Limits limits)
            throws InvalidFunctionException {
        List<FunctionSpec> specs = new ArrayList<>(3);
        add(specs, filter, FunctionType.FILTER);
        add(specs, routing, FunctionType.ROUTING);
        add(specs, transform, FunctionType.TRANSFORM);
        if (specs.isEmpty()) {
            throw new IllegalArgumentException("a chain needs at least one function");
        }
        for (FunctionSpec spec : specs) {
            List<ConfigProblem> problems = spec.problems();
            if (!problems.isEmpty()) {
                throw new InvalidFunctionException(spec.name(), problems);
            }
        }
        try {
            return new CodeChain(List.copyOf(specs), routing, transform, Pool.load(specs, limits));
        } catch (FunctionError e) {
            throw new InvalidFunctionException(e.function(), List.of(new ConfigProblem("code", e.detail())));
        }
    }

    private static void add(List<FunctionSpec> specs, @Nullable FunctionSpec spec, FunctionType type) {
        if (spec == null) {
            return;
        }
        if (spec.type() != type) {
            throw new IllegalArgumentException(
                    "function " + spec.name() + " is a " + spec.type().wire() + ", not a " + type.wire());
        }
        specs.add(spec);
    }

    /** The functions, in the order they run. */
    public List<FunctionSpec> specs() {
        return specs;
    }

    /**
     * Runs the functions on a message (UTF-8 JSON, as {@link CodeFunction#call}).
     *
     * @throws FunctionError as {@link CodeFunction#call}, named after the function that failed
     * @throws IllegalStateException after {@link #close()}
     */
    public Result apply(byte[] messageJson) throws FunctionError {
        Object r = pool.run(messageJson);
        if (r instanceof Boolean passed) {
            return passed ? Result.PASSED : Result.REJECTED;
        }
        String text = (String) r;
        if (routing == null || transform == null) {
            byte[] json = utf8(text, (routing != null ? routing : transform).name(), pool.limits());
            return new Result(true, routing != null ? json : null, transform != null ? json : null);
        }
        int nl = text.indexOf('\n'); // JSON.stringify writes no newline: the first one separates the two results
        return new Result(
                true,
                utf8(text.substring(0, nl), routing.name(), pool.limits()),
                utf8(text.substring(nl + 1), transform.name(), pool.limits()));
    }

    /** {@code json} as UTF-8, unless longer than the output limit. */
    static byte[] utf8(String json, String function, Pool.Limits limits) throws FunctionError {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > limits.maxOutputBytes()) {
            throw Sandbox.outputTooLarge(function, bytes.length + " bytes", limits.maxOutputBytes());
        }
        return bytes;
    }

    /** The functions' names, in order: "f, t". */
    @Override
    public String toString() {
        return String.join(", ", specs.stream().map(FunctionSpec::name).toList());
    }

    /** Closes the idle contexts; running calls finish, then close theirs. Idempotent. */
    @Override
    public void close() {
        pool.close();
    }
}
