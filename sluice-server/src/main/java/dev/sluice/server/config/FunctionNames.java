package dev.sluice.server.config;

import dev.sluice.functions.FunctionSpec;
import java.util.Map;
import java.util.Set;

/**
 * The functions a sink may name: {@code valid} by name, and {@code all} the names given (a function with problems is
 * reported once, at itself, not again at every sink naming it).
 */
record FunctionNames(Map<String, FunctionSpec> valid, Set<String> all) {
    static final FunctionNames NONE = new FunctionNames(Map.of(), Set.of());
}
