package dev.sluice.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The configuration resources' rows ({@code postgres_databases}, {@code http_endpoints}, {@code sinks}): each
 * resource's sluice.yaml entry as JSON, secrets sealed apart. Writes run in the caller's transaction ({@link
 * MetadataStore#inTransaction}); {@link StoredConfig} is the only user.
 */
final class ResourceTable {
    static final int SPEC_VERSION = 1;

    /**
     * One stored resource: its id, name, yaml-shaped JSON spec (secrets removed), sealed secrets, parent (a sink's
     * database) and timestamps.
     */
    record Stored(
            UUID id,
            String name,
            String specJson,
            @Nullable String sealed,
            @Nullable UUID parent,
            Instant insertedAt,
            Instant updatedAt) {}

    /** Every resource of a kind, in creation order, on {@code c}. */
    List<Stored> list(Connection c, Kind kind) throws SQLException {
        String parent = kind == Kind.SINK ? "database_id" : "NULL::uuid";
        String sql = "SELECT id, name, spec::text, " + kind.sealedColumn + ", " + parent
                + ", inserted_at, updated_at FROM " + kind.table + " ORDER BY inserted_at, id";
        List<Stored> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Stored(
                        rs.getObject(1, UUID.class),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getObject(5, UUID.class),
                        rs.getTimestamp(6).toInstant(),
                        rs.getTimestamp(7).toInstant()));
            }
        }
        return out;
    }

    /** Inserts a resource; {@code parent} is a sink's database. */
    void insert(
            Connection c, Kind kind, UUID id, String name, String spec, @Nullable String sealed, @Nullable UUID parent)
            throws SQLException {
        String sql = "INSERT INTO " + kind.table + " (id, name, spec_version, spec, " + kind.sealedColumn
                + (kind == Kind.SINK ? ", database_id" : "") + ") VALUES (?, ?, ?, ?::jsonb, ?"
                + (kind == Kind.SINK ? ", ?" : "") + ")";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, id);
            ps.setString(2, name);
            ps.setInt(3, SPEC_VERSION);
            ps.setString(4, spec);
            ps.setString(5, sealed);
            if (kind == Kind.SINK) {
                ps.setObject(6, parent);
            }
            ps.executeUpdate();
        }
    }

    /**
     * Updates a resource by id; {@code updated_at} moves only when something changed. Sealed values are compared
     * by plaintext by the caller: it passes the stored ciphertext back when the secret is unchanged.
     */
    void update(
            Connection c, Kind kind, UUID id, String name, String spec, @Nullable String sealed, @Nullable UUID parent)
            throws SQLException {
        String parentSet = kind == Kind.SINK ? ", database_id = ?" : "";
        String parentCmp = kind == Kind.SINK ? ", database_id" : "";
        String sql = "UPDATE " + kind.table + " SET name = ?, spec_version = ?, spec = ?::jsonb, " + kind.sealedColumn
                + " = ?" + parentSet + ", updated_at = now() WHERE id = ? AND (name, spec, " + kind.sealedColumn
                + parentCmp + ") IS DISTINCT FROM (?, ?::jsonb, ?" + (kind == Kind.SINK ? ", ?::uuid" : "") + ")";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setString(i++, name);
            ps.setInt(i++, SPEC_VERSION);
            ps.setString(i++, spec);
            ps.setString(i++, sealed);
            if (kind == Kind.SINK) {
                ps.setObject(i++, parent);
            }
            ps.setObject(i++, id);
            ps.setString(i++, name);
            ps.setString(i++, spec);
            ps.setString(i++, sealed);
            if (kind == Kind.SINK) {
                ps.setObject(i, parent);
            }
            ps.executeUpdate();
        }
    }

    void delete(Connection c, Kind kind, UUID id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + kind.table + " WHERE id = ?")) {
            ps.setObject(1, id);
            ps.executeUpdate();
        }
    }
}
