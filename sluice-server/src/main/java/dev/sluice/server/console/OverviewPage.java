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
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The overview: every database (reader state, WAL its slot retains) and every sink (status, health, messages per
 * second with a sparkline of the last minutes, pending, failing, end-to-end lag), sortable by any column, refreshed
 * live over server-sent events.
 */
final class OverviewPage implements ConsolePage {
    static final Duration REFRESH = Duration.ofSeconds(2);
    static final String PIPELINES = "/console/pipelines";
    private static final JsonMapper JSON = JsonMapper.builder().build();

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
    // Cluster mode: where the rows of pipelines other nodes run come from (null on a single node).
    private final Supplier<@Nullable ConsoleRelay> relay;

    OverviewPage(History history, LiveUpdates live, Supplier<@Nullable ConsoleRelay> relay) {
        this.history = history;
        this.live = live;
        this.relay = relay;
        live.every(Duration.ofSeconds(1), history::sample);
    }

    @Override
    public void register(ConsoleRoutes routes) {
        routes.get("/", this::page);
        routes.get(PIPELINES, this::pipelines);
        routes.events("/console/events/overview", (client, request) -> {
            String sort = client.ctx().queryParam("sort");
            String dir = client.ctx().queryParam("dir");
            String cookie = client.ctx().header("Cookie");
            live.stream(client, REFRESH, c -> c.sendEvent("overview", body(request, sort, dir, cookie)));
        });
    }

    /**
     * The live part of the rows of the databases this node runs, for the overview of another node: {@code {"<database>":
     * {"database": LiveDatabase, "sinks": {"<sink>": LiveSink}}}}.
     */
    private void pipelines(Context ctx, ConsoleRequest request) {
        Map<String, DatabasePipeline.Status> running = running(request.services());
        ObjectNode out = JSON.createObjectNode();
        running.forEach((name, st) -> out.putObject(name)
                .<ObjectNode>set("database", JSON.valueToTree(LiveDatabase.of(st)))
                .putObject("sinks"));
        for (SinkConfig c : request.services().stored().snapshot().config().sinks()) {
            if (out.get(c.database()) instanceof ObjectNode db) {
                ((ObjectNode) db.get("sinks")).set(c.name(), JSON.valueToTree(live(c, running.get(c.database()))));
            }
        }
        ctx.contentType("application/json").result(JSON.writeValueAsString(out));
    }

    private void page(Context ctx, ConsoleRequest request) throws SQLException {
        String sort = ctx.queryParam("sort");
        String dir = ctx.queryParam("dir");
        String cookie = ctx.header("Cookie");
        request.html(
                ctx,
                "overview.jte",
                "body",
                (gg.jte.Content) output -> output.writeUnsafeContent(body(request, sort, dir, cookie)),
                "sort",
                sort == null ? "" : sort,
                "dir",
                dir == null ? "" : dir);
    }

    private String body(ConsoleRequest request, @Nullable String sort, @Nullable String dir, @Nullable String cookie) {
        try {
            ConsoleServices services = request.services();
            Map<String, DatabasePipeline.Status> running = running(services);
            Model m = model(services, running, elsewhere(services.stored().snapshot(), running, cookie));
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

    private static Map<String, DatabasePipeline.Status> running(ConsoleServices s) {
        Map<String, DatabasePipeline.Status> running = new HashMap<>();
        for (DatabasePipeline.Status st : s.pipelines().get()) {
            running.put(st.database(), st);
        }
        return running;
    }

    /**
     * Cluster mode: the live part of the rows of databases that other nodes run, by database, as {@link #pipelines}
     * answers on each (asked with the browser's session cookie); a node that does not answer leaves its rows as this
     * node sees them.
     */
    private Map<String, JsonNode> elsewhere(
            ConfigSnapshot snapshot, Map<String, DatabasePipeline.Status> running, @Nullable String cookie)
            throws SQLException {
        ConsoleRelay r = relay.get();
        if (r == null || cookie == null) {
            return Map.of();
        }
        Map<String, List<String>> byOwner = new HashMap<>();
        for (DatabaseConfig d : snapshot.config().databases()) {
            java.util.UUID id = snapshot.databaseId(d.name());
            String owner = running.containsKey(d.name()) || id == null ? null : r.owner(id);
            if (owner != null) {
                byOwner.computeIfAbsent(owner, k -> new ArrayList<>()).add(d.name());
            }
        }
        Map<String, JsonNode> out = new HashMap<>();
        for (Map.Entry<String, List<String>> e : byOwner.entrySet()) {
            JsonNode theirs = r.json(e.getKey(), PIPELINES, cookie);
            if (theirs != null) {
                for (String db : e.getValue()) {
                    if (theirs.get(db) instanceof ObjectNode row) {
                        out.put(db, row);
                    }
                }
            }
        }
        return out;
    }

    /** What a database's row shows of its running pipeline. */
    record LiveDatabase(@Nullable String state, @Nullable String error, long slotLagBytes) {
        static LiveDatabase of(DatabasePipeline.@Nullable Status st) {
            return st == null
                    ? new LiveDatabase(null, null, -1)
                    : new LiveDatabase(
                            st.state().name().toLowerCase(java.util.Locale.ROOT), st.lastError(), st.slotLagBytes());
        }
    }

    /** What a sink's row shows of its running pipeline. */
    record LiveSink(String health, double perSecond, String sparkline, long pending, double lagSeconds) {}

    private LiveSink live(SinkConfig c, DatabasePipeline.@Nullable Status db) {
        DatabasePipeline.SinkStatus st = ApiViews.liveSink(db, c);
        List<History.SinkPoint> points = history.sink(c.name());
        return new LiveSink(
                ApiViews.sinkHealth(c, st).get("status").asString(),
                points.isEmpty() ? 0 : points.getLast().delivered(),
                Sparkline.path(points.stream()
                        .mapToDouble(History.SinkPoint::delivered)
                        .toArray()),
                st == null ? 0 : st.queued() + st.spilled(),
                st == null ? 0 : st.lag().toMillis() / 1000.0);
    }

    private Model model(
            ConsoleServices s, Map<String, DatabasePipeline.Status> running, Map<String, JsonNode> elsewhere)
            throws SQLException {
        ConfigSnapshot snapshot = s.stored().snapshot();
        List<DatabaseRow> databases = new ArrayList<>();
        for (DatabaseConfig d : snapshot.config().databases()) {
            JsonNode remote = elsewhere.get(d.name());
            LiveDatabase l = running.containsKey(d.name()) || remote == null
                    ? LiveDatabase.of(running.get(d.name()))
                    : JSON.treeToValue(remote.get("database"), LiveDatabase.class);
            databases.add(new DatabaseRow(
                    d.name(),
                    d.hostname() + ":" + d.port() + "/" + d.database(),
                    l.state(),
                    l.error(),
                    l.slotLagBytes(),
                    d.slot().name()));
        }
        MessageTable messages = s.stored().metadata().messages();
        Map<String, java.util.UUID> ids = snapshot.sinkIds();
        List<SinkRow> sinks = new ArrayList<>();
        for (SinkConfig c : snapshot.config().sinks()) {
            JsonNode remote = elsewhere.containsKey(c.database())
                    ? elsewhere.get(c.database()).path("sinks").get(c.name())
                    : null;
            LiveSink l = remote == null ? live(c, running.get(c.database())) : JSON.treeToValue(remote, LiveSink.class);
            java.util.UUID id = ids.get(c.name());
            sinks.add(new SinkRow(
                    c.name(),
                    c.database(),
                    c.destination().type(),
                    c.status().wireName(),
                    l.health(),
                    l.perSecond(),
                    l.sparkline(),
                    l.pending(),
                    id == null ? 0 : messages.count(id, MessageTable.MessageFilter.FAILED),
                    l.lagSeconds()));
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
