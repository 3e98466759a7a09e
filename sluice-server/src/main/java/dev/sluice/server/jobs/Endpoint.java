package dev.sluice.server.jobs;

import dev.sluice.server.config.PostgresUrl;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * One side of a job (its source or target), from the spec's URL: connects to the URL's database or another one on
 * the same server. {@link #toString()} shows no password.
 */
record Endpoint(String role, PostgresUrl url) {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    static Endpoint of(String role, String url) {
        return new Endpoint(role, PostgresUrl.parse(url));
    }

    Connection connect() throws SQLException {
        return connect(url.database());
    }

    Connection connect(String database) throws SQLException {
        return connect(database, false);
    }

    /** A walsender connection to {@code database}, for replication commands (creating a slot with its snapshot). */
    Connection connectReplication(String database) throws SQLException {
        return connect(database, true);
    }

    /** Whether connections to this endpoint use TLS: as the URL says, else as the server answered. */
    boolean usesTls(Connection c) throws SQLException {
        if (url.ssl() != null) {
            return url.ssl();
        }
        try (java.sql.Statement s = c.createStatement();
                java.sql.ResultSet rs = s.executeQuery(
                        "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private Connection connect(String database, boolean replication) throws SQLException {
        String host = url.host().contains(":") ? "[" + url.host() + "]" : url.host();
        String jdbc = "jdbc:postgresql://" + host + ":" + (url.port() == null ? 5432 : url.port()) + "/"
                + URLEncoder.encode(database, StandardCharsets.UTF_8);
        Properties p = new Properties();
        if (url.user() != null) {
            p.setProperty("user", url.user());
        }
        if (url.password() != null) {
            p.setProperty("password", url.password());
        }
        // No sslmode in the URL: try TLS, fall back to plain, as libpq's default "prefer" does.
        p.setProperty("sslmode", url.ssl() == null ? "prefer" : url.ssl() ? "require" : "disable");
        p.setProperty("connectTimeout", Long.toString(CONNECT_TIMEOUT.toSeconds()));
        // A server that accepts the connection and then says nothing must not hang the job.
        p.setProperty("loginTimeout", Long.toString(CONNECT_TIMEOUT.toSeconds()));
        p.setProperty("ApplicationName", "sluice-job");
        if (replication) {
            p.setProperty("replication", "database");
            p.setProperty("preferQueryMode", "simple");
            p.setProperty("assumeMinServerVersion", "10");
        }
        return DriverManager.getConnection(jdbc, p);
    }

    /** {@code user@host:port/database}, for messages. */
    String display() {
        return (url.user() == null ? "" : url.user() + "@") + url.host() + ":"
                + (url.port() == null ? 5432 : url.port()) + "/" + url.database();
    }

    @Override
    public String toString() {
        return role + " " + display();
    }
}
