package dev.sluice.sink.redis;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.InvalidConfigException;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLParameters;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.jspecify.annotations.Nullable;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.Connection;
import redis.clients.jedis.ConnectionPool;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisException;

/**
 * How a Redis sink reaches its server: the connection fields every Redis destination shares ({@code host}, {@code
 * port}, {@code database}, {@code tls}, {@code username}, {@code password}, Sequin's names, plus Sluice's {@code
 * request_timeout_ms}), checked in one place, and the client made from them.
 *
 * <p>{@link #toString()} never shows the password.
 *
 * @param host the server's host name or address, stripped
 * @param port its port, 1 to 65535
 * @param database the logical database selected on connect, 0 or more
 * @param tls whether to connect with TLS, verifying the certificate and host name against the JVM's trusted CAs
 * @param username the ACL user, with {@code password}; null for the {@code default} user
 * @param password the password ({@code AUTH}); null when the server takes none
 * @param requestTimeout how long connecting, or one round trip, may take; positive
 */
record RedisConnection(
        String host,
        int port,
        int database,
        boolean tls,
        @Nullable String username,
        @Nullable String password,
        Duration requestTimeout) {
    /** Redis' port when none is configured. */
    static final int DEFAULT_PORT = 6379;
    /** Sequin's command timeout. */
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(15);
    /** Redis' default {@code proto-max-bulk-len} (512 MB): the largest single value a server takes by default. */
    static final int PROTO_MAX_BULK_LEN = 512 * 1024 * 1024;

    private static final int MAX_CONNECTIONS = 8;

    static final ConfigField HOST = ConfigField.string("host", "The Redis server's host name or address")
            .asRequired();
    static final ConfigField PORT = ConfigField.integer("port", "The Redis server's port")
            .range(1, 65_535)
            .defaultValue((long) DEFAULT_PORT);
    static final ConfigField DATABASE = ConfigField.integer("database", "The logical database selected on connect")
            .range(0, Integer.MAX_VALUE)
            .defaultValue(0L);
    static final ConfigField TLS = ConfigField.bool(
                    "tls", "Connect with TLS, verifying the certificate against the JVM's trusted CAs")
            .defaultValue(false);
    static final ConfigField USERNAME =
            ConfigField.string("username", "ACL user, with password; the default user when absent");
    static final ConfigField PASSWORD =
            ConfigField.string("password", "Password (AUTH)").asSecret();
    static final ConfigField REQUEST_TIMEOUT = ConfigField.integer(
                    "request_timeout_ms", "How long connecting, or one batch's round trip, may take")
            .range(1, 3_600_000)
            .defaultValue(DEFAULT_REQUEST_TIMEOUT.toMillis());

    RedisConnection {
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (host == null || host.isBlank()) {
            throw new InvalidConfigException("host", "is required, like redis.example.com or 10.0.0.5");
        }
        host = host.strip();
        if (host.contains("://") || host.contains("/") || host.chars().anyMatch(Character::isWhitespace)) {
            throw new InvalidConfigException(
                    "host", "is a host name or address only, got '" + host + "'; put the port in port and use tls");
        }
        if (port < 1 || port > 65_535) {
            throw new InvalidConfigException("port", "must be between 1 and 65535, got " + port);
        }
        if (database < 0) {
            throw new InvalidConfigException("database", "must be 0 or more, got " + database);
        }
        username = username == null || username.isBlank() ? null : username.strip();
        password = password == null || password.isEmpty() ? null : password;
        if (username != null && password == null) {
            throw new InvalidConfigException(
                    "password", "is required with username: Redis authenticates an ACL user with its password");
        }
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new InvalidConfigException(
                    "request_timeout_ms", "must be positive, got " + requestTimeout.toMillis() + " ms");
        }
    }

    /** The connection fields of checked {@code values} (the schema declares them with the constants above). */
    static RedisConnection of(ConfigValues values) {
        return new RedisConnection(
                Objects.requireNonNull(values.string(HOST.name())),
                Math.toIntExact(Objects.requireNonNull(values.integer(PORT.name()))),
                Math.toIntExact(Objects.requireNonNull(values.integer(DATABASE.name()))),
                values.flag(TLS.name()),
                values.string(USERNAME.name()),
                values.string(PASSWORD.name()),
                Duration.ofMillis(Objects.requireNonNull(values.integer(REQUEST_TIMEOUT.name()))));
    }

    /** {@code host:port}, for messages. */
    String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** The client settings: timeouts, {@code AUTH}, {@code SELECT}, TLS with host name verification. */
    JedisClientConfig clientConfig(Duration timeout) {
        int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
        DefaultJedisClientConfig.Builder b = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(millis)
                .socketTimeoutMillis(millis)
                .database(database)
                .user(username)
                .password(password);
        if (tls) {
            SSLParameters params = new SSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS"); // verify the host name, not just the chain
            b.ssl(true).sslParameters(params);
        }
        return b.build();
    }

    /** A small pool of connections for a sink; none is opened until the first is borrowed. */
    ConnectionPool pool() {
        GenericObjectPoolConfig<Connection> poolConfig = new GenericObjectPoolConfig<>();
        poolConfig.setMaxTotal(MAX_CONNECTIONS);
        poolConfig.setMaxIdle(MAX_CONNECTIONS);
        poolConfig.setMaxWait(requestTimeout);
        poolConfig.setJmxEnabled(false);
        return new ConnectionPool(new HostAndPort(host, port), clientConfig(requestTimeout), poolConfig);
    }

    /** A new connection for {@code test_connection}, with its own timeout. */
    Connection connect(Duration timeout) {
        return new Connection(new HostAndPort(host, port), clientConfig(timeout));
    }

    /**
     * {@code test_connection} for a sink that needs nothing but a working connection: connects (with {@code AUTH}
     * and {@code SELECT}) and sends {@code PING}. {@code what} names the target in the detail. Never throws for the
     * server's answer.
     */
    CheckResult ping(String what, Duration timeout) {
        try (Connection c = connect(timeout)) {
            c.executeCommand(new CommandArguments(Protocol.Command.PING));
            return CheckResult.OK;
        } catch (JedisException e) {
            return CheckResult.failed(RedisFailure.status(e), what + ": " + RedisFailure.describe(e));
        }
    }

    @Override
    public String toString() {
        return "RedisConnection[host=" + host + ", port=" + port + ", database=" + database + ", tls=" + tls
                + ", username=" + username + ", password=" + (password == null ? "null" : "***")
                + ", requestTimeout=" + requestTimeout.toMillis() + " ms]";
    }
}
