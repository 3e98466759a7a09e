package dev.sluice.postgres.types;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** Reads {@code pg_type} through a JDBC connection: one query per unknown type. Not thread-safe. */
final class JdbcTypeCatalog implements TypeCatalog {
    // Follows domains to their base type and arrays to their element type in one round trip.
    private static final String SQL = "WITH RECURSIVE chain(oid) AS ("
            + " SELECT ?::int8::oid"
            + " UNION"
            + " SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.typelem END"
            + " FROM pg_catalog.pg_type t JOIN chain c ON t.oid = c.oid"
            + " WHERE (t.typtype = 'd' AND t.typbasetype <> 0)"
            + " OR (t.typcategory = 'A' AND t.typelem <> 0))"
            + " SELECT t.oid::int8, t.typname::text, t.typtype::text, t.typbasetype::int8,"
            + " t.typelem::int8, t.typdelim::text, t.typcategory::text"
            + " FROM pg_catalog.pg_type t JOIN chain c ON t.oid = c.oid";

    private final Connection connection;

    JdbcTypeCatalog(Connection connection) {
        this.connection = connection;
    }

    @Override
    public List<PgType> lookup(int oid) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(SQL)) {
            ps.setLong(1, Integer.toUnsignedLong(oid));
            List<PgType> types = new ArrayList<>(2);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    types.add(new PgType(
                            (int) rs.getLong(1),
                            rs.getString(2),
                            firstChar(rs.getString(3)),
                            (int) rs.getLong(4),
                            (int) rs.getLong(5),
                            firstChar(rs.getString(6)),
                            firstChar(rs.getString(7))));
                }
            }
            return types;
        }
    }

    private static char firstChar(String s) {
        return s == null || s.isEmpty() ? ' ' : s.charAt(0);
    }
}
