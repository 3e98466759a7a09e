package dev.sluice.server.functions;

import dev.sluice.functions.Compiled;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.functions.Functions;
import dev.sluice.functions.InvalidFunctionException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    private List<Compiled> retired = List.of();

    /** The compiled form of {@code spec}, compiling it on first use. */
    public synchronized Compiled get(FunctionSpec spec) throws InvalidFunctionException {
        Compiled c = compiled.get(spec);
        if (c == null) {
            c = Functions.compile(spec);
            compiled.put(spec, c);
        }
        return c;
    }

    /** Keeps the definitions in {@code used}; the others are closed at the next call. */
    public synchronized void retain(Collection<FunctionSpec> used) {
        retired.forEach(CompiledFunctions::closeQuietly);
        Set<FunctionSpec> keep = new HashSet<>(used);
        List<Compiled> gone = compiled.entrySet().stream()
                .filter(e -> !keep.contains(e.getKey()))
                .map(Map.Entry::getValue)
                .toList();
        compiled.keySet().retainAll(keep);
        retired = gone;
    }

    @Override
    public synchronized void close() {
        retired.forEach(CompiledFunctions::closeQuietly);
        compiled.values().forEach(CompiledFunctions::closeQuietly);
        compiled.clear();
        retired = List.of();
    }

    private static void closeQuietly(Compiled c) {
        try {
            c.close();
        } catch (RuntimeException e) {
            log.warn("function {}: error while closing: {}", c.spec().name(), e.toString());
        }
    }
}
