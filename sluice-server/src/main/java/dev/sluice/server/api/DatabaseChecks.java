package dev.sluice.server.api;

import dev.sluice.core.TableId;
import dev.sluice.postgres.replication.SourceException;
import dev.sluice.postgres.replication.SourcePreflight;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.server.api.ApiViews.Check;
import dev.sluice.server.api.ApiViews.DatabaseReport;
import dev.sluice.server.api.ApiViews.PublicationInfo;
import dev.sluice.server.api.ApiViews.SlotInfo;
import dev.sluice.server.api.ApiViews.TableRow;
import dev.sluice.server.config.DatabaseConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A read-only diagnosis of a source database, one check per requirement of logical replication (connection, primary
 * of a replica, wal_level, the REPLICATION attribute, publication, slot, replica identity), each failing one with the
 * statement or setting that fixes it. Unlike {@link ConnectionCheck} it creates nothing and does not stop at the
 * first failure: the console shows it, and {@code test_connection} of unsaved settings answers with it (a slot
 * created for settings never saved would hold WAL forever).
 */
final class DatabaseChecks {
    static final String OK = "ok";
    static final String FAILED = "failed";
    static final String WARNING = "warning";
    static final String SKIPPED = "skipped";

    private static final String SLOT = "SELECT active, pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery()"
            + " THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, restart_lsn)::bigint,"
            + " confirmed_flush_lsn::text, wal_status, plugin, slot_type, database"
            + " FROM pg_replication_slots WHERE slot_name = ?";
    private static final String PUBLICATION = "SELECT puballtables, pubviaroot, pubinsert, pubupdate, pubdelete,"
            + " pubtruncate FROM pg_publication WHERE pubname = ?";

    private DatabaseChecks() {}

    /** Every check, the slot, the publication and (when {@code withTables}) the tables; never throws. */
    static DatabaseReport report(DatabaseConfig d, boolean withTables) {
        SourceSettings s = d.sourceSettings();
        List<Check> checks = new ArrayList<>();
        Connection c;
        try {
            c = DriverManager.getConnection(s.jdbcUrl(), s.properties(false));
        } catch (SQLException e) {
            checks.add(new Check(
                    "Connection",
                    FAILED,
                    SourceException.classify(e, s, "connecting").getMessage(),
                    "Check the hostname, port, database, username, password and SSL setting."));
            for (String later : List.of("wal_level", "Replication privilege", "Publication", "Replication slot")) {
                checks.add(new Check(later, SKIPPED, "not checked: no connection", null));
            }
            return new DatabaseReport(checks, null, null, List.of(), null);
        } catch (RuntimeException e) {
            checks.add(
                    new Check("Connection", FAILED, "cannot connect to " + s.describe() + ": " + e.getMessage(), null));
            return new DatabaseReport(checks, null, null, List.of(), null);
        }
        SlotInfo slot = null;
        PublicationInfo publication = null;
        try (c) {
            c.setReadOnly(true);
            checks.add(new Check("Connection", OK, "connected to " + s.describe(), null));
            standby(c, s, checks);
            String level = single(c, "SHOW wal_level");
            checks.add(
                    "logical".equals(level)
                            ? new Check("wal_level", OK, "wal_level = logical", null)
                            : new Check(
                                    "wal_level",
                                    FAILED,
                                    "wal_level is '" + level + "'; logical replication needs logical",
                                    "ALTER SYSTEM SET wal_level = logical; then restart Postgres (on a managed"
                                            + " service, set it in the parameter group)."));
            boolean replication =
                    flag(c, "SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user");
            checks.add(
                    replication
                            ? new Check("Replication privilege", OK, "user '" + s.user() + "' may replicate", null)
                            : new Check(
                                    "Replication privilege",
                                    FAILED,
                                    "user '" + s.user() + "' lacks the REPLICATION attribute",
                                    "ALTER ROLE " + TableId.quoteIdent(s.user()) + " WITH REPLICATION; (as a"
                                            + " superuser; on RDS: GRANT rds_replication TO "
                                            + TableId.quoteIdent(s.user()) + ";)"));
            publication = publication(c, s, checks);
            slot = slot(c, s, checks);
        } catch (SQLException e) {
            checks.add(new Check(
                    "Catalog",
                    FAILED,
                    SourceException.classify(e, s, "reading the catalog").getMessage(),
                    null));
        }
        List<TableRow> tables = List.of();
        String tablesError = null;
        if (withTables) {
            try {
                tables = tables(s);
                List<String> keyless = tables.stream()
                        .filter(t -> t.advice() != null)
                        .map(TableRow::name)
                        .toList();
                checks.add(
                        keyless.isEmpty()
                                ? new Check("Replica identity", OK, "every published table has a key", null)
                                : new Check(
                                        "Replica identity",
                                        WARNING,
                                        "published tables without a key: " + String.join(", ", keyless),
                                        "Add a primary key, or ALTER TABLE ... REPLICA IDENTITY FULL (see the"
                                                + " tables below)."));
            } catch (SQLException e) {
                tablesError =
                        SourceException.classify(e, s, "reading the tables").getMessage();
            }
        }
        return new DatabaseReport(checks, slot, publication, tables, tablesError);
    }

    /** The overall answer of {@code test_connection}: null when nothing failed, else the first failure and its fix. */
    static @Nullable String reason(DatabaseReport r) {
        for (Check c : r.checks()) {
            if (c.status().equals(FAILED)) {
                return c.name() + ": " + c.detail() + (c.fix() == null ? "" : ". Fix: " + c.fix());
            }
        }
        return null;
    }

    private static void standby(Connection c, SourceSettings s, List<Check> checks) throws SQLException {
        boolean recovering = flag(c, "SELECT pg_is_in_recovery()");
        if (s.primary() != null) {
            try {
                SourcePreflight.checkReplicaSetup(c, s);
                checks.add(
                        new Check("Primary", OK, "a standby of " + s.primary().describe(), null));
            } catch (SourceException e) {
                checks.add(new Check("Primary", FAILED, e.getMessage(), null));
            }
        } else if (recovering) {
            checks.add(new Check(
                    "Primary",
                    FAILED,
                    s.describe() + " is a standby (a read replica)",
                    "Add a 'primary' block with the primary's hostname (and port, database, username, password"
                            + " when they differ)."));
        }
    }

    private static @Nullable PublicationInfo publication(Connection c, SourceSettings s, List<Check> checks)
            throws SQLException {
        String create = "CREATE PUBLICATION " + TableId.quoteIdent(s.publicationName())
                + " FOR ALL TABLES WITH (publish_via_partition_root = true);";
        try (PreparedStatement ps = c.prepareStatement(PUBLICATION)) {
            ps.setString(1, s.publicationName());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    checks.add(
                            s.createPublication()
                                    ? new Check(
                                            "Publication",
                                            WARNING,
                                            "publication '" + s.publicationName() + "' does not exist yet; Sluice"
                                                    + " creates it (create_if_not_exists)",
                                            null)
                                    : new Check(
                                            "Publication",
                                            FAILED,
                                            "publication '" + s.publicationName() + "' does not exist",
                                            create + " (or FOR TABLE ... for some tables), or set"
                                                    + " create_if_not_exists."));
                    return null;
                }
                List<String> ops = new ArrayList<>();
                String[] names = {"insert", "update", "delete", "truncate"};
                for (int i = 0; i < names.length; i++) {
                    if (rs.getBoolean(3 + i)) {
                        ops.add(names[i]);
                    }
                }
                checks.add(new Check("Publication", OK, "publication '" + s.publicationName() + "' exists", null));
                return new PublicationInfo(
                        s.publicationName(), rs.getBoolean(1), rs.getBoolean(2), String.join(", ", ops));
            }
        }
    }

    private static @Nullable SlotInfo slot(Connection c, SourceSettings s, List<Check> checks) throws SQLException {
        String name = s.slotName();
        try (PreparedStatement ps = c.prepareStatement(SLOT)) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    String create = "SELECT pg_create_logical_replication_slot('" + name + "', 'pgoutput');";
                    checks.add(
                            s.createSlot()
                                    ? new Check(
                                            "Replication slot",
                                            WARNING,
                                            "slot '" + name + "' does not exist yet; Sluice creates it"
                                                    + " (create_if_not_exists)",
                                            null)
                                    : new Check(
                                            "Replication slot",
                                            FAILED,
                                            "slot '" + name + "' does not exist",
                                            create + " or set create_if_not_exists."));
                    return null;
                }
                long retained = rs.getLong(2);
                SlotInfo info = new SlotInfo(
                        name, rs.getBoolean(1), rs.wasNull() ? -1 : retained, rs.getString(3), rs.getString(4));
                String plugin = rs.getString(5);
                String type = rs.getString(6);
                String db = rs.getString(7);
                String drop = "SELECT pg_drop_replication_slot('" + name + "');";
                if (!"logical".equals(type) || !"pgoutput".equals(plugin)) {
                    checks.add(new Check(
                            "Replication slot",
                            FAILED,
                            "slot '" + name + "' is a " + type + " slot using '" + plugin
                                    + "'; Sluice needs a logical slot using pgoutput",
                            "Choose another slot name, or " + drop));
                } else if (!s.database().equals(db)) {
                    checks.add(new Check(
                            "Replication slot",
                            FAILED,
                            "slot '" + name + "' belongs to database '" + db + "'",
                            "Choose another slot name: slots are per database."));
                } else if ("lost".equals(info.walStatus())) {
                    checks.add(new Check(
                            "Replication slot",
                            FAILED,
                            "slot '" + name + "' was invalidated: the WAL it needed was removed",
                            drop + " then let Sluice create it again and backfill the tables."));
                } else {
                    checks.add(new Check(
                            "Replication slot",
                            OK,
                            "slot '" + name + "' is a logical pgoutput slot"
                                    + (info.active() ? ", in use" : ", not in use"),
                            null));
                }
                return info;
            }
        }
    }

    private static List<TableRow> tables(SourceSettings s) throws SQLException {
        List<TableRow> out = new ArrayList<>();
        for (TableCatalog.TableInfo t : TableCatalog.read(s)) {
            List<String> key = t.primaryKey();
            String identity = t.replicaIdentity();
            String advice = t.published() && key.isEmpty() && (identity.equals("default") || identity.equals("nothing"))
                    ? new SourcePreflight.KeylessTable(t.id(), identity.charAt(0)).advice()
                    : null;
            out.add(new TableRow(t.id().toString(), identity, t.published(), key, t.estimatedRows(), advice));
        }
        return out;
    }

    private static boolean flag(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            return rs.next() && rs.getBoolean(1);
        }
    }

    private static String single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
