package dev.sluice.server.console;

import dev.sluice.core.TableId;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.functions.FunctionType;
import dev.sluice.server.api.ApiViews;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.destination.Destinations;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The functions: a list with the sinks that use each, and an editor (Ace, over a plain textarea that works without
 * script) with a test panel. The panel captures the last messages of a chosen table from the running sinks (as they
 * were before their functions), or makes a synthetic one from the table's columns, and runs the unsaved code on them
 * through {@code POST /api/functions/test}; saving goes through {@code /api/functions}.
 */
final class FunctionsPage implements ConsolePage {
    static final int CAPTURE = 10;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A function as the list shows it. */
    record Row(
            String name,
            String type,
            @Nullable String sinkType,
            @Nullable String description,
            List<String> usedBy) {}

    /** The editor's values; {@code name} is null for a new function. */
    record Editor(
            @Nullable String name,
            @Nullable String description,
            String type,
            @Nullable String code,
            @Nullable String path,
            @Nullable String sinkType,
            List<String> usedBy) {}

    /** The tables of one database that the test panel can capture from; {@code error} when they cannot be read. */
    record Source(
            String database, List<String> tables, @Nullable String error) {}

    @Override
    public void register(ConsoleRoutes routes) {
        routes.get("/functions", this::list);
        routes.get("/functions/new", (ctx, r) -> editor(ctx, r, null));
        routes.get("/functions/{name}", (ctx, r) -> editor(ctx, r, ctx.pathParam("name")));
        routes.get("/console/functions/capture", this::capture);
    }

    private void list(Context ctx, ConsoleRequest request) {
        ConfigSnapshot s = request.services().stored().snapshot();
        List<Row> rows = new ArrayList<>();
        for (FunctionSpec f : s.config().functions()) {
            rows.add(new Row(f.name(), f.type().wire(), f.sinkType(), f.description(), usedBy(s, f.name())));
        }
        rows.sort(java.util.Comparator.comparing(Row::name));
        request.html(ctx, "functions.jte", "functions", rows);
    }

    private static List<String> usedBy(ConfigSnapshot s, String function) {
        List<String> out = new ArrayList<>();
        for (SinkConfig c : s.config().sinks()) {
            if (c.functions().uses(function)) {
                out.add(c.name());
            }
        }
        return out;
    }

    private void editor(Context ctx, ConsoleRequest request, @Nullable String name) {
        ConfigSnapshot s = request.services().stored().snapshot();
        Editor e;
        if (name == null) {
            e = new Editor(null, null, "transform", null, null, null, List.of());
        } else {
            int i = s.indexOf(Kind.FUNCTION, name);
            if (i < 0) {
                ctx.status(404);
                request.html(
                        ctx,
                        "missing.jte",
                        "what",
                        "function",
                        "name",
                        name,
                        "back",
                        "/functions",
                        "backLabel",
                        "the functions");
                return;
            }
            FunctionSpec f = s.config().functions().get(i);
            e = new Editor(
                    f.name(), f.description(), f.type().wire(), f.code(), f.path(), f.sinkType(), usedBy(s, f.name()));
        }
        TreeSet<String> sinkTypes = new TreeSet<>();
        for (SinkProvider<?> p : Destinations.installed().all()) {
            if (!p.routingKeys().isEmpty()) {
                sinkTypes.add(FunctionSpec.sinkType(p.type()));
            }
        }
        if (e.sinkType() != null) {
            sinkTypes.add(e.sinkType()); // a sink type no installed provider has stays selectable
        }
        List<String> sinks =
                s.config().sinks().stream().map(SinkConfig::name).sorted().toList();
        request.html(
                ctx,
                "function-editor.jte",
                "fn",
                e,
                "types",
                Arrays.stream(FunctionType.values()).map(FunctionType::wire).toList(),
                "sinkTypes",
                List.copyOf(sinkTypes),
                "sources",
                sources(s),
                "sinks",
                sinks);
    }

    /** Every database's tables, read live; a database that cannot be read says why. */
    private static List<Source> sources(ConfigSnapshot s) {
        List<Source> out = new ArrayList<>();
        for (int i = 0; i < s.config().databases().size(); i++) {
            DatabaseConfig d = s.revealed(Kind.DATABASE, List.of(i)).databases().get(i);
            try {
                List<String> tables = new ArrayList<>();
                for (ObjectNode t : ApiViews.databaseTables(d)) {
                    tables.add(new TableId(
                                    t.get("schema").asString(), t.get("name").asString())
                            .toString());
                }
                out.add(new Source(d.name(), tables, null));
            } catch (SQLException | RuntimeException e) {
                out.add(new Source(d.name(), List.of(), "cannot read its tables: " + e.getMessage()));
            }
        }
        return out;
    }

    /**
     * {@code ?table=<database>/<schema.table>}: up to {@link #CAPTURE} of the last messages of that table that the
     * running sinks of the database sent out, as they were before their functions; with {@code &synthetic=true}, or
     * when there are none, one synthetic insert made from the table's columns.
     */
    private void capture(Context ctx, ConsoleRequest request) throws SQLException {
        String given = ctx.queryParam("table");
        int slash = given == null ? -1 : given.indexOf('/');
        ObjectNode out = JSON.createObjectNode();
        if (slash < 0) {
            ctx.status(400).json(out.put("summary", "choose a table to capture from"));
            return;
        }
        ConfigSnapshot s = request.services().stored().snapshot();
        String database = given.substring(0, slash);
        int i = s.indexOf(Kind.DATABASE, database);
        if (i < 0) {
            ctx.status(404).json(out.put("summary", "no database named '" + database + "'"));
            return;
        }
        TableId table = TableId.parse(given.substring(slash + 1));
        ArrayNode messages = out.putArray("messages");
        if (!"true".equals(ctx.queryParam("synthetic"))) {
            captured(request, s, database, table, messages);
        }
        if (!messages.isEmpty()) {
            out.put("source", "captured");
            out.put(
                    "note",
                    "The last " + messages.size() + " message(s) of " + table + " sent by this database's sinks.");
        } else {
            DatabaseConfig d = s.revealed(Kind.DATABASE, List.of(i)).databases().get(i);
            ObjectNode columns = null;
            for (ObjectNode t : ApiViews.databaseTables(d)) {
                if (new TableId(t.get("schema").asString(), t.get("name").asString()).equals(table)) {
                    columns = t;
                }
            }
            if (columns == null) {
                ctx.status(404).json(out.put("summary", "database '" + database + "' has no table " + table));
                return;
            }
            messages.add(SyntheticMessage.of(d, columns));
            out.put("source", "synthetic");
            out.put(
                    "note",
                    "true".equals(ctx.queryParam("synthetic"))
                            ? "A synthetic insert into " + table + ", made from its columns."
                            : "No live message of " + table + " yet (a running sink keeps the last ones it sent):"
                                    + " a synthetic insert, made from its columns.");
        }
        ctx.json(out);
    }

    private static void captured(
            ConsoleRequest request, ConfigSnapshot s, String database, TableId table, ArrayNode into) {
        UUID databaseId = s.databaseId(database);
        if (databaseId == null) {
            return;
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (SinkConfig c : s.config().sinks()) {
            UUID sinkId = s.sinkIds().get(c.name());
            if (!c.database().equals(database) || sinkId == null) {
                continue;
            }
            List<byte[]> recent = request.services().engine().recentMessages(databaseId, sinkId, 100);
            if (recent == null) {
                continue;
            }
            for (int k = recent.size() - 1; k >= 0 && into.size() < CAPTURE; k--) {
                JsonNode m = JSON.readTree(recent.get(k));
                JsonNode meta = m.path("metadata");
                if (table.schema().equals(meta.path("table_schema").asString(""))
                        && table.name().equals(meta.path("table_name").asString(""))
                        && seen.add(meta.path("idempotency_key").asString("")
                                + meta.path("commit_lsn")
                                + m.path("record"))) {
                    into.add(m);
                }
            }
        }
    }
}
