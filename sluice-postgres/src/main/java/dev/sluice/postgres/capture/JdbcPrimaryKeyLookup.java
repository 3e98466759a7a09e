package dev.sluice.postgres.capture;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads primary keys from {@code pg_index}/{@code pg_attribute} over an ordinary (non-replication)
 * connection. Works for partitioned tables too: a partitioned table's primary key is a partitioned
 * index in {@code pg_index}, which is what pgoutput's relation id points at with {@code
 * publish_via_partition_root}.
 *
 * <p>Not thread-safe: it uses the caller's connection, which must stay open while it is used.
 */
public final class JdbcPrimaryKeyLookup implements PrimaryKeyLookup {
    // indkey lists the key columns in key order; WITH ORDINALITY keeps that order.
    private static final String SQL = """
            SELECT a.attname
              FROM pg_index i
             CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE i.indrelid = ?::oid AND i.indisprimary
             ORDER BY k.ord""";

    private final Connection connection;

    public JdbcPrimaryKeyLookup(Connection connection) {
        this.connection = connection;
    }

    @Override
    public List<String> primaryKeyColumns(int relationId) {
        try (PreparedStatement ps = connection.prepareStatement(SQL)) {
            // OIDs are unsigned 32-bit; pass them as a long so OIDs above 2^31 are not negative.
            ps.setLong(1, Integer.toUnsignedLong(relationId));
            List<String> names = new ArrayList<>(2);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            return names;
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "could not read the primary key of relation OID " + Integer.toUnsignedString(relationId)
                            + " (SQLSTATE " + e.getSQLState() + "): " + e.getMessage(),
                    e);
        }
    }
}
