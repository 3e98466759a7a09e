package dev.sluice.server.functions;

import dev.sluice.functions.CodeChain;
import dev.sluice.functions.Compiled;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.functions.Functions;
import dev.sluice.functions.InvalidFunctionException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compiled functions the running sinks use, one per definition, shared by every sink naming it. A definition
 * no longer used is closed one {@link #retain} later, so that a sink still finishing batches with it during its
 * reconfiguration is not cut off.
 *
 * <p>Thread-safe.
 */
public final class CompiledFunctions implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CompiledFunctions.class);

    private final Map<FunctionSpec, Compiled> compiled = new HashMap<>();
    // A sink's JavaScript functions together, keyed by [filter, routing, transform] (nulls where it has none).
    private final Map<List<@Nullable FunctionSpec>, CodeChain> chains = new HashMap<>();
    private List<AutoCloseable> retired = List.of();

    /** The compiled form of {@code spec}, compiling it on first use. */
    public synchronized Compiled get(FunctionSpec spec) throws InvalidFunctionException {
        Compiled c = compiled.get(spec);
        if (c == null) {
            c = Functions.compile(spec);
            compiled.put(spec, c);
        }
        return c;
    }

    /** The chain of a sink's JavaScript functions (each may be null, not all), loading it on first use. */
    public synchronized CodeChain chain(
            @Nullable FunctionSpec filter, @Nullable FunctionSpec routing, @Nullable FunctionSpec transform)
            throws InvalidFunctionException {
        List<@Nullable FunctionSpec> key = Arrays.asList(filter, routing, transform);
        CodeChain c = chains.get(key);
        if (c == null) {
            c = CodeChain.load(filter, routing, transform);
            chains.put(key, c);
        }
        return c;
    }

    /** Keeps the definitions in {@code used}, and the chains made only of them; the others are closed at the next call. */
    public synchronized void retain(Collection<FunctionSpec> used) {
        retired.forEach(CompiledFunctions::closeQuietly);
        Set<FunctionSpec> keep = new HashSet<>(used);
        List<AutoCloseable> gone = new ArrayList<>();
        compiled.entrySet().removeIf(e -> !keep.contains(e.getKey()) && gone.add(e.getValue()));
        chains.entrySet()
                .removeIf(e -> !e.getValue().specs().stream().allMatch(keep::contains) && gone.add(e.getValue()));
        retired = List.copyOf(gone);
    }

    @Override
    public synchronized void close() {
        retired.forEach(CompiledFunctions::closeQuietly);
        compiled.values().forEach(CompiledFunctions::closeQuietly);
        chains.values().forEach(CompiledFunctions::closeQuietly);
        compiled.clear();
        chains.clear();
        retired = List.of();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            log.warn(
                    "function {}: error while closing: {}",
                    c instanceof Compiled f ? f.spec().name() : c.toString(),
                    e.toString());
        }
    }
}
