package dev.sluice.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/**
 * The fencing token of a database pipeline: the node that holds its lease and the lease's epoch. Writes made on the
 * pipeline's behalf ({@link MetadataStore#fenced}) run in a transaction that first locks the lease row in share mode
 * and checks both: a node whose lease was taken over (a higher epoch) cannot write any more, and the takeover waits
 * for a write already under way to commit.
 */
public record Fence(UUID databaseId, String nodeId, long epoch) {

    /** A write refused because the pipeline's lease is no longer this fence's. */
    public static final class LostException extends SQLException {
        LostException(Fence f) {
            super("the lease on database " + f.databaseId + " (epoch " + f.epoch + ") is no longer held by node "
                    + f.nodeId + "; write refused");
        }
    }

    /** Holding a transaction on {@code c}: locks the lease row, or throws {@link LostException} if it moved on. */
    void check(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT 1 FROM pipeline_leases WHERE database_id = ? AND node_id = ? AND epoch = ? FOR SHARE")) {
            ps.setObject(1, databaseId);
            ps.setString(2, nodeId);
            ps.setLong(3, epoch);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new LostException(this);
                }
            }
        }
    }
}
