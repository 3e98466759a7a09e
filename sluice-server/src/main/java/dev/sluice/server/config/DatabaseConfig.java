package dev.sluice.server.config;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A source Postgres database that Sluice captures changes from.
 *
 * @param name unique among databases; sinks refer to it
 * @param hostname host name or IP address (IPv6 without brackets)
 * @param port 1 to 65535
 * @param database the database name
 * @param username the role to connect as; it needs the REPLICATION attribute
 * @param password the password, or null to connect without one
 * @param ssl whether to require TLS ({@code sslmode=require}) rather than disable it
 * @param ipv6 whether to connect over IPv6 (kept for Sequin compatibility; the JDBC driver resolves either way)
 * @param slot the replication slot
 * @param publication the publication
 * @param poolSize the maximum number of ordinary (non-replication) connections, at least 1
 * @param primary when this database is a read replica, its primary; else null
 * @param heartbeatInterval how often to emit a heartbeat message while streaming, so that the slot advances
 *     when the database has no writes of its own; zero turns heartbeats off
 * @param annotationsJson a JSON object, carried into every message's {@code metadata.database.annotations}
 */
public record DatabaseConfig(
        String name,
        String hostname,
        int port,
        String database,
        String username,
        @Nullable String password,
        boolean ssl,
        boolean ipv6,
        SlotConfig slot,
        PublicationConfig publication,
        int poolSize,
        @Nullable PrimaryConfig primary,
        Duration heartbeatInterval,
        String annotationsJson) {
    static final int DEFAULT_PORT = 5432;
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(30);
    /** The shortest interval allowed when heartbeats are on. */
    static final Duration MIN_HEARTBEAT_INTERVAL = Duration.ofSeconds(1);

    static final int DEFAULT_POOL_SIZE = 10;
    static final String DEFAULT_USERNAME = "postgres";
    private static final Set<String> LOCAL_HOSTS = Set.of("localhost", "127.0.0.1", "::1");

    public DatabaseConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(annotationsJson, "annotationsJson");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(slot, "slot");
        Objects.requireNonNull(publication, "publication");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
        }
        if (poolSize < 1) {
            throw new IllegalArgumentException("poolSize must be at least 1, got " + poolSize);
        }
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        if (!heartbeatInterval.isZero() && heartbeatInterval.compareTo(MIN_HEARTBEAT_INTERVAL) < 0) {
            throw new IllegalArgumentException("heartbeatInterval must be 0 or at least 1 s, got " + heartbeatInterval);
        }
    }

    /**
     * The default for {@code ssl} when the file does not say: off for the loopback host names {@code localhost},
     * {@code 127.0.0.1} and {@code ::1}, where TLS buys nothing and local servers rarely have it, and on for every
     * other host, so that credentials never cross a network in clear text unless the file asks for it.
     */
    static boolean defaultSsl(String hostname) {
        return !LOCAL_HOSTS.contains(hostname.toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * A JDBC URL for this database, such as {@code jdbc:postgresql://db.example.com:5432/app?sslmode=require}.
     * It holds no credentials: pass {@link #username()} and {@link #password()} as connection properties.
     */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + hostPort() + "/" + encode(database) + "?sslmode=" + (ssl ? "require" : "disable");
    }

    /** How the replication engine reaches this database. */
    public dev.sluice.postgres.replication.SourceSettings sourceSettings() {
        dev.sluice.postgres.replication.SourceSettings p = primary == null
                ? null
                : new dev.sluice.postgres.replication.SourceSettings(
                        primary.hostname(),
                        primary.port(),
                        primary.database(),
                        primary.username(),
                        primary.password(),
                        primary.ssl(),
                        ipv6,
                        slot.name(),
                        publication.name(),
                        false,
                        publication.createIfNotExists());
        return new dev.sluice.postgres.replication.SourceSettings(
                hostname,
                port,
                database,
                username,
                password,
                ssl,
                ipv6,
                slot.name(),
                publication.name(),
                slot.createIfNotExists(),
                publication.createIfNotExists(),
                p);
    }

    /** A URL to show to people, with the user but never the password: {@code postgres://app@db:5432/app}. */
    public String displayUrl() {
        return "postgres://" + encode(username) + "@" + hostPort() + "/" + encode(database)
                + (ssl ? "?sslmode=require" : "?sslmode=disable");
    }

    private String hostPort() {
        return (hostname.indexOf(':') >= 0 ? "[" + hostname + "]" : hostname) + ":" + port;
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Like the generated one, but without the password. */
    @Override
    public String toString() {
        return "DatabaseConfig[name=" + name + ", url=" + displayUrl() + ", password="
                + (password == null ? "none" : "***")
                + ", ipv6=" + ipv6 + ", slot=" + slot + ", publication=" + publication + ", poolSize=" + poolSize
                + ", heartbeatInterval=" + heartbeatInterval
                + (primary == null ? "" : ", primary=" + primary) + "]";
    }
}
