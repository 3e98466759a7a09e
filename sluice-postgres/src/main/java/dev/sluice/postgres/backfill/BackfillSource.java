package dev.sluice.postgres.backfill;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The SQL a backfill runs besides its page reads: writing its watermarks into the WAL, reading the snapshot a page
 * is read under, and, on a standby, asking how far it has replayed. Stateless; each method runs on the connection it
 * is given.
 */
public final class BackfillSource {
    private static final String EMIT = "SELECT pg_logical_emit_message(false, ?, ?)::text";
    // Postgres 17 and later flush the WAL up to the message: the high watermark reaches the slot at once rather than
    // at the WAL writer's next round (wal_writer_delay).
    private static final String EMIT_FLUSHED = "SELECT pg_logical_emit_message(false, ?, ?, true)::text";
    private static final String SNAPSHOT = "SELECT txid_current_snapshot()::text";
    private static final String REPLAYED = "SELECT pg_last_wal_replay_lsn() >= ?::pg_lsn";

    /**
     * The snapshot of a page's transaction: its xmin and the transactions in progress for it, as the 32-bit xids
     * the replication stream gives.
     */
    public record Snapshot(int xmin, int[] inProgress) {}

    private BackfillSource() {}

    /** Whether {@link #emit} can flush (Postgres 17 and later): the message then reaches the slot at once. */
    public static boolean canFlush(Connection c) throws SQLException {
        return c.getMetaData().getDatabaseMajorVersion() >= 17;
    }

    /**
     * Writes {@code w} into the WAL as a non-transactional logical message (on a primary); returns its LSN in text
     * form.
     *
     * @param flush flush the WAL up to it (only when {@link #canFlush})
     */
    public static String emit(Connection c, Watermark w, boolean flush) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(flush ? EMIT_FLUSHED : EMIT)) {
            ps.setString(1, Watermark.PREFIX);
            ps.setString(2, w.content());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /**
     * The snapshot of the transaction {@code c} is in, taken by this query when it is the transaction's first (so run
     * it before the page's read, with auto-commit off under repeatable read).
     */
    public static Snapshot snapshot(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(SNAPSHOT)) {
            rs.next();
            return parseSnapshot(rs.getString(1));
        }
    }

    /** {@code xmin:xmax:xip,xip,...} with 64-bit (epoch-qualified) xids, as 32-bit ones. */
    static Snapshot parseSnapshot(String text) {
        String[] parts = text.split(":", -1);
        int xmin = (int) Long.parseLong(parts[0]);
        if (parts.length < 3 || parts[2].isEmpty()) {
            return new Snapshot(xmin, new int[0]);
        }
        String[] xip = parts[2].split(",");
        int[] out = new int[xip.length];
        for (int i = 0; i < xip.length; i++) {
            out[i] = (int) Long.parseLong(xip[i]);
        }
        return new Snapshot(xmin, out);
    }

    /** On a standby: whether it has replayed the WAL up to {@code lsn} (text form). */
    public static boolean replayed(Connection standby, String lsn) throws SQLException {
        try (PreparedStatement ps = standby.prepareStatement(REPLAYED)) {
            ps.setString(1, lsn);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }
}
