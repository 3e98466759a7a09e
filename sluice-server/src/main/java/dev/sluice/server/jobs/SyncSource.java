package dev.sluice.server.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The source side of {@code sync}: its publication, its slot, and the sequences to keep up with. */
final class SyncSource {
    private static final Duration SLOT_RELEASE = Duration.ofSeconds(30);

    private SyncSource() {}

    /**
     * (Re)creates publication {@code name} for the tables the filter selects in {@code db} (schema-only ones left
     * out), their {@code table_filters} as row filters. Returns why it cannot, or null.
     */
    static @Nullable String publish(Connection c, String name, JobSpec.Filter filter, String db) throws SQLException {
        int version = c.getMetaData().getDatabaseMajorVersion();
        List<TableName> schemaOnly =
                filter.schemaOnlyTables().stream().map(TableName::parse).toList();
        List<SourceTable> tables = SourceTable.list(c, db).stream()
                .filter(t -> filter.selects(t) && schemaOnly.stream().noneMatch(t::is))
                .toList();
        if (tables.isEmpty()) {
            return "the filters leave no table of " + db + " to sync";
        }
        List<String> entries = new ArrayList<>();
        List<SourceTable> filtered = new ArrayList<>();
        for (SourceTable t : tables) {
            String predicate = predicate(filter, t);
            if (predicate != null && version < 15) {
                return "table_filters become publication row filters, which need Postgres 15 or later on the source;"
                        + " this source is Postgres " + version + ". Sync without table_filters, or upgrade";
            }
            if (predicate != null) {
                filtered.add(t);
            }
            entries.add(t.qualified() + (predicate == null ? "" : " WHERE (" + predicate + ")"));
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("DROP PUBLICATION IF EXISTS " + SourceTable.quote(name));
            s.execute("CREATE PUBLICATION " + SourceTable.quote(name) + " FOR TABLE " + String.join(", ", entries)
                    + (version >= 13 ? " WITH (publish_via_partition_root = true)" : ""));
            // Postgres refuses UPDATE and DELETE on a table whose row filter uses columns outside its replica
            // identity: find out now, on statements that touch no row, instead of breaking the source's writes.
            for (SourceTable t : filtered) {
                String column = SourceTable.quote(firstColumn(c, t));
                try {
                    s.execute("UPDATE " + t.qualified() + " SET " + column + " = " + column + " WHERE false");
                    s.execute("DELETE FROM " + t.qualified() + " WHERE false");
                } catch (SQLException e) {
                    c.rollback();
                    return "the table_filters predicate of " + t.label() + " (" + predicate(filter, t) + ") uses"
                            + " columns outside the table's replica identity, and Postgres would then refuse UPDATE"
                            + " and DELETE on it (" + e.getMessage() + "). Use only primary-key columns in it, or"
                            + " ALTER TABLE " + t.qualified() + " REPLICA IDENTITY FULL";
                }
            }
            c.commit();
            return null;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    private static @Nullable String predicate(JobSpec.Filter filter, SourceTable t) {
        return filter.tableFilters().entrySet().stream()
                .filter(e -> t.is(TableName.parse(e.getKey())))
                .map(java.util.Map.Entry::getValue)
                .findFirst()
                .orElse(null);
    }

    private static String firstColumn(Connection c, SourceTable t) throws SQLException {
        if (t.hasPrimaryKey()) {
            return t.key().getFirst();
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass"
                + " AND attnum > 0 AND NOT attisdropped ORDER BY attnum LIMIT 1")) {
            ps.setString(1, t.qualified());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /**
     * Drops slot {@code name} when it exists, waiting for a reader that just stopped to let go of it (and ending one
     * that does not within {@link #SLOT_RELEASE}).
     */
    static void dropSlot(Connection c, String name) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + SLOT_RELEASE.toNanos();
        while (true) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT pg_drop_replication_slot(slot_name)" + " FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, name);
                ps.execute();
                return;
            } catch (SQLException e) {
                if (!"55006".equals(e.getSQLState())) { // object_in_use: still read
                    throw e;
                }
                if (System.nanoTime() > deadline) {
                    try (PreparedStatement ps = c.prepareStatement("SELECT pg_terminate_backend(active_pid)"
                            + " FROM pg_replication_slots WHERE slot_name = ? AND active_pid IS NOT NULL")) {
                        ps.setString(1, name);
                        ps.execute();
                    }
                }
                Thread.sleep(200);
            }
        }
    }

    /** The sequences init carried over for {@code db}, to keep the target's up with them while syncing. */
    static List<SchemaPlan.Sequence> sequences(Connection c, String db, JobSpec.Filter filter) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            return SchemaReader.read(c, db, filter).sequences();
        } finally {
            c.rollback();
            c.setAutoCommit(auto);
        }
    }
}
