package dev.sluice.server.console;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.api.ApiViews;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import dev.sluice.server.store.MessageTable;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A sink's overview: its health checks (the API's, its database reader's, and its source tables' in the catalog,
 * loaded after the page),
 * each failing one with what fixes it; charts of the last minutes from {@link History}; its numbers, refreshed every
 * two seconds; pause, resume and disable through {@code PATCH /api/sinks/{name}}; and its entry as sluice.yaml has
 * it, secrets masked.
 */
final class SinkPage implements ConsolePage {
    /** The charts, by the {@code metric} their series is asked for with. */
    static final List<Chart> CHARTS = List.of(
            new Chart("throughput", "Throughput", "messages/s", "messages delivered per second"),
            new Chart("bytes", "Bytes delivered", "bytes/s", "bytes of message JSON (before functions) per second"),
            new Chart("latency", "Delivery latency", "ms", "from commit to acknowledgement, p50 and p99 per second"),
            new Chart("lag", "Lag", "s", "how far behind the oldest commit the sink has not resolved"),
            new Chart("backlog", "Backlog", "messages", "buffered or stored, not yet delivered"),
            new Chart("stored", "Stored", "bytes", "the sink's messages in the metadata store (failing or spilled)"));

    /** A chart of the page: its series' {@code metric}, and the unit of its axis. */
    record Chart(String metric, String title, String unit, String description) {}

    /** What the page shows of a sink; {@code live} is null when the sink does not run. */
    record Model(
            String name,
            String database,
            String type,
            String status,
            String health,
            List<ApiViews.Check> checks,
            long delivered,
            long pending,
            long failing,
            double lagSeconds,
            @Nullable Instant lastDeliveredAt,
            boolean running) {}

    private final History history;

    SinkPage(History history) {
        this.history = history;
    }

    @Override
    public void register(ConsoleRoutes routes) {
        routes.get("/sinks/{name}", this::page);
        routes.get("/console/sinks/{name}/live", this::live);
        routes.get("/console/sinks/{name}/series", this::series);
        routes.get("/console/sinks/{name}/tables", this::tables);
    }

    private void page(Context ctx, ConsoleRequest request) throws SQLException {
        ConfigSnapshot s = request.services().stored().snapshot();
        int i = s.indexOf(Kind.SINK, ctx.pathParam("name"));
        if (i < 0) {
            missing(ctx, request, ctx.pathParam("name"));
            return;
        }
        SinkConfig c = s.config().sinks().get(i);
        Model m = model(request.services(), s, c);
        request.html(
                ctx,
                "sink.jte",
                "sink",
                m,
                "body",
                (gg.jte.Content) out -> out.writeUnsafeContent(request.render("sink-live.jte", "sink", m)),
                "charts",
                CHARTS,
                "yaml",
                ApiViews.sinkYaml(s, i));
    }

    /** {@code 2026-12-07 06:13:26 UTC}. */
    static String when(Instant at) {
        return java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'")
                .withZone(java.time.ZoneOffset.UTC)
                .format(at);
    }

    /** The status of an unknown sink, for the tabs' pages too. */
    static void missing(Context ctx, ConsoleRequest request, String name) {
        ApiViews.errorPageWritten(ctx);
        ctx.status(404);
        request.html(ctx, "sink-missing.jte", "name", name);
    }

    /** The numbers and the sink's own checks, for the page's two-second refresh. */
    private void live(Context ctx, ConsoleRequest request) throws SQLException {
        ConfigSnapshot s = request.services().stored().snapshot();
        int i = s.indexOf(Kind.SINK, ctx.pathParam("name"));
        if (i < 0) {
            ApiViews.errorPageWritten(ctx);
            ctx.status(404).result("");
            return;
        }
        request.html(
                ctx,
                "sink-live.jte",
                "sink",
                model(request.services(), s, s.config().sinks().get(i)));
    }

    /** The source tables' checks, loaded after the page: reading the catalog may wait for the database. */
    private void tables(Context ctx, ConsoleRequest request) {
        ConfigSnapshot s = request.services().stored().snapshot();
        int i = s.indexOf(Kind.SINK, ctx.pathParam("name"));
        if (i < 0) {
            ApiViews.errorPageWritten(ctx);
            ctx.status(404).result("");
            return;
        }
        request.html(
                ctx,
                "sink-tables.jte",
                "checks",
                ApiViews.sinkTableChecks(s, s.config().sinks().get(i)));
    }

    private static Model model(ConsoleServices services, ConfigSnapshot s, SinkConfig c) throws SQLException {
        DatabasePipeline.Status db = null;
        for (DatabasePipeline.Status st : services.pipelines().get()) {
            if (st.database().equals(c.database())) {
                db = st;
            }
        }
        DatabasePipeline.SinkStatus live = ApiViews.liveSink(db, c);
        ObjectNode health = ApiViews.sinkHealth(c, live);
        List<ApiViews.Check> checks = new ArrayList<>();
        for (JsonNode check : health.get("checks")) {
            String status = check.get("status").asString();
            String error = check.has("error") ? check.get("error").asString() : null;
            checks.add(new ApiViews.Check(
                    check.get("name").asString(),
                    status,
                    error,
                    fix(c, check.get("name").asString(), status)));
        }
        checks.add(readerCheck(c, db, services.clock().instant()));
        UUID id = s.sinkIds().get(c.name());
        long failing =
                id == null ? 0 : services.stored().metadata().messages().count(id, MessageTable.MessageFilter.FAILED);
        return new Model(
                c.name(),
                c.database(),
                c.destination().type(),
                c.status().wireName(),
                health.get("status").asString(),
                checks,
                live == null ? 0 : live.delivered(),
                live == null ? 0 : live.queued() + live.spilled(),
                failing,
                live == null ? 0 : live.lag().toMillis() / 1000.0,
                live == null ? null : live.lastDeliveredAt(),
                live != null);
    }

    /** What fixes a failing check of the API's health document. */
    private static @Nullable String fix(SinkConfig c, String check, String status) {
        if (status.equals("healthy")) {
            return null;
        }
        String edit = "/sinks/" + c.name() + "/edit";
        return switch (status) {
            case "error" ->
                "Fix what the error names: the destination (its URL, credentials or the service itself), or the sink's"
                        + " settings on the Edit tab (" + edit + "). Failed messages are retried with back-off"
                        + " (retry_backoff_ms up to max_retry_backoff_ms); redeliver them now on the Messages tab.";
            case "warning" ->
                "The destination falls behind: fix it so the backlog drains, or raise max_spill_mb on the Edit tab ("
                        + edit + ").";
            case "paused" -> "The sink is disabled: Resume below to deliver again.";
            case "initializing" -> "The sink is starting, or its database's reader does not run (see below).";
            default -> null;
        };
    }

    /** Whether the sink's database is read: its pipeline's state and last error. */
    private static ApiViews.Check readerCheck(SinkConfig c, DatabasePipeline.@Nullable Status db, Instant now) {
        String name = "Database " + c.database() + " read";
        String page =
                "Check the database's connection, slot and publication on its page (/databases/" + c.database() + ").";
        if (db == null) {
            return new ApiViews.Check(name, "error", "the database's reader does not run", page);
        }
        String state = db.state().name().toLowerCase(Locale.ROOT);
        if (db.state() != DatabasePipeline.State.STREAMING) {
            return new ApiViews.Check(
                    name,
                    db.state() == DatabasePipeline.State.STARTING ? "warning" : "error",
                    state + (db.lastError() == null ? "" : ": " + db.lastError()),
                    page);
        }
        String warning = db.heartbeatWarning(now);
        return warning == null
                ? new ApiViews.Check(name, "healthy", "streaming", null)
                : new ApiViews.Check(name, "warning", warning, page);
    }

    /** {@code {"x": [epoch seconds], "series": [{"label", "values"}], "unit"}}, as console.js charts it. */
    private void series(Context ctx, ConsoleRequest request) {
        String metric = ctx.queryParam("metric") == null ? "" : ctx.queryParam("metric");
        List<History.SinkPoint> points = history.sink(ctx.pathParam("name"));
        StringBuilder json = new StringBuilder("{\"x\":[");
        for (int i = 0; i < points.size(); i++) {
            json.append(i == 0 ? "" : ",").append(points.get(i).epochSecond());
        }
        json.append("],\"series\":[");
        switch (metric) {
            case "throughput" -> series(json, "delivered", points, History.SinkPoint::delivered);
            case "bytes" -> series(json, "delivered", points, History.SinkPoint::bytesPerSecond);
            case "latency" -> {
                series(json, "p50", points, History.SinkPoint::p50Millis);
                json.append(',');
                series(json, "p99", points, History.SinkPoint::p99Millis);
            }
            case "lag" -> series(json, "lag", points, History.SinkPoint::lagSeconds);
            case "backlog" -> series(json, "backlog", points, p -> p.backlog());
            case "stored" -> series(json, "stored", points, p -> p.storedBytes());
            default -> {
                ctx.status(400)
                        .contentType("text/plain; charset=utf-8")
                        .result("unknown metric: choose one of "
                                + String.join(
                                        ", ", CHARTS.stream().map(Chart::metric).toList()));
                return;
            }
        }
        String unit = CHARTS.stream()
                .filter(c -> c.metric().equals(metric))
                .findFirst()
                .map(Chart::unit)
                .orElse("");
        json.append("],\"unit\":\"").append(unit).append("\"}");
        ctx.contentType("application/json").result(json.toString());
    }

    private static void series(
            StringBuilder json, String label, List<History.SinkPoint> points, ToDoubleFunction<History.SinkPoint> v) {
        json.append("{\"label\":\"").append(label).append("\",\"values\":[");
        for (int i = 0; i < points.size(); i++) {
            double d = v.applyAsDouble(points.get(i));
            json.append(i == 0 ? "" : ",").append(Double.isFinite(d) ? Double.toString(d) : "null");
        }
        json.append("]}");
    }
}
