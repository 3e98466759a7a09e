package dev.sluice.server.store;

import dev.sluice.server.config.SluiceConfig;
import java.util.Map;
import java.util.UUID;

/**
 * The configuration as the running pipelines need it, secrets in clear, with the ids of databases and sinks by name.
 * Handed to the engine when the store changes; never cached for reads (see {@link ConfigSnapshot}).
 */
public record RunningConfig(SluiceConfig config, Map<String, UUID> databaseIds, Map<String, UUID> sinkIds) {
    public RunningConfig {
        databaseIds = Map.copyOf(databaseIds);
        sinkIds = Map.copyOf(sinkIds);
    }
}
