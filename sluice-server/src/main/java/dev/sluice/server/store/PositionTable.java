package dev.sluice.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.UUID;
import javax.sql.DataSource;

/** The {@code replication_positions} table: the flush position last acknowledged to each database's slot. */
public final class PositionTable {
    private final DataSource dataSource;

    PositionTable(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Records the flush position last acknowledged to a database's slot.
     *
     * @param fence the writing pipeline's lease (null: unfenced)
     * @throws Fence.LostException when {@code fence} no longer holds the lease: nothing is written
     */
    public void record(UUID databaseId, String slotName, String lsn, @org.jspecify.annotations.Nullable Fence fence)
            throws SQLException {
        MetadataStore.transaction(dataSource, fence, c -> {
            record(c, databaseId, slotName, lsn);
            return null;
        });
    }

    private static void record(Connection c, UUID databaseId, String slotName, String lsn) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO replication_positions (database_id, slot_name, flushed_lsn)
                        VALUES (?, ?, ?::pg_lsn)
                        ON CONFLICT (database_id) DO UPDATE
                        SET slot_name = EXCLUDED.slot_name, flushed_lsn = EXCLUDED.flushed_lsn, updated_at = now()""")) {
            ps.setObject(1, databaseId);
            ps.setString(2, slotName);
            ps.setString(3, lsn);
            ps.executeUpdate();
        }
    }
}
