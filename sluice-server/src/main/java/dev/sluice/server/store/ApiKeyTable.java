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

/** The {@code api_keys} table: API tokens, of which only a SHA-256 hash is kept. Thread-safe. */
public final class ApiKeyTable {
    private final DataSource dataSource;

    ApiKeyTable(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** An API token: only its SHA-256 hash is stored. */
    public record ApiKey(UUID id, String name, byte[] tokenHash, Instant insertedAt) {}

    public List<ApiKey> list() throws SQLException {
        List<ApiKey> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT id, name, token_hash, inserted_at FROM api_keys ORDER BY inserted_at, id");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new ApiKey(
                        rs.getObject(1, UUID.class),
                        rs.getString(2),
                        rs.getBytes(3),
                        rs.getTimestamp(4).toInstant()));
            }
        }
        return out;
    }

    /** Inserts a key; false if its name is taken. */
    public boolean insert(UUID id, String name, byte[] tokenHash) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO api_keys (id, name, token_hash) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setObject(1, id);
            ps.setString(2, name);
            ps.setBytes(3, tokenHash);
            return ps.executeUpdate() == 1;
        }
    }

    public void deleteNamed(String name) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM api_keys WHERE name = ?")) {
            ps.setString(1, name);
            ps.executeUpdate();
        }
    }

    public boolean delete(UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM api_keys WHERE id = ?")) {
            ps.setObject(1, id);
            return ps.executeUpdate() == 1;
        }
    }
}
