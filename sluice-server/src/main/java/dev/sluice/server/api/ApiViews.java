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

    // ---- console-sink: the sink page's checks and yaml

    /**
     * A check as the console shows it.
     *
     * @param status {@code healthy}, {@code warning} or {@code error}
     * @param detail what was found; null when there is nothing to say
     * @param fix the setting or SQL that fixes a failing check; null for a passing one
     */
    public record Check(
            String name,
            String status,
            @Nullable String detail,
            @Nullable String fix) {}

    /**
     * The checks of the source tables {@code sink} streams, read live from its database's catalog: each is in the
     * publication ({@code ALTER PUBLICATION ... ADD TABLE} when not), and a keyless table has a replica identity
     * ({@code ALTER TABLE ... REPLICA IDENTITY FULL} when not). Connects to the database; an unreachable one is one
     * failing check.
     */
    public static java.util.List<Check> sinkTableChecks(
            dev.sluice.server.store.ConfigSnapshot snapshot, SinkConfig sink) {
        return SinkTableChecks.of(snapshot, sink);
    }

    /**
     * Sink {@code index} of {@code snapshot} as sluice.yaml would have it (as {@code GET /api/config/export} writes
     * it), secrets masked.
     */
    public static String sinkYaml(dev.sluice.server.store.ConfigSnapshot snapshot, int index) {
        return ConfigApi.entryYaml(snapshot, dev.sluice.server.store.Kind.SINK, index);
    }

    /**
     * Keeps the body of a console page that answers 404 itself (an unknown sink): without this, the API's fallback for
     * unmatched routes replaces it with its JSON.
     */
    public static void keepErrorBody(io.javalin.http.Context ctx) {
        ctx.attribute(ManagementApi.ERROR_RENDERED, true);
    }
}
