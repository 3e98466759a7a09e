package dev.sluice.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/** The {@code sink_progress} table: each sink's saved delivery progress. */
public final class ProgressTable {
    private final DataSource dataSource;

    ProgressTable(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** A sink's delivery progress as stored: see {@code V3__sink_progress.sql}. */
    public record SinkProgress(long acknowledgedLsn, byte[] resolvedAfter) {}

    /**
     * A sink's saved delivery progress: the acknowledged LSN and the packed positions resolved after it, or null
     * when none was saved.
     */
    public @Nullable SinkProgress load(UUID sinkId) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT acknowledged_lsn, resolved_after FROM sink_progress WHERE sink_id = ?")) {
            ps.setObject(1, sinkId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new SinkProgress(rs.getLong(1), rs.getBytes(2)) : null;
            }
        }
    }

    /**
     * Replaces a sink's saved progress; does nothing when the sink is no longer stored.
     *
     * @param fence the writing pipeline's lease (null: unfenced)
     * @throws Fence.LostException when {@code fence} no longer holds the lease: nothing is written
     */
    public void save(UUID sinkId, SinkProgress progress, @Nullable Fence fence) throws SQLException {
        MetadataStore.transaction(dataSource, fence, c -> {
            save(c, sinkId, progress);
            return null;
        });
    }

    private static void save(Connection c, UUID sinkId, SinkProgress progress) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO sink_progress (sink_id, acknowledged_lsn, resolved_after)
                        SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM sinks WHERE id = ?)
                        ON CONFLICT (sink_id) DO UPDATE
                        SET acknowledged_lsn = EXCLUDED.acknowledged_lsn, resolved_after = EXCLUDED.resolved_after,
                            updated_at = now()""")) {
            ps.setObject(1, sinkId);
            ps.setLong(2, progress.acknowledgedLsn());
            ps.setBytes(3, progress.resolvedAfter());
            ps.setObject(4, sinkId);
            ps.executeUpdate();
        }
    }
}
