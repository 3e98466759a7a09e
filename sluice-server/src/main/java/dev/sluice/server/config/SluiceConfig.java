package dev.sluice.server.config;

import java.util.List;

/**
 * The contents of {@code sluice.yaml}: source databases, HTTP endpoints and sinks, already validated and
 * cross-checked (names are unique per kind and every reference resolves). Lists are immutable and may be empty.
 */
public record SluiceConfig(
        List<DatabaseConfig> databases, List<HttpEndpointConfig> httpEndpoints, List<SinkConfig> sinks) {
    public SluiceConfig {
        databases = List.copyOf(databases);
        httpEndpoints = List.copyOf(httpEndpoints);
        sinks = List.copyOf(sinks);
    }

    /** A configuration with nothing in it, as an empty file gives. */
    public static SluiceConfig empty() {
        return new SluiceConfig(List.of(), List.of(), List.of());
    }
}
