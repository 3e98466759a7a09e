package dev.sluice.server.api;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.postgres.replication.SourceException;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.destination.Destinations;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Draft;
import dev.sluice.server.store.Kind;
import dev.sluice.server.store.StoredConfig;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ObjectNode;

/**
 * The checks that reach a peer: {@code test_connection} of a database or a sink, and a database's {@code
 * refresh_tables}. Each decrypts the credentials of what it checks, and only those.
 */
final class ChecksApi {
    static final Duration SINK_CHECK_TIMEOUT = Duration.ofSeconds(10);

    private static final DatabaseResource DATABASES = new DatabaseResource();

    private final StoredConfig stored;
    private final SinkLookup sinks;

    ChecksApi(StoredConfig stored, SinkLookup sinks) {
        this.stored = stored;
        this.sinks = sinks;
    }

    void databaseRoutes(List<ManagementApi.Route> out) {
        String one = "/api/postgres_databases/{id_or_name}";
        out.add(new ManagementApi.Route("POST", "/api/postgres_databases/test_connection", this::testUnsaved));
        out.add(new ManagementApi.Route("POST", one + "/test_connection", this::testDatabase));
        out.add(new ManagementApi.Route("POST", one + "/refresh_tables", this::refreshTables));
    }

    /** With {@code sinks}, to test a sink from a form before it is saved (a body with the sink or its changes). */
    void sinkRoutes(List<ManagementApi.Route> out, ResourceRoutes sinks) {
        out.add(new ManagementApi.Route(
                "POST",
                "/api/sinks/test_connection",
                ctx -> answer(ctx, destinationProblem(sinks.previewSink(Requests.object(ctx), null)))));
        out.add(new ManagementApi.Route("POST", "/api/sinks/{id_or_name}/test_connection", ctx -> {
            // An unknown sink is a 404 whatever the body; the body is read as every route reads it (size limit).
            this.sinks.find(ctx);
            if (Requests.text(ctx).isBlank()) {
                testSink(ctx);
            } else {
                SinkConfig changed = sinks.previewSink(Requests.object(ctx), ctx.pathParam("id_or_name"));
                answer(ctx, destinationProblem(changed));
            }
        }));
    }

    /** What the sink's destination check finds wrong (reachability, credentials, target), or null. */
    private static @Nullable String destinationProblem(SinkConfig sink) throws InterruptedException {
        return sink.destination().check(SINK_CHECK_TIMEOUT).detail();
    }

    /** A 422 with the reason when the database cannot be used as a source. */
    static void checkConnection(DatabaseConfig d) {
        String reason = ConnectionCheck.check(d, true);
        if (reason != null) {
            throw new ApiException(
                    422, reason, Map.of("connection", List.of(reason)), Map.of("success", false, "reason", reason));
        }
    }

    /** The database the route names, with its password. */
    private DatabaseConfig database(Context ctx) {
        ConfigSnapshot s = stored.snapshot();
        String idOrName = ctx.pathParam("id_or_name");
        int i = s.indexOf(Kind.DATABASE, idOrName);
        if (i < 0) {
            throw ApiException.notFound("postgres database", Requests.clip(idOrName));
        }
        return s.revealed(Kind.DATABASE, List.of(i)).databases().get(i);
    }

    /**
     * Without a body, Sequin's check of the saved database (creating its slot and publication when configured to).
     * With one (the keys of an update), the read-only checks of the database as that update would make it.
     */
    private void testDatabase(Context ctx) {
        ObjectNode body = Requests.optionalObject(ctx);
        if (body.isEmpty()) {
            answer(ctx, ConnectionCheck.check(database(ctx), true));
            return;
        }
        ConfigSnapshot s = stored.snapshot();
        String idOrName = ctx.pathParam("id_or_name");
        int i = s.indexOf(Kind.DATABASE, idOrName);
        if (i < 0) {
            throw ApiException.notFound("postgres database", Requests.clip(idOrName));
        }
        Draft draft = s.editable();
        draft.put(Kind.DATABASE, i, DATABASES.toEntry(body, draft.entry(Kind.DATABASE, i), s));
        report(ctx, ConfigWriter.validate(draft, DATABASES, i).databases().get(i));
    }

    /** The read-only checks of a database not saved yet, given as a create's body; nothing is created. */
    private void testUnsaved(Context ctx) {
        ObjectNode body = Requests.object(ctx);
        ResourceRoutes.checkName(body, true);
        ConfigSnapshot s = stored.snapshot();
        Draft draft = s.editable();
        int i = draft.put(Kind.DATABASE, -1, DATABASES.toEntry(body, null, s));
        report(ctx, ConfigWriter.validate(draft, DATABASES, i).databases().get(i));
    }

    private static void report(Context ctx, DatabaseConfig d) {
        ApiViews.DatabaseReport r = DatabaseChecks.report(d, false);
        String reason = DatabaseChecks.reason(r);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("success", reason == null);
        if (reason != null) {
            out.put("reason", reason);
            out.put("summary", reason);
        }
        List<Map<String, Object>> checks = new ArrayList<>();
        for (ApiViews.Check c : r.checks()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", c.name());
            m.put("status", c.status());
            m.put("detail", c.detail());
            m.put("fix", c.fix());
            checks.add(m);
        }
        out.put("checks", checks);
        ctx.status(reason == null ? 200 : 422).json(out);
    }

    private void refreshTables(Context ctx) {
        DatabaseConfig d = database(ctx);
        try {
            ctx.json(Map.of("success", true, "tables", ConnectionCheck.publishedTables(d)));
        } catch (SQLException e) {
            answer(
                    ctx,
                    SourceException.classify(e, d.sourceSettings(), "reading the tables")
                            .getMessage());
        }
    }

    /** The sink's own check, with its credentials and those of the HTTP endpoints it refers to. */
    private void testSink(Context ctx) throws InterruptedException {
        SinkLookup.SinkRef sink = sinks.find(ctx);
        ConfigSnapshot s = sink.snapshot();
        List<Integer> endpoints = new ArrayList<>();
        for (String name : sink.config().destination().references(Destinations.HTTP_ENDPOINT)) {
            endpoints.add(s.indexOf(Kind.HTTP_ENDPOINT, name));
        }
        SluiceConfig revealed = s.revealed(Map.of(Kind.SINK, List.of(sink.index()), Kind.HTTP_ENDPOINT, endpoints));
        SinkConfig withSecrets = revealed.sinks().get(sink.index());
        CheckResult result = withSecrets.destination().check(SINK_CHECK_TIMEOUT);
        String reason = result.detail();
        if (reason == null) {
            // The column selection against the live tables, when the database can be read.
            Map<String, List<String>> problems = ColumnSelectionCheck.problems(sink.config(), s, new ArrayList<>());
            if (!problems.isEmpty()) {
                reason = ApiException.invalid(problems).getMessage();
            }
        }
        answer(ctx, reason);
    }

    private static void answer(Context ctx, @Nullable String reason) {
        if (reason != null) {
            ctx.status(422).json(Map.of("success", false, "reason", reason, "summary", reason));
        } else {
            ctx.json(Map.of("success", true));
        }
    }
}
