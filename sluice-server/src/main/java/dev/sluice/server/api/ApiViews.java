package dev.sluice.server.api;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.config.SinkConfig;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ObjectNode;

/**
 * The API's own renderings of what it reads, for the console: its pages show what the API returns, computed by the
 * same code. Read-only; nothing here changes anything.
 */
public final class ApiViews {
    private ApiViews() {}

    /** The running state of sink {@code sink} within its database's pipeline status; null when it does not run. */
    public static DatabasePipeline.@Nullable SinkStatus liveSink(
            DatabasePipeline.@Nullable Status database, SinkConfig sink) {
        return SinkResource.live(database, sink);
    }

    /** The sink's {@code health} document, as {@code GET /api/sinks/{id}} has it: overall status and its checks. */
    public static ObjectNode sinkHealth(SinkConfig sink, DatabasePipeline.@Nullable SinkStatus live) {
        return SinkResource.health(sink, live);
    }
}
