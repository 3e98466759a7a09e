package dev.sluice.server.api;

import dev.sluice.postgres.replication.SourceException;
import dev.sluice.postgres.replication.SourcePreflight;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.server.config.DatabaseConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Checks that a source database can be replicated as configured, with a reason fit for a 422 when not. */
final class ConnectionCheck {
    private ConnectionCheck() {}

    /**
     * Connects, checks a replica's primary, then (when {@code replication}) checks wal_level, the role's REPLICATION
     * attribute, the publication and the slot, creating them when the configuration asks for it. Returns null when
     * all is well, else the reason.
     */
    static @Nullable String check(DatabaseConfig d, boolean replication) {
        SourceSettings s = d.sourceSettings();
        try (Connection c = DriverManager.getConnection(s.jdbcUrl(), s.properties(false))) {
            if (s.primary() != null) {
                SourcePreflight.checkReplicaSetup(c, s);
            }
            if (replication) {
                SourcePreflight.run(c, s);
            }
            return null;
        } catch (SQLException e) {
            return SourceException.classify(e, s, "connecting").getMessage();
        } catch (SourceException e) {
            return e.getMessage();
        } catch (RuntimeException e) {
            return "cannot connect to " + s.describe() + ": " + e.getMessage();
        }
    }

    /** The tables in the database's publication, as {@code schema.table}. */
    static List<String> publishedTables(DatabaseConfig d) throws SQLException {
        SourceSettings s = d.sourceSettings();
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(s.jdbcUrl(), s.properties(false));
                PreparedStatement ps =
                        c.prepareStatement("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?"
                                + " ORDER BY schemaname, tablename")) {
            ps.setString(1, s.publicationName());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new dev.sluice.core.TableId(rs.getString(1), rs.getString(2)).toString());
                }
            }
        }
        return out;
    }
}
