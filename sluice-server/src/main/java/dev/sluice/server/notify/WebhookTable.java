package dev.sluice.server.notify;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/** The {@code webhooks} table of the metadata store. Thread-safe. */
final class WebhookTable {
    private static final String COLUMNS = "id, name, url, events, sink_id, database_id, lag_threshold_bytes,"
            + " lag_threshold_seconds, enabled, secret_sealed, last_delivery_at, last_delivery_event,"
            + " last_delivery_status, last_delivery_error, inserted_at, updated_at";
    private static final String UNIQUE_VIOLATION = "23505";

    private final DataSource dataSource;

    WebhookTable(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    List<Subscription> list() throws SQLException {
        List<Subscription> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps =
                        c.prepareStatement("SELECT " + COLUMNS + " FROM webhooks ORDER BY inserted_at, id");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(read(rs));
            }
        }
        return out;
    }

    @Nullable
    Subscription get(UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM webhooks WHERE id = ?")) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? read(rs) : null;
            }
        }
    }

    /** Inserts {@code s} (its timestamps are the database's); false when its name is taken. */
    boolean insert(Subscription s) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO webhooks (id, name, url, events, sink_id, database_id, lag_threshold_bytes,
                            lag_threshold_seconds, enabled, secret_sealed)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING""")) {
            ps.setObject(1, s.id());
            ps.setString(2, s.name());
            ps.setString(3, s.url());
            ps.setArray(4, c.createArrayOf("text", s.events().toArray()));
            ps.setObject(5, s.sinkId());
            ps.setObject(6, s.databaseId());
            ps.setObject(7, s.lagThresholdBytes());
            ps.setObject(8, s.lagThresholdSeconds());
            ps.setBoolean(9, s.enabled());
            ps.setString(10, s.secretSealed());
            return ps.executeUpdate() == 1;
        }
    }

    /** Saves the settable fields of {@code s}; false when its new name is taken. */
    boolean update(Subscription s) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        UPDATE webhooks SET name = ?, url = ?, events = ?, sink_id = ?, database_id = ?,
                            lag_threshold_bytes = ?, lag_threshold_seconds = ?, enabled = ?, updated_at = now()
                        WHERE id = ?""")) {
            ps.setString(1, s.name());
            ps.setString(2, s.url());
            ps.setArray(3, c.createArrayOf("text", s.events().toArray()));
            ps.setObject(4, s.sinkId());
            ps.setObject(5, s.databaseId());
            ps.setObject(6, s.lagThresholdBytes());
            ps.setObject(7, s.lagThresholdSeconds());
            ps.setBoolean(8, s.enabled());
            ps.setObject(9, s.id());
            ps.executeUpdate();
            return true;
        } catch (SQLException e) {
            if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
                return false;
            }
            throw e;
        }
    }

    void rotate(UUID id, String secretSealed) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps =
                        c.prepareStatement("UPDATE webhooks SET secret_sealed = ?, updated_at = now() WHERE id = ?")) {
            ps.setString(1, secretSealed);
            ps.setObject(2, id);
            ps.executeUpdate();
        }
    }

    boolean delete(UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM webhooks WHERE id = ?")) {
            ps.setObject(1, id);
            return ps.executeUpdate() == 1;
        }
    }

    /** Records the outcome of an attempt; an attempt older than the recorded one does not overwrite it. */
    void delivered(UUID id, Subscription.LastDelivery d) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        UPDATE webhooks SET last_delivery_at = ?, last_delivery_event = ?, last_delivery_status = ?,
                            last_delivery_error = ?
                        WHERE id = ? AND (last_delivery_at IS NULL OR last_delivery_at <= ?)""")) {
            Timestamp at = Timestamp.from(d.at());
            ps.setTimestamp(1, at);
            ps.setString(2, d.event());
            ps.setObject(3, d.status());
            ps.setString(4, d.error());
            ps.setObject(5, id);
            ps.setTimestamp(6, at);
            ps.executeUpdate();
        }
    }

    private static Subscription read(ResultSet rs) throws SQLException {
        Array events = rs.getArray(4);
        Timestamp lastAt = rs.getTimestamp(11);
        Subscription.LastDelivery last = lastAt == null
                ? null
                : new Subscription.LastDelivery(
                        lastAt.toInstant(), rs.getString(12), (Integer) rs.getObject(13), rs.getString(14));
        return new Subscription(
                rs.getObject(1, UUID.class),
                rs.getString(2),
                rs.getString(3),
                Arrays.asList((String[]) events.getArray()),
                rs.getObject(5, UUID.class),
                rs.getObject(6, UUID.class),
                (Long) rs.getObject(7),
                (Long) rs.getObject(8),
                rs.getBoolean(9),
                rs.getString(10),
                last,
                instant(rs.getTimestamp(15)),
                instant(rs.getTimestamp(16)));
    }

    private static Instant instant(Timestamp t) {
        return t.toInstant();
    }
}
