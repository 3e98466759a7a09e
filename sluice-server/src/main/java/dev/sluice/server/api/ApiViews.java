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

    // ---- The database and functions pages (console-dbfn).

    /**
     * One check, as the console shows it: of a source database, or of a sink and its tables.
     *
     * @param status in the vocabulary of what is checked, as the API answers it: a database check is {@code ok},
     *     {@code warning}, {@code failed} or {@code skipped}; a sink's is its health, {@code healthy}, {@code warning}
     *     or {@code error}
     * @param detail what was found; null when there is nothing to say
     * @param fix the statement or setting that fixes a failing check; null for a passing one
     */
    public record Check(
            String name,
            String status,
            @Nullable String detail,
            @Nullable String fix) {}

    /**
     * The database's replication slot, as {@code pg_replication_slots} has it.
     *
     * @param retainedBytes WAL the slot holds back from the server's current position; -1 when unknown
     * @param walStatus {@code reserved}, {@code extended}, {@code unreserved} or {@code lost}
     */
    public record SlotInfo(
            String name,
            boolean active,
            long retainedBytes,
            @Nullable String confirmedFlushLsn,
            @Nullable String walStatus) {}

    /** The database's publication; {@code operations} as "insert, update, delete, truncate". */
    public record PublicationInfo(String name, boolean allTables, boolean viaRoot, String operations) {}

    /**
     * A table of the database.
     *
     * @param advice what to change when the table is published without a usable key, or null
     */
    public record TableRow(
            String name,
            String replicaIdentity,
            boolean published,
            java.util.List<String> primaryKey,
            @Nullable Long estimatedRows,
            @Nullable String advice) {}

    /**
     * A read-only diagnosis of a database: its checks (each failing one with its fix), slot, publication (null when
     * missing or unknown), tables, and why the tables could not be read (or null).
     */
    public record DatabaseReport(
            java.util.List<Check> checks,
            @Nullable SlotInfo slot,
            @Nullable PublicationInfo publication,
            java.util.List<TableRow> tables,
            @Nullable String tablesError) {}

    /**
     * Checks database {@code d} (with its password) as {@code test_connection} of unsaved settings does, without
     * creating anything, and reads its tables. Blocks on the database; never throws.
     */
    public static DatabaseReport databaseReport(dev.sluice.server.config.DatabaseConfig d) {
        return DatabaseChecks.report(d, true);
    }

    /**
     * The database's tables as {@code GET /api/postgres_databases/{id}/tables} renders them (schema, name, columns
     * with types and primary-key positions, replica identity, published).
     *
     * @throws java.sql.SQLException when the database cannot be read
     */
    public static java.util.List<ObjectNode> databaseTables(dev.sluice.server.config.DatabaseConfig d)
            throws java.sql.SQLException {
        return TableCatalog.read(d.sourceSettings()).stream()
                .map(TablesApi::render)
                .toList();
    }

    // ---- Messages and backfills pages

    /** A stored message as {@code GET /api/sinks/{id}/messages} renders it, its payload under {@code data}. */
    public static ObjectNode message(dev.sluice.server.store.MessageTable.MessageRow row) {
        return SinkMessagesApi.render(row);
    }

    /**
     * The messages listing's {@code table} and {@code error} filters, checked as the API checks them.
     *
     * @throws IllegalArgumentException with the API's message when one is malformed
     */
    public static dev.sluice.server.store.MessageTable.Narrowing messageNarrowing(
            @Nullable String table, @Nullable String error) {
        try {
            return SinkMessagesApi.narrowing(table, error);
        } catch (ApiException e) {
            String field = e.validationErrors.keySet().stream().findFirst().orElse("filter");
            throw new IllegalArgumentException(
                    field + ": "
                            + String.join(
                                    "; ", e.validationErrors.getOrDefault(field, java.util.List.of(e.getMessage()))),
                    e);
        }
    }

    /** A backfill as {@code GET /api/sinks/{id}/backfills/{id}} renders it (state, counts, {@code eta_seconds}). */
    public static ObjectNode backfill(dev.sluice.server.store.BackfillTable.BackfillRow row, String sinkName) {
        return BackfillsApi.render(row, sinkName);
    }

    /**
     * The tables sink {@code sinkName} delivers, as {@code schema.table}, read live from its database's catalog as
     * {@code GET /api/sinks/{id}/tables} reads them.
     *
     * @throws IllegalStateException with the reason when the database cannot be read
     */
    public static java.util.List<String> sinkTables(dev.sluice.server.store.ConfigSnapshot snapshot, String sinkName) {
        SinkLookup.SinkRef sink = SinkLookup.find(snapshot, sinkName);
        int db = snapshot.indexOf(
                dev.sluice.server.store.Kind.DATABASE, sink.config().database());
        if (db < 0) {
            throw new IllegalStateException("database '" + sink.config().database() + "' is not configured");
        }
        dev.sluice.server.config.DatabaseConfig d = snapshot.revealed(
                        dev.sluice.server.store.Kind.DATABASE, java.util.List.of(db))
                .databases()
                .get(db);
        try {
            return TableCatalog.read(d.sourceSettings()).stream()
                    .map(TableCatalog.TableInfo::id)
                    .filter(t -> sink.config().source().matches(t))
                    .map(dev.sluice.core.TableId::toString)
                    .toList();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(
                    dev.sluice.postgres.replication.SourceException.classify(
                                    e, d.sourceSettings(), "reading the tables")
                            .getMessage(),
                    e);
        }
    }

    /**
     * Marks {@code ctx}'s error response (a console page's own 404 page) as written, so the API's fallback for
     * unknown routes does not replace its body.
     */
    public static void errorPageWritten(io.javalin.http.Context ctx) {
        ctx.attribute(ManagementApi.ERROR_RENDERED, true);
    }

    // ---- The sink page's checks and yaml (console-sink)

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
}
