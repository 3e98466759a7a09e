package dev.sluice.server.api;

import dev.sluice.core.TableId;
import dev.sluice.postgres.backfill.UnreadableTableException;
import dev.sluice.server.api.SinkLookup.SinkRef;
import dev.sluice.server.config.InitialBackfill;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.store.BackfillState;
import dev.sluice.server.store.BackfillTable;
import dev.sluice.server.store.BackfillTable.BackfillRow;
import dev.sluice.server.store.StoredConfig;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /api/sinks/{id_or_name}/backfills}: Sequin's backfill resource, plus {@code sort_column} and
 * {@code start_position} for a partial backfill, {@code failed_at}, {@code error} and {@code eta_seconds}. Rows are
 * kept in the {@code backfills} table; the engine runs the active ones (see docs/backfills.md).
 */
final class BackfillsApi {
    private static final Logger log = LoggerFactory.getLogger(BackfillsApi.class);
    private static final List<String> CREATE_FIELDS = List.of("table", "sort_column", "start_position", "state");
    private final StoredConfig stored;
    private final SinkLookup sinks;
    private final Engine engine;
    // Serializes changes of backfills (reads are not): state checks and engine calls go together.
    private final Object lock = new Object();

    BackfillsApi(StoredConfig stored, SinkLookup sinks, Engine engine) {
        this.stored = stored;
        this.sinks = sinks;
        this.engine = engine;
    }

    void routes(List<ManagementApi.Route> out) {
        String base = "/api/sinks/{id_or_name}/backfills";
        ManagementApi.collection(
                out, base, base + "/{backfill_id}", this::list, this::create, this::get, this::update, this::delete);
    }

    private BackfillTable table() {
        return stored.metadata().backfills();
    }

    private BackfillRow backfill(SinkRef sink, String idText) throws SQLException {
        UUID id;
        try {
            id = UUID.fromString(idText);
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound("backfill", Requests.clip(idText));
        }
        BackfillRow row = table().get(id);
        if (row == null || !row.sinkId().equals(sink.id())) {
            throw ApiException.notFound("backfill", Requests.clip(idText));
        }
        return row;
    }

    private void list(Context ctx) throws SQLException {
        SinkRef sink = sinks.find(ctx);
        List<BackfillRow> rows = table().ofSink(sink.id());
        Pages.inMemory(ctx, rows, r -> new Pages.Cursor(r.insertedAt(), r.id()), r -> render(r, sink.name()));
    }

    private void get(Context ctx) throws SQLException {
        SinkRef sink = sinks.find(ctx);
        ctx.json(render(
                backfill(sink, ctx.pathParam("backfill_id")), sink.config().name()));
    }

    private void create(Context ctx) throws SQLException {
        SinkRef sink = sinks.find(ctx);
        ObjectNode body = Requests.optionalObject(ctx);
        for (String f : body.propertyNames()) {
            if (!CREATE_FIELDS.contains(f)) {
                throw ApiException.invalid(f, "unknown field; accepted: " + String.join(", ", CREATE_FIELDS));
            }
        }
        String state = string(body, "state");
        if (state != null && !state.equals(BackfillState.ACTIVE.wireName())) {
            throw ApiException.invalid("state", "a backfill is created active; got '" + Requests.clip(state) + "'");
        }
        String tableText = string(body, "table");
        TableId table = null;
        if (tableText != null) {
            try {
                table = TableId.parse(tableText);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(
                        "table", "invalid table name (" + e.getMessage() + "); write schema.table or table");
            }
        }
        InitialBackfill request =
                new InitialBackfill(table, string(body, "sort_column"), string(body, "start_position"));
        synchronized (lock) {
            UUID id = create(sink, request);
            ctx.status(201).json(render(table().get(id), sink.name()));
        }
    }

    /** A checked request: the table and order to read. */
    record Checked(
            TableId table,
            @Nullable String sortColumn,
            @Nullable String startPosition) {}

    /**
     * Checks and creates a backfill of {@code sink} and starts it when the sink runs.
     *
     * @throws ApiException when the request cannot be met (422 bad table or column, 409 one already unfinished,
     *     503 database unreachable)
     */
    UUID create(SinkRef sink, InitialBackfill request) throws SQLException {
        return insert(sink, check(sink.config(), sink.databaseId(), request));
    }

    /** Checks a request against the sink's tables and the database (see {@link #create}). */
    Checked check(SinkConfig sink, @Nullable UUID databaseId, InitialBackfill request) {
        TableId table = table(sink, request.table());
        String sortColumn = request.sortColumn();
        if (request.startPosition() != null && sortColumn == null) {
            throw ApiException.invalid(
                    "start_position", "needs sort_column: rows are selected by the sort column's value");
        }
        try {
            if (databaseId == null) {
                throw new IllegalStateException();
            }
            engine.checkBackfill(databaseId, table, sortColumn);
        } catch (UnreadableTableException e) {
            String field = e.reason() == UnreadableTableException.Reason.NO_SORT_COLUMN ? "sort_column" : "table";
            throw ApiException.invalid(field, e.getMessage());
        } catch (IllegalStateException e) {
            throw ApiException.conflict("database '" + sink.database() + "' is not running here");
        } catch (SQLException e) {
            throw new ApiException(
                    503,
                    "cannot reach database '" + sink.database() + "' to check table " + table + ": " + e.getMessage()
                            + "; try again when it is reachable");
        }
        return new Checked(table, sortColumn, request.startPosition());
    }

    /** Stores a checked backfill as active and starts it when the sink runs; 409 when one is unfinished. */
    UUID insert(SinkRef sink, Checked c) throws SQLException {
        synchronized (lock) {
            UUID id = UUID.randomUUID();
            if (!table().insert(
                            id, sink.id(), c.table().schema(), c.table().name(), c.sortColumn(), c.startPosition())) {
                throw ApiException.conflict("sink '" + sink.name()
                        + "' already has an active or paused backfill of table " + c.table()
                        + "; cancel or delete it first");
            }
            engine.startBackfill(sink.databaseId(), id);
            log.info("sink {}: backfill {} of {} created", sink.name(), id, c.table());
            return id;
        }
    }

    /** The table to backfill: the one given (which the sink must deliver), or the sink's only table. */
    private static TableId table(SinkConfig sink, @Nullable TableId given) {
        List<TableId> included = sink.source().includeTables();
        if (given == null) {
            if (sink.source().includeSchemas() == null && included != null && included.size() == 1) {
                return included.getFirst();
            }
            throw ApiException.invalid(
                    "table", "required: sink '" + sink.name() + "' delivers several tables; name one as schema.table");
        }
        if (!sink.source().matches(given)) {
            throw ApiException.invalid(
                    "table", "sink '" + sink.name() + "' does not deliver table " + given + " (see its source)");
        }
        return given;
    }

    private void update(Context ctx) throws SQLException {
        SinkRef sink = sinks.find(ctx);
        ObjectNode body = Requests.object(ctx);
        String toName = null;
        for (String f : body.propertyNames()) {
            if (f.equals("state")) {
                toName = string(body, "state");
            } else if (!READ_ONLY.contains(f)) {
                throw ApiException.invalid(f, "unknown field; only state can be changed");
            }
        }
        if (toName == null) {
            throw ApiException.invalid("state", "required: active, paused or cancelled");
        }
        synchronized (lock) {
            BackfillRow row = backfill(sink, ctx.pathParam("backfill_id"));
            BackfillState from = row.state();
            BackfillState to = BackfillState.of(toName).orElse(null);
            if (to != from) {
                Set<BackfillState> allowed = from.userMoves();
                if (to == null || !allowed.contains(to)) {
                    throw ApiException.invalid(
                            "state",
                            "a " + from.wireName() + " backfill cannot become '" + Requests.clip(toName) + "'"
                                    + (allowed.isEmpty()
                                            ? "; it is finished (create a new one)"
                                            : "; allowed: " + String.join(", ", BackfillState.wireNames(allowed))));
                }
                if (!table().transition(row.id(), List.of(from), to)) {
                    BackfillRow now = table().get(row.id());
                    throw ApiException.conflict("backfill " + row.id() + " became "
                            + (now == null ? "deleted" : now.state().wireName()) + " meanwhile; try again");
                }
                if (to == BackfillState.ACTIVE) {
                    engine.startBackfill(sink.databaseId(), row.id());
                } else {
                    engine.stopBackfill(sink.databaseId(), row.id());
                }
                log.info("sink {}: backfill {} {} -> {}", sink.name(), row.id(), from.wireName(), to.wireName());
            }
            ctx.json(render(table().get(row.id()), sink.name()));
        }
    }

    private static final Set<String> READ_ONLY = Set.of(
            "id",
            "table",
            "sink_consumer",
            "inserted_at",
            "updated_at",
            "canceled_at",
            "completed_at",
            "failed_at",
            "error",
            "rows_ingested_count",
            "rows_initial_count",
            "rows_processed_count",
            "sort_column",
            "start_position",
            "eta_seconds");

    private void delete(Context ctx) throws SQLException {
        SinkRef sink = sinks.find(ctx);
        synchronized (lock) {
            BackfillRow row = backfill(sink, ctx.pathParam("backfill_id"));
            if (row.state() == BackfillState.ACTIVE) {
                table().transition(row.id(), List.of(BackfillState.ACTIVE), BackfillState.CANCELLED);
            }
            engine.stopBackfill(sink.databaseId(), row.id());
            table().delete(row.id());
            ctx.json(Map.of("id", row.id().toString(), "deleted", true));
        }
    }

    private static @Nullable String string(ObjectNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isString()) {
            throw ApiException.invalid(field, "expected a string, got " + Requests.kind(n));
        }
        return n.asString();
    }

    static ObjectNode render(@Nullable BackfillRow r, String sinkName) {
        if (r == null) {
            throw ApiException.notFound("backfill", "(deleted meanwhile)");
        }
        ObjectNode n = Requests.JSON.createObjectNode();
        n.put("id", r.id().toString());
        n.put("state", r.state().wireName());
        n.put("table", r.tableSchema() + "." + r.tableName());
        n.put("sink_consumer", sinkName);
        n.put("inserted_at", r.insertedAt().toString());
        n.put("updated_at", r.updatedAt().toString());
        n.put("canceled_at", text(r.canceledAt()));
        n.put("completed_at", text(r.completedAt()));
        n.put("failed_at", text(r.failedAt()));
        n.put("error", r.error());
        n.put("rows_ingested_count", r.rowsIngestedCount());
        n.put("rows_initial_count", r.rowsInitialCount());
        n.put("rows_processed_count", r.rowsProcessedCount());
        n.put("sort_column", r.sortColumn());
        n.put("start_position", r.startPosition());
        n.put("eta_seconds", r.etaSeconds());
        return n;
    }

    private static @Nullable String text(@Nullable Instant i) {
        return i == null ? null : i.toString();
    }
}
