package dev.sluice.bench.e2e;

import dev.sluice.engine.MessageFunctions;
import dev.sluice.functions.CodeFunction;
import dev.sluice.functions.Compiled;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.functions.FunctionType;
import dev.sluice.functions.Functions;
import dev.sluice.functions.InvalidFunctionException;
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
    private final List<Compiled> compiled;

    private BenchFunctions(MessageFunctions chain, List<Compiled> compiled) {
        this.chain = chain;
        this.compiled = compiled;
    }

    static BenchFunctions of(DrainSystem system) throws InvalidFunctionException {
        List<Compiled> made = new ArrayList<>();
        MessageFunctions chain = switch (system) {
            case SLUICE_PATH ->
                new SinkFunctionChain(
                        "kafka",
                        null,
                        null,
                        null,
                        compile(made, FunctionType.PATH, null, "record"),
                        List.of(),
                        Set.of());
            case SLUICE_JS ->
                new SinkFunctionChain(
                        "kafka",
                        null,
                        (CodeFunction) compile(made, FunctionType.FILTER, BenchFunctionsCode.FILTER, null),
                        null,
                        compile(made, FunctionType.TRANSFORM, BenchFunctionsCode.TRANSFORM, null),
                        List.of(),
                        Set.of());
            case SLUICE_ROUTING ->
                new SinkFunctionChain(
                        "kafka",
                        null,
                        null,
                        (CodeFunction) compile(made, FunctionType.ROUTING, BenchFunctionsCode.ROUTE, null),
                        null,
                        List.of("topic", "message_key"),
                        Set.of("topic"));
            default -> MessageFunctions.NONE;
        };
        return new BenchFunctions(chain, made);
    }

    private static Compiled compile(
            List<Compiled> made, FunctionType type, @Nullable String code, @Nullable String path)
            throws InvalidFunctionException {
        Compiled c = Functions.compile(new FunctionSpec(
                "bench-" + type.wire(), null, type, code, path, type == FunctionType.ROUTING ? "kafka" : null));
        made.add(c);
        return c;
    }

    MessageFunctions chain() {
        return chain;
    }

    @Override
    public void close() {
        compiled.forEach(Compiled::close);
    }
}
