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

    // ---- sink forms and configuration (console)

    /** Sink {@code name} as {@code GET /api/sinks/{name}} renders it (secrets masked); null when there is none. */
    public static @Nullable ObjectNode sink(dev.sluice.server.store.StoredConfig stored, Engine engine, String name)
            throws java.sql.SQLException {
        dev.sluice.server.store.ConfigSnapshot s = stored.snapshot();
        int i = s.indexOf(dev.sluice.server.store.Kind.SINK, name);
        return i < 0
                ? null
                : new SinkResource(engine, stored).renderer(s, s.config()).apply(i);
    }
}
