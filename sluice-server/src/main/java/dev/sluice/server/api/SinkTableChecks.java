package dev.sluice.server.api;

import dev.sluice.core.TableId;
import dev.sluice.postgres.replication.SourceException;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The source tables a sink streams, checked in the database's catalog ({@link TableCatalog}, as {@code GET
 * /api/sinks/{id_or_name}/tables} reads them): each must be in the publication, and a table without a primary key
 * needs {@code REPLICA IDENTITY FULL} (or an index) for its updates and deletes to be replicated, as {@link
 * dev.sluice.postgres.replication.SourcePreflight.KeylessTable} says. Each failing check carries the SQL that fixes
 * it.
 */
final class SinkTableChecks {
    private SinkTableChecks() {}

    static List<ApiViews.Check> of(ConfigSnapshot s, SinkConfig sink) {
        int db = s.indexOf(Kind.DATABASE, sink.database());
        if (db < 0) {
            return List.of(new ApiViews.Check(
                    "Source tables",
                    "error",
                    "database '" + sink.database() + "' is not configured",
                    "Add the database, or point the sink at another one."));
        }
        DatabaseConfig d = s.revealed(Kind.DATABASE, List.of(db)).databases().get(db);
        List<TableCatalog.TableInfo> tables;
        try {
            tables = TableCatalog.read(d.sourceSettings());
        } catch (SQLException e) {
            String reason = SourceException.classify(e, d.sourceSettings(), "reading the tables")
                    .getMessage();
            return List.of(
                    new ApiViews.Check("Source tables", "error", reason, "Fix the connection on the database's page."));
        }
        String publication = TableId.quoteIdent(d.sourceSettings().publicationName());
        List<ApiViews.Check> out = new ArrayList<>();
        int streamed = 0;
        for (TableCatalog.TableInfo t : tables) {
            if (!sink.source().matches(t.id())) {
                continue;
            }
            streamed++;
            if (!t.published()) {
                out.add(new ApiViews.Check(
                        "Table " + t.id() + " published",
                        "error",
                        "publication " + d.sourceSettings().publicationName() + " does not have table " + t.id()
                                + ": its changes never reach the sink",
                        "ALTER PUBLICATION " + publication + " ADD TABLE " + t.id().quoted() + ";"));
            }
            boolean keyless = t.primaryKey().isEmpty()
                    && (t.replicaIdentity().equals("default")
                            || t.replicaIdentity().equals("nothing"));
            if (keyless) {
                out.add(new ApiViews.Check(
                        "Table " + t.id() + " replica identity",
                        "warning",
                        "table " + t.id() + " has no primary key and REPLICA IDENTITY "
                                + t.replicaIdentity().toUpperCase(java.util.Locale.ROOT)
                                + ": Postgres rejects its UPDATE and DELETE while it is published, and its messages"
                                + " have no group id",
                        "ALTER TABLE " + t.id().quoted() + " REPLICA IDENTITY FULL;"));
            }
        }
        if (out.isEmpty()) {
            out.add(new ApiViews.Check(
                    "Source tables",
                    streamed == 0 ? "warning" : "healthy",
                    streamed == 0
                            ? "no table of the database matches the sink's source"
                            : streamed + (streamed == 1 ? " table, published" : " tables, all published")
                                    + " with a key or a replica identity",
                    streamed == 0 ? "Check the sink's source (include_tables, include_schemas)." : null));
        }
        return out;
    }
}
