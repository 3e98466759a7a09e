package dev.sluice.server.api;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.store.StoredConfig;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** What the API needs from the running server: applying a saved configuration, and live status. */
public interface Engine {
    /** Makes the running pipelines match the configuration just saved; returns when that is done. */
    void apply(StoredConfig.Loaded loaded);

    /**
     * Retries a running sink's failing groups now: all, or the one whose failed message is at {@code position}.
     * Returns how many groups, or -1 when the sink does not run.
     */
    int redeliver(UUID databaseId, UUID sinkId, dev.sluice.core.@Nullable Position position);

    /**
     * Discards a running sink's failed messages: the one at {@code position}, or all. Returns how many, or -1 when
     * the sink does not run.
     */
    int discard(UUID databaseId, UUID sinkId, dev.sluice.core.@Nullable Position position);

    /** The live status of a database's pipeline, or null when it does not run. */
    DatabasePipeline.@Nullable Status status(UUID databaseId);
}
