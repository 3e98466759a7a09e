package dev.sluice.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The {@code nodes} and {@code pipeline_leases} tables (see {@code V12__cluster.sql}). Every time comparison is made
 * with the store's clock ({@code now()}), so nodes whose clocks disagree still agree on who holds a lease.
 */
public final class LeaseTable {
    private final DataSource dataSource;

    LeaseTable(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** A node as its last heartbeat left it; {@code age} is how long ago that was, by the store's clock. */
    public record NodeRow(
            String id, String address, Instant startedAt, Instant heartbeatAt, boolean draining, Duration age) {}

    /** A pipeline's lease; {@code nodeId} null once released. */
    public record LeaseRow(UUID databaseId, @Nullable String nodeId, long epoch, Instant expiresAt, boolean expired) {}

    /**
     * Records that node {@code id} is alive; registers it on its first call. Returns whether the node is asked to
     * drain (by {@code POST /api/nodes/{id}/drain} on any node). A restarted node starts undrained.
     */
    public boolean heartbeat(String id, String address, Instant startedAt) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO nodes (id, address, started_at, heartbeat_at) VALUES (?, ?, ?, now())
                        ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, heartbeat_at = now(),
                            draining = nodes.draining AND nodes.started_at = EXCLUDED.started_at,
                            started_at = EXCLUDED.started_at
                        RETURNING draining""")) {
            ps.setString(1, id);
            ps.setString(2, address);
            ps.setObject(3, Jdbc.timestamp(startedAt));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** Every registered node, live or not, oldest first. */
    public List<NodeRow> nodes() throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        SELECT id, address, started_at, heartbeat_at, draining,
                               (extract(epoch FROM now() - heartbeat_at) * 1000)::bigint
                        FROM nodes ORDER BY started_at, id""");
                ResultSet rs = ps.executeQuery()) {
            List<NodeRow> out = new ArrayList<>();
            while (rs.next()) {
                out.add(new NodeRow(
                        rs.getString(1),
                        rs.getString(2),
                        Jdbc.instant(rs, 3),
                        Jdbc.instant(rs, 4),
                        rs.getBoolean(5),
                        Duration.ofMillis(Math.max(0, rs.getLong(6)))));
            }
            return out;
        }
    }

    /** Every lease. */
    public List<LeaseRow> leases() throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT database_id, node_id, epoch, expires_at, expires_at <= now() FROM pipeline_leases");
                ResultSet rs = ps.executeQuery()) {
            List<LeaseRow> out = new ArrayList<>();
            while (rs.next()) {
                out.add(new LeaseRow(
                        rs.getObject(1, UUID.class),
                        rs.getString(2),
                        rs.getLong(3),
                        Jdbc.instant(rs, 4),
                        rs.getBoolean(5)));
            }
            return out;
        }
    }

    /**
     * Takes the lease of {@code databaseId} for {@code nodeId} if nobody holds it, its holder let it go or let it
     * expire, or its holder is {@code nodeId} itself from before a restart (a node never calls this for a lease it
     * runs). Returns the new epoch, or -1 when another node holds it.
     */
    public long acquire(UUID databaseId, String nodeId, Duration ttl) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO pipeline_leases AS l (database_id, node_id, epoch, expires_at)
                        SELECT ?, ?, 1, now() + ? * interval '1 millisecond'
                        WHERE EXISTS (SELECT 1 FROM postgres_databases WHERE id = ?)
                        ON CONFLICT (database_id) DO UPDATE
                        SET node_id = EXCLUDED.node_id, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at,
                            acquired_at = now()
                        WHERE l.node_id IS NULL OR l.expires_at <= now() OR l.node_id = EXCLUDED.node_id
                        RETURNING epoch""")) {
            ps.setObject(1, databaseId);
            ps.setString(2, nodeId);
            ps.setLong(3, ttl.toMillis());
            ps.setObject(4, databaseId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : -1;
            }
        }
    }

    /** Extends a lease held at {@code epoch}; false when it is no longer held (taken over, or the database gone). */
    public boolean renew(UUID databaseId, String nodeId, long epoch, Duration ttl) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        UPDATE pipeline_leases SET expires_at = now() + ? * interval '1 millisecond'
                        WHERE database_id = ? AND node_id = ? AND epoch = ?""")) {
            ps.setLong(1, ttl.toMillis());
            ps.setObject(2, databaseId);
            ps.setString(3, nodeId);
            ps.setLong(4, epoch);
            return ps.executeUpdate() == 1;
        }
    }

    /** Lets a lease go at once, for another node to take without waiting for it to expire. */
    public void release(UUID databaseId, String nodeId, long epoch) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        UPDATE pipeline_leases SET node_id = NULL, expires_at = now()
                        WHERE database_id = ? AND node_id = ? AND epoch = ?""")) {
            ps.setObject(1, databaseId);
            ps.setString(2, nodeId);
            ps.setLong(3, epoch);
            ps.executeUpdate();
        }
    }

    /** Asks node {@code id} to hand its pipelines over; false if there is no such node. */
    public boolean drain(String id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE nodes SET draining = true WHERE id = ?")) {
            ps.setString(1, id);
            return ps.executeUpdate() == 1;
        }
    }

    /** Forgets a node that stopped cleanly (its leases are released first). */
    public void remove(String id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM nodes WHERE id = ?")) {
            ps.setString(1, id);
            ps.executeUpdate();
        }
    }
}
