package dev.sluice.postgres.replication;

import dev.sluice.core.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that a source database can be replicated from, creating the publication and slot when the
 * configuration allows it. Every failure says what is wrong and the statement that fixes it.
 */
public final class SourcePreflight {
    private static final Logger log = LoggerFactory.getLogger(SourcePreflight.class);
    private static final java.time.Duration REPLAY_WAIT = java.time.Duration.ofSeconds(30);

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
            if (flag(c, "SELECT pg_is_in_recovery()")) {
                checkStandby(c, s);
                SourceSettings ps = java.util.Objects.requireNonNull(s.primary());
                try (Connection primary = connectPrimary(ps)) {
                    checkPrimary(primary, s);
                    ensurePublication(c, s, primary);
                    ensureSlot(c, s, primary);
                }
            } else {
                if (s.primary() != null) {
                    log.warn(
                            "{} is not a standby, so its 'primary' setting ({}) is not used; was the replica"
                                    + " promoted? Remove 'primary' to silence this warning.",
                            s.describe(),
                            s.primary().describe());
                }
                ensurePublication(c, s, null);
                ensureSlot(c, s, null);
            }
            return keylessTables(c, s);
        } catch (SQLException e) {
            throw SourceException.classify(e, s, "checking the replication setup");
        }
    }

    /**
     * Checks the {@code primary} of a source on {@code c}: that the source is a standby, and that the primary is
     * reachable with its credentials, accepts writes and has wal_level = logical.
     *
     * @throws SourceException with the reason when not
     */
    public static void checkReplicaSetup(Connection c, SourceSettings s) {
        SourceSettings p = java.util.Objects.requireNonNull(s.primary(), "primary");
        try {
            if (!flag(c, "SELECT pg_is_in_recovery()")) {
                throw new SourceException(
                        SourceException.Kind.SETUP,
                        "'primary' is set, but " + s.describe() + " is not a standby (pg_is_in_recovery() is"
                                + " false). Remove 'primary' when Sluice reads from the primary itself.");
            }
            try (Connection primary = connectPrimary(p)) {
                checkPrimary(primary, s);
            }
        } catch (SQLException e) {
            throw SourceException.classify(e, p, "checking the primary");
        }
    }

    private static void checkStandby(Connection c, SourceSettings s) throws SQLException {
        int major = serverMajor(c);
        if (major < 16) {
            throw new SourceException(
                    SourceException.Kind.SETUP,
                    s.describe() + " is a standby running PostgreSQL " + major
                            + "; logical decoding on a standby needs PostgreSQL 16 or later. Connect Sluice to the"
                            + " primary instead, or upgrade the replica.");
        }
        if (!"on".equals(single(c, "SHOW hot_standby_feedback"))) {
            log.warn(
                    "hot_standby_feedback is off on the standby {}: the primary may remove catalog rows that the"
                            + " slot still needs, and Postgres then invalidates the slot. Set hot_standby_feedback ="
                            + " on on the standby.",
                    s.describe());
        }
        if (s.primary() == null) {
            throw new SourceException(
                    SourceException.Kind.SETUP,
                    s.describe() + " is a standby (a read replica). Add a 'primary' block with the primary's"
                            + " hostname (and port, database, username, password when they differ): a standby"
                            + " cannot create the publication, and a new slot there waits for a snapshot record"
                            + " that Sluice asks the primary to write.");
        }
    }

    private static Connection connectPrimary(SourceSettings p) {
        try {
            return java.sql.DriverManager.getConnection(p.jdbcUrl(), p.properties(false));
        } catch (SQLException e) {
            SourceException cause = SourceException.classify(e, p, "connecting to the primary");
            throw new SourceException(cause.kind(), "primary: " + cause.getMessage(), e);
        }
    }

    private static void checkPrimary(Connection primary, SourceSettings s) throws SQLException {
        SourceSettings p = java.util.Objects.requireNonNull(s.primary());
        if (flag(primary, "SELECT pg_is_in_recovery()")) {
            throw new SourceException(
                    SourceException.Kind.SETUP,
                    "primary: " + p.describe() + " is itself a standby; 'primary' must name the server that"
                            + " accepts writes.");
        }
        String level = single(primary, "SHOW wal_level");
        if (!"logical".equals(level)) {
            throw new SourceException(
                    SourceException.Kind.SETUP,
                    "primary: wal_level is '" + level + "' on " + p.describe()
                            + "; logical decoding on a standby needs wal_level = logical on the primary. Run"
                            + " ALTER SYSTEM SET wal_level = logical; there and restart it.");
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

    private static void ensurePublication(Connection c, SourceSettings s, @Nullable Connection primary)
            throws SQLException {
        if (publicationExists(c, s)) {
            return;
        }
        String create = "CREATE PUBLICATION " + TableId.quoteIdent(s.publicationName())
                + " FOR ALL TABLES WITH (publish_via_partition_root = true)";
        // A standby is read-only: its publications are the primary's, arriving through replay.
        Connection writer = primary == null ? c : primary;
        SourceSettings where = primary == null ? s : java.util.Objects.requireNonNull(s.primary());
        if (primary != null && publicationExists(primary, s)) {
            awaitPublication(c, s);
            return;
        }
        if (!s.createPublication()) {
            throw new SourceException(
                    SourceException.Kind.SETUP,
                    "publication '" + s.publicationName() + "' does not exist in " + s.describe()
                            + ". Create it" + (primary == null ? "" : " on the primary (" + where.describe() + ")")
                            + " with: " + create
                            + "; (or FOR TABLE ... to publish only some tables), or set"
                            + " publication.create_if_not_exists: true and Sluice will create it.");
        }
        try (Statement st = writer.createStatement()) {
            st.execute(create);
            log.info("Created publication {} on {}", s.publicationName(), where.describe());
            if (primary != null) {
                awaitPublication(c, s);
            }
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new SourceException(
                        SourceException.Kind.PERMISSION,
                        "cannot create publication '" + s.publicationName() + "' on " + where.describe()
                                + ": FOR ALL TABLES needs a superuser. Ask an administrator to run: " + create
                                + ";",
                        e);
            }
            throw e;
        }
    }

    private static boolean publicationExists(Connection c, SourceSettings s) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, s.publicationName());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static void awaitPublication(Connection standby, SourceSettings s) throws SQLException {
        long deadline = System.nanoTime() + REPLAY_WAIT.toNanos();
        while (!publicationExists(standby, s)) {
            if (System.nanoTime() > deadline) {
                throw new SourceException(
                        SourceException.Kind.SETUP,
                        "publication '" + s.publicationName() + "' exists on the primary but the standby "
                                + s.describe() + " has not replayed it after " + REPLAY_WAIT.toSeconds()
                                + " s; is the standby replaying? (SELECT pg_last_wal_replay_lsn(); on it)");
            }
            pause(100);
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SourceException(SourceException.Kind.UNREACHABLE, "interrupted while waiting for the standby");
        }
    }

    private static void ensureSlot(Connection c, SourceSettings s, @Nullable Connection primary) throws SQLException {
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
        // On a standby, creating a slot waits for the primary's next record of running transactions; the primary
        // writes one only every 15 s, and only when busy, so ask it for one until the slot exists.
        Thread nudger = primary == null
                ? null
                : Thread.ofVirtual().name("sluice-standby-snapshot").start(() -> {
                    boolean warned = false;
                    while (!Thread.currentThread().isInterrupted()) {
                        try (Statement st = primary.createStatement()) {
                            st.execute("SELECT pg_log_standby_snapshot()");
                        } catch (SQLException e) {
                            if (!warned) {
                                warned = true;
                                log.warn(
                                        "cannot call pg_log_standby_snapshot() on the primary ({}); creating slot {} on the"
                                                + " standby waits for the primary's next snapshot record (every 15 s while"
                                                + " it is busy). GRANT EXECUTE ON FUNCTION pg_log_standby_snapshot() to the"
                                                + " primary's user to speed this up.",
                                        e.getMessage(),
                                        s.slotName());
                            }
                        }
                        try {
                            Thread.sleep(200);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
            ps.setString(1, s.slotName());
            ps.execute();
            log.info("Created replication slot {} on {}", s.slotName(), s.describe());
        } finally {
            if (nudger != null) {
                nudger.interrupt();
                try {
                    nudger.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
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

    private static boolean flag(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getBoolean(1);
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
