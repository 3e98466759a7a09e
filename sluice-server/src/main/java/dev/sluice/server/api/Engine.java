package dev.sluice.server.api;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.store.StoredConfig;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** What the API needs from the running server: applying a saved configuration, and live status. */
public interface Engine {
    /** Makes the running pipelines match the configuration just saved; returns when that is done. */
    void apply(StoredConfig.Loaded loaded);

    /** The live status of a database's pipeline, or null when it does not run. */
    DatabasePipeline.@Nullable Status status(UUID databaseId);
}
