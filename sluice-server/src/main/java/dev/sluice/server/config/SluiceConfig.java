package dev.sluice.server.config;

import dev.sluice.functions.FunctionSpec;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The contents of {@code sluice.yaml}: source databases, HTTP endpoints, functions and sinks, already validated and
 * cross-checked (names are unique per kind and every reference resolves), and the API tokens the file gives. Lists
 * are immutable and may be empty. The API tokens are not part of the stored configuration: they become API keys.
 */
public record SluiceConfig(
        List<DatabaseConfig> databases,
        List<HttpEndpointConfig> httpEndpoints,
        List<SinkConfig> sinks,
        List<FunctionSpec> functions,
        List<ApiTokenConfig> apiTokens) {
    public SluiceConfig {
        databases = List.copyOf(databases);
        httpEndpoints = List.copyOf(httpEndpoints);
        sinks = List.copyOf(sinks);
        functions = List.copyOf(functions);
        apiTokens = List.copyOf(apiTokens);
    }

    /** A configuration without API tokens. */
    public SluiceConfig(
            List<DatabaseConfig> databases,
            List<HttpEndpointConfig> httpEndpoints,
            List<SinkConfig> sinks,
            List<FunctionSpec> functions) {
        this(databases, httpEndpoints, sinks, functions, List.of());
    }

    /** A configuration without functions. */
    public SluiceConfig(
            List<DatabaseConfig> databases, List<HttpEndpointConfig> httpEndpoints, List<SinkConfig> sinks) {
        this(databases, httpEndpoints, sinks, List.of());
    }

    /** The function named {@code name}, or null. */
    public @Nullable FunctionSpec function(String name) {
        for (FunctionSpec f : functions) {
            if (f.name().equals(name)) {
                return f;
            }
        }
        return null;
    }

    /** A configuration with nothing in it, as an empty file gives. */
    public static SluiceConfig empty() {
        return new SluiceConfig(List.of(), List.of(), List.of());
    }
}
