package dev.sluice.server.api;

import dev.sluice.core.TableId;
import dev.sluice.postgres.replication.SourceException;
import dev.sluice.server.api.SinkLookup.SinkRef;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.config.TableConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Draft;
import dev.sluice.server.store.Kind;
import dev.sluice.server.store.StoredConfig;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Schema metadata and column selection: {@code GET /api/postgres_databases/{id_or_name}/tables} reads a database's
 * tables live from its catalog; {@code GET /api/sinks/{id_or_name}/tables} the tables a sink streams with the columns
 * it delivers; {@code PUT} of the latter replaces the sink's column selection through the same write path as any
 * sink update (validated as sluice.yaml is, saved, applied to the running pipeline).
 */
final class TablesApi {
    private static final Set<String> PUT_TABLE_KEYS = Set.of("table", "name", "include_columns", "exclude_columns");

    private final StoredConfig stored;
    private final ConfigWriter writer;
    private final Resource sinks;

    TablesApi(StoredConfig stored, ConfigWriter writer, Resource sinks) {
        this.stored = stored;
        this.writer = writer;
        this.sinks = sinks;
    }

    void routes(List<ManagementApi.Route> out) {
        out.add(new ManagementApi.Route("GET", "/api/postgres_databases/{id_or_name}/tables", this::databaseTables));
        out.add(new ManagementApi.Route("GET", "/api/sinks/{id_or_name}/tables", this::sinkTables));
        out.add(new ManagementApi.Route("PUT", "/api/sinks/{id_or_name}/tables", this::putSinkTables));
    }

    private void databaseTables(Context ctx) {
        ConfigSnapshot s = stored.snapshot();
        String idOrName = ctx.pathParam("id_or_name");
        int i = s.indexOf(Kind.DATABASE, idOrName);
        if (i < 0) {
            throw ApiException.notFound("postgres database", Requests.clip(idOrName));
        }
        DatabaseConfig d = s.revealed(Kind.DATABASE, List.of(i)).databases().get(i);
        page(ctx, read(d), TablesApi::render);
    }

    /** Pages tables by schema, then name; the cursor is the last table's name. */
    private static void page(
            Context ctx,
            List<TableCatalog.TableInfo> tables,
            java.util.function.Function<TableCatalog.TableInfo, Object> render) {
        Integer limit = Pages.limit(ctx);
        TableId start = Pages.after(ctx, TablesApi::decodeCursor);
        List<TableCatalog.TableInfo> sorted = new ArrayList<>(tables);
        sorted.sort(ORDER);
        List<Object> data = new ArrayList<>();
        TableId last = null;
        boolean more = false;
        for (TableCatalog.TableInfo t : sorted) {
            if (start != null && compare(t.id(), start) <= 0) {
                continue;
            }
            if (limit != null && data.size() == limit) {
                more = true;
                break;
            }
            data.add(render.apply(t));
            last = t.id();
        }
        Pages.respond(ctx, data, more && last != null ? encodeCursor(last) : null);
    }

    private static final java.util.Comparator<TableCatalog.TableInfo> ORDER = (a, b) -> compare(a.id(), b.id());

    private static int compare(TableId a, TableId b) {
        int c = a.schema().compareTo(b.schema());
        return c != 0 ? c : a.name().compareTo(b.name());
    }

    private static String encodeCursor(TableId t) {
        return java.util.Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString((t.schema() + "\0" + t.name()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static TableId decodeCursor(String text) {
        try {
            String raw =
                    new String(java.util.Base64.getUrlDecoder().decode(text), java.nio.charset.StandardCharsets.UTF_8);
            int sep = raw.indexOf('\0');
            return new TableId(raw.substring(0, sep), raw.substring(sep + 1));
        } catch (RuntimeException e) {
            throw ApiException.invalid("after", "not a cursor from a previous page's next_cursor");
        }
    }

    private void sinkTables(Context ctx) {
        ConfigSnapshot s = stored.snapshot();
        SinkRef sink = SinkLookup.find(s, ctx.pathParam("id_or_name"));
        int db = s.indexOf(Kind.DATABASE, sink.config().database());
        DatabaseConfig d = s.revealed(Kind.DATABASE, List.of(db)).databases().get(db);
        SinkConfig c = sink.config();
        List<TableCatalog.TableInfo> streamed =
                read(d).stream().filter(t -> c.source().matches(t.id())).toList();
        page(ctx, streamed, t -> renderForSink(c, t));
    }

    private static ObjectNode renderForSink(SinkConfig c, TableCatalog.TableInfo t) {
        ObjectNode n = render(t);
        TableConfig selection = c.tables().stream()
                .filter(x -> x.name().equals(t.id()) && x.selectsColumns())
                .findFirst()
                .orElse(null);
        ArrayNode delivered = n.putArray("delivered_columns");
        for (TableCatalog.ColumnInfo col : t.columns()) {
            if (delivers(selection, col)) {
                delivered.add(col.name());
            }
        }
        if (selection != null && selection.includeColumns() != null) {
            selection.includeColumns().forEach(n.putArray("include_columns")::add);
        } else if (selection != null && selection.excludeColumns() != null) {
            selection.excludeColumns().forEach(n.putArray("exclude_columns")::add);
        }
        return n;
    }

    /** As {@link dev.sluice.core.ColumnSelection}: primary-key columns always go. */
    private static boolean delivers(@Nullable TableConfig t, TableCatalog.ColumnInfo col) {
        if (t == null || col.primaryKeyPosition() != null) {
            return true;
        }
        return t.includeColumns() != null
                ? t.includeColumns().contains(col.name())
                : !t.excludeColumns().contains(col.name());
    }

    /**
     * Replaces the column selection: tables in the body get theirs, every other table of the sink loses its own (its
     * group columns stay). The sink's source is not changed.
     */
    private void putSinkTables(Context ctx) throws SQLException {
        ObjectNode body = Requests.object(ctx);
        SinkLookup.find(stored.snapshot(), ctx.pathParam("id_or_name")); // a 404 before any body problem
        List<ObjectNode> given = selections(body);
        synchronized (writer.lock()) {
            ConfigSnapshot s = writer.fresh();
            SinkRef sink = SinkLookup.find(s, ctx.pathParam("id_or_name"));
            Draft draft = s.editable();
            ObjectNode entry = draft.entry(Kind.SINK, sink.index()).deepCopy();
            Map<String, ObjectNode> old = new LinkedHashMap<>();
            if (entry.get("tables") instanceof ArrayNode a) {
                for (JsonNode t : a) {
                    old.put(key(t.get("name").asString()), (ObjectNode) t);
                }
            }
            ArrayNode tables = Requests.JSON.createArrayNode();
            Set<String> seen = new HashSet<>();
            for (ObjectNode g : given) {
                String name = g.get("name").asString();
                ObjectNode t = tables.addObject();
                t.put("name", name);
                ObjectNode before = old.get(key(name));
                if (before != null && before.get("group_column_names") instanceof ArrayNode cols && !cols.isEmpty()) {
                    t.set("group_column_names", cols);
                }
                for (String k : List.of("include_columns", "exclude_columns")) {
                    if (g.get(k) != null && !g.get(k).isNull()) {
                        t.set(k, g.get(k));
                    }
                }
                seen.add(key(name));
            }
            for (var e : old.entrySet()) {
                if (!seen.contains(e.getKey())
                        && e.getValue().get("group_column_names") instanceof ArrayNode cols
                        && !cols.isEmpty()) {
                    tables.addObject()
                            .put("name", e.getValue().get("name").asString())
                            .set("group_column_names", cols);
                }
            }
            entry.set("tables", tables);
            draft.put(Kind.SINK, sink.index(), entry);
            SluiceConfig cfg = ConfigWriter.validate(draft, sinks, sink.index());
            List<String> warnings = new ArrayList<>();
            Map<String, List<String>> problems =
                    ColumnSelectionCheck.problems(cfg.sinks().get(sink.index()), s, warnings);
            if (!problems.isEmpty()) {
                throw ApiException.invalid(problems);
            }
            ConfigSnapshot saved = writer.save(draft);
            SinkConfig after = saved.config()
                    .sinks()
                    .get(saved.indexOf(Kind.SINK, sink.id().toString()));
            ObjectNode out = Requests.JSON.createObjectNode();
            out.set("tables", selectionOf(after));
            ArrayNode w = out.putArray("warnings");
            warnings.forEach(w::add);
            ctx.json(out);
        }
    }

    /** The sink's column selection in the PUT body's shape. */
    static ArrayNode selectionOf(SinkConfig s) {
        ArrayNode a = Requests.JSON.createArrayNode();
        for (TableConfig t : s.tables()) {
            if (t.includeColumns() != null) {
                ObjectNode n = a.addObject().put("table", t.name().toString());
                t.includeColumns().forEach(n.putArray("include_columns")::add);
            } else if (t.excludeColumns() != null) {
                ObjectNode n = a.addObject().put("table", t.name().toString());
                t.excludeColumns().forEach(n.putArray("exclude_columns")::add);
            }
        }
        return a;
    }

    /** The body's tables, each as a yaml-shaped {name, include_columns | exclude_columns}. */
    private static List<ObjectNode> selections(ObjectNode body) {
        JsonNode tables = body.get("tables");
        if (!(tables instanceof ArrayNode a)) {
            throw ApiException.invalid(
                    "tables",
                    "expected a list of {table, include_columns | exclude_columns}, got "
                            + (tables == null ? "nothing" : Requests.kind(tables)));
        }
        List<ObjectNode> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String field = "tables[" + i + "]";
            if (!(a.get(i) instanceof ObjectNode t)) {
                throw ApiException.invalid(field, "expected an object, got " + Requests.kind(a.get(i)));
            }
            for (String k : t.propertyNames()) {
                if (!PUT_TABLE_KEYS.contains(k)) {
                    throw ApiException.invalid(
                            field + "." + k, "unknown key; expected table, include_columns or exclude_columns");
                }
            }
            JsonNode name = t.has("table") ? t.get("table") : t.get("name");
            if (name == null || !name.isString()) {
                throw ApiException.invalid(field + ".table", "required: the table, as schema.table");
            }
            ObjectNode n = Requests.JSON.createObjectNode();
            n.put("name", name.asString());
            for (String k : List.of("include_columns", "exclude_columns")) {
                if (t.get(k) != null && !t.get(k).isNull()) {
                    n.set(k, t.get(k));
                }
            }
            out.add(n);
        }
        return out;
    }

    /** Tables compare by their parsed name; an unparsable one as written (the yaml validation names it). */
    private static String key(String name) {
        try {
            return TableId.parse(name).toString();
        } catch (IllegalArgumentException e) {
            return name;
        }
    }

    private static List<TableCatalog.TableInfo> read(DatabaseConfig d) {
        try {
            return TableCatalog.read(d.sourceSettings());
        } catch (SQLException e) {
            String reason = SourceException.classify(e, d.sourceSettings(), "reading the tables")
                    .getMessage();
            String summary = "cannot read the tables of postgres database '" + d.name() + "': " + reason;
            throw new ApiException(502, summary, Map.of(), Map.of("reason", reason));
        }
    }

    static ObjectNode render(TableCatalog.TableInfo t) {
        ObjectNode n = Requests.JSON.createObjectNode();
        n.put("schema", t.id().schema());
        n.put("name", t.id().name());
        ArrayNode columns = n.putArray("columns");
        for (TableCatalog.ColumnInfo c : t.columns()) {
            ObjectNode col = columns.addObject();
            col.put("name", c.name());
            col.put("type", c.type());
            col.put("nullable", c.nullable());
            col.put("default", c.defaultExpression());
            col.put("primary_key_position", c.primaryKeyPosition());
        }
        n.put("replica_identity", t.replicaIdentity());
        n.put("published", t.published());
        n.put("estimated_rows", t.estimatedRows());
        return n;
    }
}
