package dev.sluice.functions;

import java.time.Duration;

/** Compiles JavaScript functions for tests. */
final class Js {
    private Js() {}

    static CodeFunction transform(String code) {
        return compile(FunctionType.TRANSFORM, code, Pool.Limits.DEFAULT);
    }

    static CodeFunction filter(String code) {
        return compile(FunctionType.FILTER, code, Pool.Limits.DEFAULT);
    }

    static CodeFunction route(String code) {
        return compile(FunctionType.ROUTING, code, Pool.Limits.DEFAULT);
    }

    static CodeFunction transform(String code, Duration timeout) {
        return compile(FunctionType.TRANSFORM, code, new Pool.Limits(timeout, 1 << 20));
    }

    static CodeFunction compile(FunctionType type, String code, Pool.Limits limits) {
        String sinkType = type == FunctionType.ROUTING ? "kafka" : null;
        try {
            return (CodeFunction) Functions.compile(new FunctionSpec("fn", null, type, code, null, sinkType), limits);
        } catch (InvalidFunctionException e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }
}
