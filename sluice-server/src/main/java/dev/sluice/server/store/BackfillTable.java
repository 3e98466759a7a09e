package dev.sluice.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The {@code backfills} table (see {@code V6__backfills.sql}). States are stored as {@link BackfillState#wireName()};
 * every change of state is conditional on the state it moves from, so concurrent changes cannot both win.
 */
public final class BackfillTable {
    private static final String COLUMNS = "id, sink_id, table_schema, table_name, sort_column,"
            + " start_position, state, cursor, rows_initial_count, rows_processed_count, rows_ingested_count,"
            + " resumed_at, resumed_rows, inserted_at, updated_at, completed_at, canceled_at, failed_at, error";

    private final DataSource dataSource;

    BackfillTable(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** One row of {@code backfills}. */
    public record BackfillRow(
            UUID id,
            UUID sinkId,
            String tableSchema,
            String tableName,
            @Nullable String sortColumn,
            @Nullable String startPosition,
            BackfillState state,
            @Nullable List<String> cursor,
            @Nullable Long rowsInitialCount,
            long rowsProcessedCount,
            long rowsIngestedCount,
            @Nullable Instant resumedAt,
            long resumedRows,
            Instant insertedAt,
            Instant updatedAt,
            @Nullable Instant completedAt,
            @Nullable Instant canceledAt,
            @Nullable Instant failedAt,
            @Nullable String error) {

        /** Seconds left at the current run's rate, as of its last saved progress; null when not computable. */
        public @Nullable Long etaSeconds() {
            if (state != BackfillState.ACTIVE || resumedAt == null) {
                return null;
            }
            return etaSeconds(
                    rowsInitialCount,
                    rowsProcessedCount,
                    rowsProcessedCount - resumedRows,
                    Duration.between(resumedAt, updatedAt).toMillis());
        }

        /**
         * Rows left ({@code initial - processed}, at least 0) at the rate of {@code runRows} in {@code runMillis};
         * null when there is no count or no rate yet.
         */
        public static @Nullable Long etaSeconds(@Nullable Long initial, long processed, long runRows, long runMillis) {
            if (initial == null || runRows <= 0 || runMillis <= 0) {
                return null;
            }
            long left = Math.max(0, initial - processed);
            return (long) Math.ceil(left * (double) runMillis / runRows / 1000.0);
        }
    }

    /**
     * Inserts an active backfill; false when the sink already has an active or paused one of that table, or is no
     * longer stored.
     */
    public boolean insert(
            UUID id,
            UUID sinkId,
            String tableSchema,
            String tableName,
            @Nullable String sortColumn,
            @Nullable String startPosition)
            throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO backfills (id, sink_id, table_schema, table_name, sort_column, start_position, state)
                        SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM sinks WHERE id = ?)
                        ON CONFLICT DO NOTHING""")) {
            ps.setObject(1, id);
            ps.setObject(2, sinkId);
            ps.setString(3, tableSchema);
            ps.setString(4, tableName);
            ps.setString(5, sortColumn);
            ps.setString(6, startPosition);
            ps.setString(7, BackfillState.ACTIVE.wireName());
            ps.setObject(8, sinkId);
            return ps.executeUpdate() == 1;
        }
    }

    /** A sink's backfills, oldest first. */
    public List<BackfillRow> ofSink(UUID sinkId) throws SQLException {
        return rows(
                "SELECT " + COLUMNS + " FROM backfills WHERE sink_id = ? ORDER BY inserted_at, id",
                ps -> ps.setObject(1, sinkId));
    }

    /** A sink's backfills in one of {@code states}, oldest first. */
    public List<BackfillRow> ofSink(UUID sinkId, Set<BackfillState> states) throws SQLException {
        return rows(
                "SELECT " + COLUMNS + " FROM backfills WHERE sink_id = ? AND state = ANY (?) ORDER BY inserted_at, id",
                ps -> {
                    ps.setObject(1, sinkId);
                    ps.setArray(2, ps.getConnection().createArrayOf("text", wireNames(states)));
                });
    }

    /** Every sink's backfills in one of {@code states}, oldest first: one query for a whole list of sinks. */
    public List<BackfillRow> inStates(Set<BackfillState> states) throws SQLException {
        return rows(
                "SELECT " + COLUMNS + " FROM backfills WHERE state = ANY (?) ORDER BY inserted_at, id",
                ps -> ps.setArray(1, ps.getConnection().createArrayOf("text", wireNames(states))));
    }

    public @Nullable BackfillRow get(UUID id) throws SQLException {
        List<BackfillRow> rows = rows("SELECT " + COLUMNS + " FROM backfills WHERE id = ?", ps -> ps.setObject(1, id));
        return rows.isEmpty() ? null : rows.getFirst();
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private List<BackfillRow> rows(String sql, Binder binder) throws SQLException {
        List<BackfillRow> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    java.sql.Array cursor = rs.getArray(8);
                    long initial = rs.getLong(9);
                    boolean noInitial = rs.wasNull();
                    String state = rs.getString(7);
                    out.add(new BackfillRow(
                            rs.getObject(1, UUID.class),
                            rs.getObject(2, UUID.class),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getString(5),
                            rs.getString(6),
                            BackfillState.of(state)
                                    .orElseThrow(() -> new SQLException("unknown backfill state '" + state + "'")),
                            cursor == null ? null : List.of((String[]) cursor.getArray()),
                            noInitial ? null : initial,
                            rs.getLong(10),
                            rs.getLong(11),
                            Jdbc.instant(rs, 12),
                            rs.getLong(13),
                            Objects.requireNonNull(Jdbc.instant(rs, 14)),
                            Objects.requireNonNull(Jdbc.instant(rs, 15)),
                            Jdbc.instant(rs, 16),
                            Jdbc.instant(rs, 17),
                            Jdbc.instant(rs, 18),
                            rs.getString(19)));
                }
            }
        }
        return out;
    }

    /**
     * Moves a backfill to {@code to} if it is in one of {@code from}; stamps the state's time ({@code canceled_at}
     * for cancelled). Returns whether it moved.
     */
    public boolean transition(UUID id, Collection<BackfillState> from, BackfillState to) throws SQLException {
        String stamp = switch (to) {
            case CANCELLED -> ", canceled_at = now()";
            case COMPLETED -> ", completed_at = now()";
            case FAILED -> ", failed_at = now()";
            case ACTIVE, PAUSED -> "";
        };
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE backfills SET state = ?, updated_at = now()" + stamp
                        + " WHERE id = ? AND state = ANY (?)")) {
            ps.setString(1, to.wireName());
            ps.setObject(2, id);
            ps.setArray(3, c.createArrayOf("text", wireNames(EnumSet.copyOf(from))));
            return ps.executeUpdate() == 1;
        }
    }

    /** Notes that a run of the backfill starts now, at its current processed count (for the ETA). */
    public void resumed(UUID id) throws SQLException {
        execute("UPDATE backfills SET resumed_at = now(), resumed_rows = rows_processed_count WHERE id = ?", id);
    }

    public void counted(UUID id, long rows) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "UPDATE backfills SET rows_initial_count = ?, updated_at = now() WHERE id = ?")) {
            ps.setLong(1, rows);
            ps.setObject(2, id);
            ps.executeUpdate();
        }
    }

    /**
     * Saves the cursor and counts of an unfinished backfill.
     *
     * @param fence the lease of the pipeline that runs it (null: unfenced)
     * @throws Fence.LostException when that lease moved on: nothing is written
     */
    public void progressed(UUID id, List<String> cursor, long processed, long ingested, @Nullable Fence fence)
            throws SQLException {
        MetadataStore.transaction(dataSource, fence, c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    UPDATE backfills SET cursor = ?, rows_processed_count = ?, rows_ingested_count = ?,
                        updated_at = now()
                    WHERE id = ? AND state = ANY (?)""")) {
                ps.setArray(1, c.createArrayOf("text", cursor.toArray()));
                ps.setLong(2, processed);
                ps.setLong(3, ingested);
                ps.setObject(4, id);
                ps.setArray(5, c.createArrayOf("text", wireNames(BackfillState.UNFINISHED)));
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** Marks an active backfill completed (error null) or failed, with its final counts. */
    public boolean finished(UUID id, long processed, long ingested, @Nullable String error, @Nullable Fence fence)
            throws SQLException {
        BackfillState to = error == null ? BackfillState.COMPLETED : BackfillState.FAILED;
        if (!BackfillState.ACTIVE.canEndIn(to)) {
            throw new IllegalStateException("an active backfill cannot end " + to.wireName());
        }
        String sql = error == null
                ? "UPDATE backfills SET state = ?, completed_at = now(), rows_processed_count = ?,"
                        + " rows_ingested_count = ?, updated_at = now() WHERE id = ? AND state = ?"
                : "UPDATE backfills SET state = ?, failed_at = now(), error = ?, updated_at = now()"
                        + " WHERE id = ? AND state = ?";
        return MetadataStore.transaction(dataSource, fence, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                ps.setString(i++, to.wireName());
                if (error == null) {
                    ps.setLong(i++, processed);
                    ps.setLong(i++, ingested);
                } else {
                    ps.setString(i++, error);
                }
                ps.setObject(i++, id);
                ps.setString(i, BackfillState.ACTIVE.wireName());
                return ps.executeUpdate() == 1;
            }
        });
    }

    public boolean delete(UUID id) throws SQLException {
        return execute("DELETE FROM backfills WHERE id = ?", id) == 1;
    }

    private int execute(String sql, UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, id);
            return ps.executeUpdate();
        }
    }

    private static Object[] wireNames(Set<BackfillState> states) {
        return BackfillState.wireNames(states).toArray();
    }
}
