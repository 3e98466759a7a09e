package dev.sluice.bench.e2e;

import dev.sluice.engine.MessageFunctions;
import dev.sluice.functions.CodeChain;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.functions.FunctionType;
import dev.sluice.functions.Functions;
import dev.sluice.functions.InvalidFunctionException;
import dev.sluice.functions.PathFunction;
import dev.sluice.server.functions.SinkFunctionChain;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The functions of the drains with functions, as a server would build them for a sink (a {@link SinkFunctionChain}
 * of compiled functions): each passes every change on, so the drains count the same messages as (b).
 */
final class BenchFunctions implements AutoCloseable {
    private final MessageFunctions chain;
    private final List<AutoCloseable> compiled;

    private BenchFunctions(MessageFunctions chain, List<AutoCloseable> compiled) {
        this.chain = chain;
        this.compiled = compiled;
    }

    static BenchFunctions of(DrainSystem system) throws InvalidFunctionException {
        List<AutoCloseable> made = new ArrayList<>();
        MessageFunctions chain = switch (system) {
            case SLUICE_PATH ->
                new SinkFunctionChain(
                        "kafka", null, null, path(made, spec(FunctionType.PATH, null, "record")), List.of(), Set.of());
            case SLUICE_JS ->
                new SinkFunctionChain(
                        "kafka",
                        null,
                        chain(
                                made,
                                spec(FunctionType.FILTER, BenchFunctionsCode.FILTER, null),
                                null,
                                spec(FunctionType.TRANSFORM, BenchFunctionsCode.TRANSFORM, null)),
                        null,
                        List.of(),
                        Set.of());
            case SLUICE_ROUTING ->
                new SinkFunctionChain(
                        "kafka",
                        null,
                        chain(made, null, spec(FunctionType.ROUTING, BenchFunctionsCode.ROUTE, null), null),
                        null,
                        List.of("topic", "message_key"),
                        Set.of("topic"));
            default -> MessageFunctions.NONE;
        };
        return new BenchFunctions(chain, made);
    }

    private static FunctionSpec spec(FunctionType type, @Nullable String code, @Nullable String path) {
        return new FunctionSpec(
                "bench-" + type.wire(), null, type, code, path, type == FunctionType.ROUTING ? "kafka" : null);
    }

    private static PathFunction path(List<AutoCloseable> made, FunctionSpec spec) throws InvalidFunctionException {
        PathFunction p = (PathFunction) Functions.compile(spec);
        made.add(p);
        return p;
    }

    private static CodeChain chain(
            List<AutoCloseable> made,
            @Nullable FunctionSpec filter,
            @Nullable FunctionSpec routing,
            @Nullable FunctionSpec transform)
            throws InvalidFunctionException {
        CodeChain c = CodeChain.load(filter, routing, transform);
        made.add(c);
        return c;
    }

    MessageFunctions chain() {
        return chain;
    }

    @Override
    public void close() {
        for (AutoCloseable c : compiled) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
