package dev.sluice.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The {@code sink_messages} table: sinks' messages that failed (or wait behind a failed one of their group), and
 * the last discarded ones.
 */
public final class MessageTable {
    private final DataSource dataSource;

    MessageTable(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** One row of {@code sink_messages} (see {@code V4__sink_messages.sql}). */
    public record MessageRow(
            long commitLsn,
            int commitIdx,
            @Nullable String groupId,
            String idempotencyKey,
            String tableSchema,
            String tableName,
            String action,
            Instant committedAt,
            byte[] payload,
            int deliverCount,
            @Nullable String lastError,
            @Nullable Instant lastAttemptAt,
            @Nullable Instant nextAttemptAt,
            @Nullable Instant discardedAt) {}

    /** Which stored messages to list. */
    public enum MessageFilter {
        /** Failed or pending: the ones still to deliver. */
        LIVE(" AND discarded_at IS NULL"),
        FAILED(" AND discarded_at IS NULL AND deliver_count > 0"),
        PENDING(" AND discarded_at IS NULL AND deliver_count = 0"),
        DISCARDED(" AND discarded_at IS NOT NULL"),
        ANY("");

        private final String where;

        MessageFilter(String where) {
            this.where = where;
        }
    }

    /** Discarded messages kept per sink, newest first; older ones are dropped as new ones come. */
    public static final int DISCARDED_KEPT = 10_000;

    private static final String MESSAGE_COLUMNS = "commit_lsn, commit_idx, group_id, idempotency_key, table_schema,"
            + " table_name, action, committed_at, payload, deliver_count, last_error, last_attempt_at, next_attempt_at";

    /**
     * Inserts or replaces (by position) messages of a sink, as live ones; does nothing when the sink is no longer
     * stored.
     */
    public void save(UUID sinkId, List<MessageRow> rows, @Nullable Fence fence) throws SQLException {
        MetadataStore.transaction(dataSource, fence, c -> {
            upsert(c, sinkId, rows, null);
            return null;
        });
    }

    /**
     * Records messages of a sink as discarded at {@code at} (a live row at the same position becomes a discarded
     * one), then drops the sink's oldest discarded messages beyond {@link #DISCARDED_KEPT}.
     */
    public void discard(UUID sinkId, List<MessageRow> rows, Instant at, @Nullable Fence fence) throws SQLException {
        MetadataStore.transaction(dataSource, fence, c -> {
            upsert(c, sinkId, rows, at);
            dropOldDiscarded(c, sinkId);
            return null;
        });
    }

    private static void dropOldDiscarded(Connection c, UUID sinkId) throws SQLException {
        {
            try (PreparedStatement ps = c.prepareStatement("""
                        DELETE FROM sink_messages WHERE sink_id = ? AND (commit_lsn, commit_idx) IN (
                            SELECT commit_lsn, commit_idx FROM sink_messages
                            WHERE sink_id = ? AND discarded_at IS NOT NULL
                            ORDER BY discarded_at DESC, commit_lsn DESC, commit_idx DESC OFFSET ?)""")) {
                ps.setObject(1, sinkId);
                ps.setObject(2, sinkId);
                ps.setInt(3, DISCARDED_KEPT);
                ps.executeUpdate();
            }
        }
    }

    private static void upsert(Connection c, UUID sinkId, List<MessageRow> rows, @Nullable Instant discardedAt)
            throws SQLException {
        String onConflict = " ON CONFLICT (sink_id, commit_lsn, commit_idx) DO UPDATE SET deliver_count ="
                + " EXCLUDED.deliver_count, last_error = EXCLUDED.last_error, last_attempt_at ="
                + " EXCLUDED.last_attempt_at, next_attempt_at = EXCLUDED.next_attempt_at, discarded_at ="
                + " EXCLUDED.discarded_at";
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO sink_messages (sink_id, " + MESSAGE_COLUMNS
                + ", discarded_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1"
                + " FROM sinks WHERE id = ?)" + onConflict)) {
            for (MessageRow r : rows) {
                int i = 1;
                ps.setObject(i++, sinkId);
                ps.setLong(i++, r.commitLsn());
                ps.setInt(i++, r.commitIdx());
                ps.setString(i++, r.groupId());
                ps.setString(i++, r.idempotencyKey());
                ps.setString(i++, r.tableSchema());
                ps.setString(i++, r.tableName());
                ps.setString(i++, r.action());
                ps.setObject(i++, Jdbc.timestamp(r.committedAt()));
                ps.setBytes(i++, r.payload());
                ps.setInt(i++, r.deliverCount());
                ps.setString(i++, r.lastError());
                ps.setObject(i++, Jdbc.timestamp(r.lastAttemptAt()));
                ps.setObject(i++, Jdbc.timestamp(discardedAt == null ? r.nextAttemptAt() : null));
                ps.setObject(i++, Jdbc.timestamp(discardedAt));
                ps.setObject(i, sinkId);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Removes messages of a sink by position ({commit LSN, index} pairs). */
    public void delete(UUID sinkId, List<long[]> positions, @Nullable Fence fence) throws SQLException {
        MetadataStore.transaction(dataSource, fence, c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "DELETE FROM sink_messages WHERE sink_id = ? AND commit_lsn = ? AND commit_idx = ?")) {
                for (long[] p : positions) {
                    ps.setObject(1, sinkId);
                    ps.setLong(2, p[0]);
                    ps.setInt(3, (int) p[1]);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            return null;
        });
    }

    /**
     * Narrows a listing further: to one table (both parts null: any table), and to messages whose last error contains
     * {@code errorText}, ignoring case (null: any).
     */
    public record Narrowing(
            @Nullable String tableSchema,
            @Nullable String tableName,
            @Nullable String errorText) {
        public static final Narrowing NONE = new Narrowing(null, null, null);

        public Narrowing {
            if ((tableSchema == null) != (tableName == null)) {
                throw new IllegalArgumentException("give both the table's schema and name, or neither");
            }
            if (errorText != null && errorText.isEmpty()) {
                errorText = null;
            }
        }

        private String where() {
            return (tableName == null ? "" : " AND table_schema = ? AND table_name = ?")
                    + (errorText == null ? "" : " AND strpos(lower(last_error), lower(?)) > 0");
        }

        private int bind(PreparedStatement ps, int at) throws SQLException {
            int i = at;
            if (tableName != null) {
                ps.setString(i++, tableSchema);
                ps.setString(i++, tableName);
            }
            if (errorText != null) {
                ps.setString(i++, errorText);
            }
            return i;
        }
    }

    /** How many of the sink's stored messages {@code filter} selects. */
    public long count(UUID sinkId, MessageFilter filter) throws SQLException {
        return count(sinkId, filter, Narrowing.NONE);
    }

    /** How many of the sink's stored messages {@code filter} and {@code narrowing} select. */
    public long count(UUID sinkId, MessageFilter filter, Narrowing narrowing) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT count(*) FROM sink_messages WHERE sink_id = ?" + filter.where + narrowing.where())) {
            ps.setObject(1, sinkId);
            narrowing.bind(ps, 2);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * A sink's stored messages that pass {@code filter}, in position order, after the position {@code after} when
     * given, at most {@code limit}.
     */
    public List<MessageRow> list(UUID sinkId, MessageFilter filter, long @Nullable [] after, int limit)
            throws SQLException {
        return list(sinkId, filter, Narrowing.NONE, after, limit);
    }

    /** As {@link #list(UUID, MessageFilter, long[], int)}, narrowed by table and error text. */
    public List<MessageRow> list(
            UUID sinkId, MessageFilter filter, Narrowing narrowing, long @Nullable [] after, int limit)
            throws SQLException {
        return list(sinkId, filter, narrowing, after, limit, Long.MAX_VALUE);
    }

    /**
     * As {@link #list(UUID, MessageFilter, Narrowing, long[], int)}, only until the payloads reach {@code maxBytes}
     * in all, the row that reaches it included (so at least one).
     */
    public List<MessageRow> list(
            UUID sinkId, MessageFilter filter, Narrowing narrowing, long @Nullable [] after, int limit, long maxBytes)
            throws SQLException {
        String sql = bounded(
                "SELECT " + MESSAGE_COLUMNS + ", discarded_at%s FROM sink_messages WHERE sink_id = ?" + filter.where
                        + narrowing.where()
                        + (after == null ? "" : " AND (commit_lsn, commit_idx) > (?, ?)")
                        + " ORDER BY commit_lsn, commit_idx LIMIT ?",
                maxBytes);
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, sinkId);
            int i = narrowing.bind(ps, 2);
            if (after != null) {
                ps.setLong(i++, after[0]);
                ps.setInt(i++, (int) after[1]);
            }
            ps.setInt(i++, limit);
            if (maxBytes != Long.MAX_VALUE) {
                ps.setLong(i, maxBytes);
            }
            return messageRows(ps);
        }
    }

    /**
     * {@code select} (with a {@code %s} after its columns), or, with a byte bound, its rows in order while the
     * payloads before each stay under the bound (one parameter more, last). The running sum is taken over the
     * ordered, limited rows: the scan stops at the limit as before, and a payload goes out only for the rows
     * returned.
     */
    private static String bounded(String select, long maxBytes) {
        if (maxBytes == Long.MAX_VALUE) {
            return select.formatted("");
        }
        String window = ", sum(octet_length(payload)) OVER w - octet_length(payload) AS bytes_before";
        String inner = select.formatted(window)
                .replace(
                        " ORDER BY commit_lsn, commit_idx LIMIT ?",
                        " WINDOW w AS (ORDER BY commit_lsn, commit_idx ROWS UNBOUNDED PRECEDING)"
                                + " ORDER BY commit_lsn, commit_idx LIMIT ?");
        return "SELECT " + MESSAGE_COLUMNS + ", discarded_at FROM (" + inner
                + ") m WHERE bytes_before < ? ORDER BY commit_lsn, commit_idx";
    }

    /** The tables ({schema, name}) of a sink's stored messages, in order; at most {@code limit}. */
    public List<String[]> tables(UUID sinkId, int limit) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT DISTINCT table_schema, table_name FROM sink_messages"
                        + " WHERE sink_id = ? ORDER BY 1, 2 LIMIT ?")) {
            ps.setObject(1, sinkId);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
        }
        return out;
    }

    /**
     * One group's live messages of a sink with positions in ({@code after}, {@code upTo}], in position order: those
     * with group id {@code groupId}, or, when it is null, those of the table without a group id; bounded as {@link
     * #list(UUID, MessageFilter, Narrowing, long[], int, long)}.
     */
    public List<MessageRow> group(
            UUID sinkId,
            @Nullable String groupId,
            String tableSchema,
            String tableName,
            long[] after,
            long[] upTo,
            int limit,
            long maxBytes)
            throws SQLException {
        String sql = bounded(
                "SELECT " + MESSAGE_COLUMNS + ", discarded_at%s FROM sink_messages WHERE sink_id = ?"
                        + " AND discarded_at IS NULL"
                        + (groupId == null
                                ? " AND group_id IS NULL AND table_schema = ? AND table_name = ?"
                                : " AND group_id = ?")
                        + " AND (commit_lsn, commit_idx) > (?, ?) AND (commit_lsn, commit_idx) <= (?, ?)"
                        + " ORDER BY commit_lsn, commit_idx LIMIT ?",
                maxBytes);
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setObject(i++, sinkId);
            if (groupId == null) {
                ps.setString(i++, tableSchema);
                ps.setString(i++, tableName);
            } else {
                ps.setString(i++, groupId);
            }
            ps.setLong(i++, after[0]);
            ps.setInt(i++, (int) after[1]);
            ps.setLong(i++, upTo[0]);
            ps.setInt(i++, (int) upTo[1]);
            ps.setInt(i++, limit);
            if (maxBytes != Long.MAX_VALUE) {
                ps.setLong(i, maxBytes);
            }
            return messageRows(ps);
        }
    }

    private static List<MessageRow> messageRows(PreparedStatement ps) throws SQLException {
        List<MessageRow> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new MessageRow(
                        rs.getLong(1),
                        rs.getInt(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5),
                        rs.getString(6),
                        rs.getString(7),
                        Jdbc.instant(rs, 8),
                        rs.getBytes(9),
                        rs.getInt(10),
                        rs.getString(11),
                        Jdbc.instant(rs, 12),
                        Jdbc.instant(rs, 13),
                        Jdbc.instant(rs, 14)));
            }
        }
        return out;
    }
}
