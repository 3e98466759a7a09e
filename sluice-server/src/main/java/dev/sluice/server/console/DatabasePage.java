package dev.sluice.server.console;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.api.ApiViews;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A database: its connection and replication checks (each failing one with its fix), slot, publication, tables with
 * their replica identity and whether they are published, and a chart of the WAL its slot retains; and the form that
 * creates or edits one. The checks are the API's read-only ones ({@link ApiViews#databaseReport}), run on each view;
 * the form saves through {@code /api/postgres_databases} and tests through its {@code test_connection}.
 */
final class DatabasePage implements ConsolePage {
    /** What the page shows of the database's configuration and reader. */
    record Summary(
            String name,
            String host,
            String slot,
            String publication,
            @Nullable String state,
            @Nullable String error,
            List<String> sinks) {}

    /** The form's values; {@code name} is null for a new database. */
    record Form(
            @Nullable String name,
            String hostname,
            int port,
            String database,
            String username,
            boolean hasPassword,
            boolean ssl,
            String slot,
            String publication,
            boolean create) {}

    private final History history;

    DatabasePage(History history) {
        this.history = history;
    }

    @Override
    public void register(ConsoleRoutes routes) {
        // "new" first: it would match {name} too.
        routes.get("/databases/new", (ctx, r) -> form(ctx, r, null));
        routes.get("/databases/{name}", this::page);
        routes.get("/databases/{name}/edit", (ctx, r) -> form(ctx, r, ctx.pathParam("name")));
        routes.get("/console/databases/{name}/lag", this::lag);
    }

    private void page(Context ctx, ConsoleRequest request) {
        ConfigSnapshot s = request.services().stored().snapshot();
        int i = s.indexOf(Kind.DATABASE, ctx.pathParam("name"));
        if (i < 0) {
            missing(ctx, request, ctx.pathParam("name"));
            return;
        }
        DatabaseConfig d = s.revealed(Kind.DATABASE, List.of(i)).databases().get(i);
        DatabasePipeline.Status live = null;
        for (DatabasePipeline.Status st : request.services().pipelines().get()) {
            if (st.database().equals(d.name())) {
                live = st;
            }
        }
        List<String> sinks = new ArrayList<>();
        for (SinkConfig c : s.config().sinks()) {
            if (c.database().equals(d.name())) {
                sinks.add(c.name());
            }
        }
        Summary summary = new Summary(
                d.name(),
                d.hostname() + ":" + d.port() + "/" + d.database(),
                d.slot().name(),
                d.publication().name(),
                live == null ? null : live.state().name().toLowerCase(Locale.ROOT),
                live == null ? null : live.lastError(),
                sinks);
        ApiViews.DatabaseReport report = ApiViews.databaseReport(d);
        List<ApiViews.Check> checks = new ArrayList<>();
        checks.add(readerCheck(d, live));
        checks.addAll(report.checks());
        request.html(ctx, "database.jte", "db", summary, "report", report, "checks", checks);
    }

    /** Whether the server reads the database now: the one check the catalog cannot answer. */
    private static ApiViews.Check readerCheck(DatabaseConfig d, DatabasePipeline.@Nullable Status live) {
        if (!d.slot().enabled()) {
            return new ApiViews.Check(
                    "Reader",
                    "warning",
                    "the slot is disabled: Sluice does not read this database",
                    "Enable it: PATCH replication_slots[0].status to active.");
        }
        if (live == null) {
            return new ApiViews.Check("Reader", "warning", "not running (no sink reads this database yet)", null);
        }
        String state = live.state().name().toLowerCase(Locale.ROOT);
        if (live.state() == DatabasePipeline.State.STREAMING) {
            return new ApiViews.Check("Reader", "ok", "streaming", null);
        }
        return new ApiViews.Check(
                "Reader",
                live.lastError() == null ? "warning" : "failed",
                state + (live.lastError() == null ? "" : ": " + live.lastError()),
                null);
    }

    private void form(Context ctx, ConsoleRequest request, @Nullable String name) {
        Form f;
        if (name == null) {
            f = new Form(null, "localhost", 5432, "", "", false, false, "sluice_slot", "sluice_pub", true);
        } else {
            ConfigSnapshot s = request.services().stored().snapshot();
            int i = s.indexOf(Kind.DATABASE, name);
            if (i < 0) {
                missing(ctx, request, name);
                return;
            }
            DatabaseConfig d = s.config().databases().get(i);
            f = new Form(
                    d.name(),
                    d.hostname(),
                    d.port(),
                    d.database(),
                    d.username(),
                    d.password() != null,
                    d.ssl(),
                    d.slot().name(),
                    d.publication().name(),
                    d.slot().createIfNotExists());
        }
        request.html(ctx, "database-form.jte", "form", f);
    }

    /** The chart's series: the slot's lag behind the server's WAL (confirmed flush), each second of the last minutes. */
    private void lag(Context ctx, ConsoleRequest request) {
        List<History.DatabasePoint> points = history.database(ctx.pathParam("name"));
        StringBuilder x = new StringBuilder();
        StringBuilder v = new StringBuilder();
        for (History.DatabasePoint p : points) {
            x.append(x.isEmpty() ? "" : ",").append(p.epochSecond());
            v.append(v.isEmpty() ? "" : ",")
                    .append(
                            p.slotLagBytes() < 0
                                    ? "null"
                                    : String.format(Locale.ROOT, "%.3f", p.slotLagBytes() / 1024.0));
        }
        ctx.contentType("application/json")
                .result("{\"x\":[" + x + "],\"series\":[{\"label\":\"Slot lag (KiB)\",\"values\":[" + v
                        + "]}],\"unit\":\"KiB\"}");
    }

    /** A 404 page naming what is missing, with the way back. */
    static void missing(Context ctx, ConsoleRequest request, String name) {
        ctx.status(404);
        request.html(ctx, "missing.jte", "what", "database", "name", name, "back", "/", "backLabel", "the overview");
    }
}
