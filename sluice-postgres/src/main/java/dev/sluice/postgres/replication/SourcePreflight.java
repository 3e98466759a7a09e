package dev.sluice.postgres.replication;

import dev.sluice.core.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that a source database can be replicated from, creating the publication and slot when the
 * configuration allows it. Every failure says what is wrong and the statement that fixes it.
 */
public final class SourcePreflight {
    private static final Logger log = LoggerFactory.getLogger(SourcePreflight.class);

    /** A published table whose UPDATE and DELETE Postgres cannot replicate as configured. */
    public record KeylessTable(TableId table, char replicaIdentity) {
        public String advice() {
            return "table " + table + " has no primary key and REPLICA IDENTITY "
                    + (replicaIdentity == 'n' ? "NOTHING" : "DEFAULT")
                    + ": Postgres will reject UPDATE and DELETE on it while it is published, and its"
                    + " messages have no group id. Add a primary key, or run ALTER TABLE " + table.quoted()
                    + " REPLICA IDENTITY FULL (old rows are then sent in full).";
        }
    }

    private SourcePreflight() {}

    /**
     * Runs every check on an open, autocommit, non-replication connection.
     *
     * @return published tables without a usable key (a warning, not an error)
     * @throws SourceException when replication cannot work as configured
     */
    public static List<KeylessTable> run(Connection c, SourceSettings s) {
        try {
            checkWalLevel(c, s);
            checkRole(c, s);
            ensurePublication(c, s);
            ensureSlot(c, s);
            return keylessTables(c, s);
        } catch (SQLException e) {
            throw SourceException.classify(e, s, "checking the replication setup");
        }
    }

    private static void checkWalLevel(Connection c, SourceSettings s) throws SQLException {
        String level = single(c, "SHOW wal_level");
        if (!"logical".equals(level)) {
            throw new SourceException(
                    SourceException.Kind.SETUP,
                    "wal_level is '" + level + "' on " + s.describe()
                            + "; logical replication needs wal_level = logical. Run ALTER SYSTEM SET wal_level ="
                            + " logical; (or set it in postgresql.conf, or the parameter group of a managed"
                            + " service) and restart Postgres: the setting takes effect only after a restart.");
        }
    }

    private static void checkRole(Connection c, SourceSettings s) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(
                        "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user")) {
            if (rs.next() && !rs.getBoolean(1)) {
                throw new SourceException(
                        SourceException.Kind.PERMISSION,
                        "user '" + s.user() + "' may not use replication on " + s.describe()
                                + ". Run ALTER ROLE " + TableId.quoteIdent(s.user()) + " WITH REPLICATION; as a"
                                + " superuser (on RDS: GRANT rds_replication TO " + s.user() + ").");
            }
        }
    }

    private static void ensurePublication(Connection c, SourceSettings s) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, s.publicationName());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        String create = "CREATE PUBLICATION " + TableId.quoteIdent(s.publicationName())
                + " FOR ALL TABLES WITH (publish_via_partition_root = true)";
        if (!s.createPublication()) {
            throw new SourceException(
                    SourceException.Kind.SETUP,
                    "publication '" + s.publicationName() + "' does not exist in " + s.describe()
                            + ". Create it with: " + create
                            + "; (or FOR TABLE ... to publish only some tables), or set"
                            + " publication.create_if_not_exists: true and Sluice will create it.");
        }
        try (Statement st = c.createStatement()) {
            st.execute(create);
            log.info("Created publication {} on {}", s.publicationName(), s.describe());
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new SourceException(
                        SourceException.Kind.PERMISSION,
                        "cannot create publication '" + s.publicationName() + "' on " + s.describe()
                                + ": FOR ALL TABLES needs a superuser. Ask an administrator to run: " + create
                                + ";",
                        e);
            }
            throw e;
        }
    }

    private static void ensureSlot(Connection c, SourceSettings s) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT plugin, slot_type, database FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, s.slotName());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    String plugin = rs.getString(1);
                    String type = rs.getString(2);
                    String db = rs.getString(3);
                    if (!"logical".equals(type) || !"pgoutput".equals(plugin)) {
                        throw new SourceException(
                                SourceException.Kind.SETUP,
                                "replication slot '" + s.slotName() + "' on " + s.describe() + " is a " + type
                                        + " slot using '" + plugin + "'; Sluice needs a logical slot using"
                                        + " pgoutput. Choose another slot name, or drop it with SELECT"
                                        + " pg_drop_replication_slot('" + s.slotName() + "');");
                    }
                    if (!s.database().equals(db)) {
                        throw new SourceException(
                                SourceException.Kind.SETUP,
                                "replication slot '" + s.slotName() + "' belongs to database '" + db
                                        + "', not '" + s.database() + "'. Slots are per database: choose"
                                        + " another slot name.");
                    }
                    return;
                }
            }
        }
        String create = "SELECT pg_create_logical_replication_slot('" + s.slotName() + "', 'pgoutput')";
        if (!s.createSlot()) {
            throw new SourceException(
                    SourceException.Kind.SETUP,
                    "replication slot '" + s.slotName() + "' does not exist in " + s.describe()
                            + ". Create it with: " + create
                            + "; or set slot.create_if_not_exists: true and Sluice will create it.");
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
            ps.setString(1, s.slotName());
            ps.execute();
            log.info("Created replication slot {} on {}", s.slotName(), s.describe());
        }
    }

    private static List<KeylessTable> keylessTables(Connection c, SourceSettings s) throws SQLException {
        List<KeylessTable> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT pt.schemaname, pt.tablename, cl.relreplident
                FROM pg_publication_tables pt
                JOIN pg_namespace ns ON ns.nspname = pt.schemaname
                JOIN pg_class cl ON cl.relnamespace = ns.oid AND cl.relname = pt.tablename
                WHERE pt.pubname = ?
                  AND cl.relreplident IN ('d', 'n')
                  AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = cl.oid AND i.indisprimary)
                ORDER BY 1, 2""")) {
            ps.setString(1, s.publicationName());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new KeylessTable(
                            new TableId(rs.getString(1), rs.getString(2)),
                            rs.getString(3).charAt(0)));
                }
            }
        }
        return out;
    }

    /** Server major version, e.g. 17. */
    public static int serverMajor(Connection c) throws SQLException {
        return Integer.parseInt(single(c, "SHOW server_version_num")) / 10000;
    }

    private static String single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
