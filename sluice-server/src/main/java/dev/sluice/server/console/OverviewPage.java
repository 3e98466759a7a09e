package dev.sluice.server.console;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.api.ApiViews;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.MessageTable;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The overview: every database (reader state, WAL its slot retains) and every sink (status, health, messages per
 * second with a sparkline of the last minutes, pending, failing, end-to-end lag), sortable by any column, refreshed
 * live over server-sent events.
 */
final class OverviewPage implements ConsolePage {
    static final Duration REFRESH = Duration.ofSeconds(2);

    /** A database as the overview shows it; {@code state} is null when its reader does not run. */
    record DatabaseRow(
            String name,
            String host,
            @Nullable String state,
            @Nullable String error,
            long slotLagBytes,
            String slot) {}

    /** A sink as the overview shows it. */
    record SinkRow(
            String name,
            String database,
            String type,
            String status,
            String health,
            double perSecond,
            String sparkline,
            long pending,
            long failing,
            double lagSeconds) {}

    private final History history;
    private final LiveUpdates live;

    OverviewPage(History history, LiveUpdates live) {
        this.history = history;
        this.live = live;
        live.every(Duration.ofSeconds(1), history::sample);
    }

    @Override
    public void register(ConsoleRoutes routes) {
        routes.get("/", this::page);
        routes.events("/console/events/overview", (client, request) -> {
            String sort = client.ctx().queryParam("sort");
            String dir = client.ctx().queryParam("dir");
            live.stream(client, REFRESH, c -> c.sendEvent("overview", body(request, sort, dir)));
        });
    }

    private void page(Context ctx, ConsoleRequest request) throws SQLException {
        String sort = ctx.queryParam("sort");
        String dir = ctx.queryParam("dir");
        request.html(
                ctx,
                "overview.jte",
                "body",
                (gg.jte.Content) output -> output.writeUnsafeContent(body(request, sort, dir)),
                "sort",
                sort == null ? "" : sort,
                "dir",
                dir == null ? "" : dir);
    }

    private String body(ConsoleRequest request, @Nullable String sort, @Nullable String dir) {
        try {
            Model m = model(request.services());
            List<SinkRow> sinks = new ArrayList<>(m.sinks());
            Comparator<SinkRow> by = comparator(sort);
            sinks.sort("desc".equals(dir) ? by.reversed() : by);
            return request.render(
                    "overview-body.jte",
                    "databases",
                    m.databases(),
                    "sinks",
                    sinks,
                    "sort",
                    sort == null ? "name" : sort,
                    "dir",
                    "desc".equals(dir) ? "desc" : "asc");
        } catch (SQLException e) {
            throw new IllegalStateException("reading the message store failed: " + e.getMessage(), e);
        }
    }

    private record Model(List<DatabaseRow> databases, List<SinkRow> sinks) {}

    private Model model(ConsoleServices s) throws SQLException {
        ConfigSnapshot snapshot = s.stored().snapshot();
        Map<String, DatabasePipeline.Status> running = new HashMap<>();
        for (DatabasePipeline.Status st : s.pipelines().get()) {
            running.put(st.database(), st);
        }
        List<DatabaseRow> databases = new ArrayList<>();
        for (DatabaseConfig d : snapshot.config().databases()) {
            DatabasePipeline.Status st = running.get(d.name());
            databases.add(new DatabaseRow(
                    d.name(),
                    d.hostname() + ":" + d.port() + "/" + d.database(),
                    st == null ? null : st.state().name().toLowerCase(java.util.Locale.ROOT),
                    st == null ? null : st.lastError(),
                    st == null ? -1 : st.slotLagBytes(),
                    d.slot().name()));
        }
        MessageTable messages = s.stored().metadata().messages();
        Map<String, java.util.UUID> ids = snapshot.sinkIds();
        List<SinkRow> sinks = new ArrayList<>();
        for (SinkConfig c : snapshot.config().sinks()) {
            DatabasePipeline.SinkStatus st = ApiViews.liveSink(running.get(c.database()), c);
            List<History.SinkPoint> points = history.sink(c.name());
            double rate = points.isEmpty() ? 0 : points.getLast().delivered();
            java.util.UUID id = ids.get(c.name());
            sinks.add(new SinkRow(
                    c.name(),
                    c.database(),
                    c.destination().type(),
                    c.status().wireName(),
                    ApiViews.sinkHealth(c, st).get("status").asString(),
                    rate,
                    Sparkline.path(points.stream()
                            .mapToDouble(History.SinkPoint::delivered)
                            .toArray()),
                    st == null ? 0 : st.queued() + st.spilled(),
                    id == null ? 0 : messages.count(id, MessageTable.MessageFilter.FAILED),
                    st == null ? 0 : st.lag().toMillis() / 1000.0));
        }
        return new Model(databases, sinks);
    }

    private static Comparator<SinkRow> comparator(@Nullable String sort) {
        Comparator<SinkRow> byName = Comparator.comparing(SinkRow::name);
        return switch (sort == null ? "name" : sort) {
            case "database" -> Comparator.comparing(SinkRow::database).thenComparing(byName);
            case "status" -> Comparator.comparing(SinkRow::status).thenComparing(byName);
            case "health" -> Comparator.comparing(SinkRow::health).thenComparing(byName);
            case "rate" -> Comparator.comparingDouble(SinkRow::perSecond).thenComparing(byName);
            case "pending" -> Comparator.comparingLong(SinkRow::pending).thenComparing(byName);
            case "failing" -> Comparator.comparingLong(SinkRow::failing).thenComparing(byName);
            case "lag" -> Comparator.comparingDouble(SinkRow::lagSeconds).thenComparing(byName);
            default -> byName;
        };
    }
}
