package dev.sluice.server.runtime;

import dev.sluice.core.TableId;
import dev.sluice.core.sink.SourceCatalog;
import dev.sluice.postgres.replication.SourceSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/** A sink's view of its source database's catalog: one short connection per lookup (lookups are rare and cached). */
record JdbcSourceCatalog(SourceSettings source) implements SourceCatalog {
    @Override
    public @Nullable String columnType(TableId table, String column) {
        try (Connection c = DriverManager.getConnection(source.jdbcUrl(), source.properties(false));
                PreparedStatement s = c.prepareStatement("SELECT format_type(a.atttypid, a.atttypmod)"
                        + " FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid"
                        + " JOIN pg_namespace n ON n.oid = r.relnamespace"
                        + " WHERE n.nspname = ? AND r.relname = ? AND a.attname = ? AND a.attnum > 0"
                        + " AND NOT a.attisdropped")) {
            s.setString(1, table.schema());
            s.setString(2, table.name());
            s.setString(3, column);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the source's catalog: " + e.getMessage(), e);
        }
    }
}
