package dev.sluice.sink.postgres;

import dev.sluice.core.sink.InvalidConfigException;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of a {@link PostgresSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. {@link #toString()} never shows the password.
 *
 * @param host the target server's host name or address
 * @param port its port
 * @param database the target database
 * @param username the role changes are applied as
 * @param password its password; null when the server takes none
 * @param ssl whether to require TLS ({@code sslmode=require}); off is {@code sslmode=disable}
 * @param targetSchema the schema every table is written to; null for the source table's own schema
 * @param autoAddColumns whether a column the target table lacks is added to it (with the source column's type)
 *     instead of failing the sink
 * @param skipTargetTriggers whether changes are applied with {@code session_replication_role = replica}, as
 *     Postgres's own logical replication applies them: foreign keys and ordinary triggers on the target do not fire,
 *     so batches applied in parallel never trip over a row another batch has not written yet
 * @param maxConnections how many batches may be applied at once, each on its own connection
 * @param statementTimeout how long one batch's transaction may take
 */
public record PostgresSinkConfig(
        String host,
        int port,
        String database,
        String username,
        @Nullable String password,
        boolean ssl,
        @Nullable String targetSchema,
        boolean autoAddColumns,
        boolean skipTargetTriggers,
        int maxConnections,
        Duration statementTimeout) {
    public static final int DEFAULT_PORT = 5432;
    public static final int DEFAULT_MAX_CONNECTIONS = 4;
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(60);

    public PostgresSinkConfig {
        Objects.requireNonNull(statementTimeout, "statementTimeout");
        if (host == null || host.isBlank()) {
            throw new InvalidConfigException("host", "is required, like db.example.com or 10.0.0.5");
        }
        host = host.strip();
        if (host.contains("://") || host.contains("/") || host.chars().anyMatch(Character::isWhitespace)) {
            throw new InvalidConfigException(
                    "host", "is a host name or address only, got '" + host + "'; put the port in port");
        }
        if (port < 1 || port > 65_535) {
            throw new InvalidConfigException("port", "must be between 1 and 65535, got " + port);
        }
        if (database == null || database.isBlank()) {
            throw new InvalidConfigException(
                    "database_name", "is required: the target database changes are applied to");
        }
        if (username == null || username.isBlank()) {
            throw new InvalidConfigException("username", "is required: the role changes are applied as");
        }
        password = password == null || password.isEmpty() ? null : password;
        targetSchema = targetSchema == null || targetSchema.isBlank() ? null : targetSchema;
        if (maxConnections < 1) {
            throw new InvalidConfigException("max_connections", "must be at least 1, got " + maxConnections);
        }
        if (statementTimeout.isZero() || statementTimeout.isNegative()) {
            throw new InvalidConfigException(
                    "statement_timeout_ms", "must be positive, got " + statementTimeout.toMillis());
        }
    }

    /** The JDBC URL, without credentials. */
    String jdbcUrl() {
        return "jdbc:postgresql://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/"
                + java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8)
                + "?sslmode=" + (ssl ? "require" : "disable")
                + "&ApplicationName=sluice-postgres-sink";
    }

    @Override
    public String toString() {
        return "PostgresSinkConfig[" + username + "@" + host + ":" + port + "/" + database + ", ssl=" + ssl
                + ", password=" + (password == null ? "none" : "***") + ", targetSchema=" + targetSchema
                + ", autoAddColumns=" + autoAddColumns + ", skipTargetTriggers=" + skipTargetTriggers
                + ", maxConnections=" + maxConnections + ", statementTimeout=" + statementTimeout + "]";
    }
}
