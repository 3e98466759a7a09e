package dev.sluice.sink.rabbitmq;

import dev.sluice.core.sink.InvalidConfigException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of a {@link RabbitMqSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. Field names are Sequin's ({@code host}, {@code port}, {@code username},
 * {@code password}, {@code virtual_host}, {@code tls}, {@code exchange}), plus Sluice's {@code max_message_bytes} and
 * {@code request_timeout_ms}.
 *
 * <p>{@link #toString()} never shows the password.
 *
 * @param host the broker's host name or address
 * @param port its AMQP port, 1 to 65535
 * @param username the user to log in as (PLAIN); Sequin's default {@code guest}
 * @param password the user's password; null for Sequin's default {@code guest}
 * @param virtualHost the virtual host to open, such as {@code /}
 * @param tls whether to connect with TLS, verifying the broker's certificate and host name against the JVM's trusted
 *     CAs
 * @param exchange the exchange every message is published to; 1 to 255 bytes (an AMQP short string)
 * @param maxMessageBytes the largest message JSON, in bytes, published; larger ones are rejected. At most the
 *     broker's {@code max_message_size}
 * @param requestTimeout how long connecting, or one batch's publishing and confirms, may take; positive
 */
public record RabbitMqConfig(
        String host,
        int port,
        String username,
        @Nullable String password,
        String virtualHost,
        boolean tls,
        String exchange,
        int maxMessageBytes,
        Duration requestTimeout) {
    /** The AMQP port when none is configured (Sequin's default). */
    public static final int DEFAULT_PORT = 5672;
    /** Sequin's default user (and password). */
    public static final String DEFAULT_USERNAME = "guest";
    /** The virtual host when none is configured. */
    public static final String DEFAULT_VIRTUAL_HOST = "/";
    /** RabbitMQ's default {@code max_message_size} (3.8 to 3.13): 128 MiB. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;
    /** RabbitMQ's ceiling for {@code max_message_size}: 512 MiB. */
    public static final int MAX_MESSAGE_BYTES_CEILING = 512 * 1024 * 1024;
    /** How long connecting, or a batch's confirms, may take by default. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(15);
    /** Longest AMQP short string, in UTF-8 bytes: exchange names, routing keys, message ids, header names. */
    static final int MAX_SHORT_STRING_BYTES = 255;

    public RabbitMqConfig {
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (host == null || host.isBlank()) {
            throw new InvalidConfigException("host", "is required, like rabbitmq.example.com or 10.0.0.5");
        }
        host = host.strip();
        if (host.contains("://") || host.contains("/") || host.chars().anyMatch(Character::isWhitespace)) {
            throw new InvalidConfigException(
                    "host",
                    "is a host name or address only, got '" + host
                            + "'; put the port in port, the virtual host in virtual_host and use tls");
        }
        if (port < 1 || port > 65_535) {
            throw new InvalidConfigException("port", "must be between 1 and 65535, got " + port);
        }
        username = username == null || username.isBlank() ? DEFAULT_USERNAME : username.strip();
        password = password == null || password.isEmpty() ? null : password;
        if (virtualHost == null || virtualHost.isEmpty()) {
            throw new InvalidConfigException("virtual_host", "is empty; RabbitMQ's default virtual host is /");
        }
        String vhostProblem = shortStringProblem(virtualHost);
        if (vhostProblem != null) {
            throw new InvalidConfigException("virtual_host", vhostProblem);
        }
        if (exchange == null || exchange.isEmpty()) {
            throw new InvalidConfigException("exchange", "is required: the exchange messages are published to");
        }
        String exchangeProblem = exchangeProblem(exchange);
        if (exchangeProblem != null) {
            throw new InvalidConfigException("exchange", exchangeProblem);
        }
        if (maxMessageBytes < 1 || maxMessageBytes > MAX_MESSAGE_BYTES_CEILING) {
            throw new InvalidConfigException(
                    "max_message_bytes",
                    "must be between 1 and " + MAX_MESSAGE_BYTES_CEILING + " (RabbitMQ's ceiling), got "
                            + maxMessageBytes);
        }
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new InvalidConfigException(
                    "request_timeout_ms", "must be positive, got " + requestTimeout.toMillis() + " ms");
        }
    }

    /** With Sluice's defaults for {@code max_message_bytes} and {@code request_timeout_ms}. */
    public RabbitMqConfig(
            String host,
            int port,
            String username,
            @Nullable String password,
            String virtualHost,
            boolean tls,
            String exchange) {
        this(
                host,
                port,
                username,
                password,
                virtualHost,
                tls,
                exchange,
                DEFAULT_MAX_MESSAGE_BYTES,
                DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * What makes {@code exchange} unusable as an exchange name (empty, longer than 255 bytes, or characters RabbitMQ
     * refuses), or null when it is usable. For the configured exchange and for one a routing function chose.
     */
    static @Nullable String exchangeProblem(String exchange) {
        if (exchange.isEmpty()) {
            return "is empty; name an exchange (the default exchange is not supported, as in Sequin)";
        }
        String problem = shortStringProblem(exchange);
        if (problem != null) {
            return problem;
        }
        // A name with a control character cannot be typed into a binding or the management UI: surely a mistake.
        if (exchange.chars().anyMatch(Character::isISOControl)) {
            return "has a control character";
        }
        return null;
    }

    /** What makes {@code s} too long for an AMQP short string, or null. */
    static @Nullable String shortStringProblem(String s) {
        int bytes = s.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_SHORT_STRING_BYTES) {
            return "is " + bytes + " bytes long (UTF-8); at most " + MAX_SHORT_STRING_BYTES;
        }
        return null;
    }

    /** The password to log in with: the configured one, else Sequin's default {@code guest}. */
    String effectivePassword() {
        return password == null ? DEFAULT_USERNAME : password;
    }

    /** {@code host:port}, for messages. */
    public String address() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
        return "RabbitMqConfig[host=" + host + ", port=" + port + ", username=" + username + ", password="
                + (password == null ? "null" : "***") + ", virtualHost=" + virtualHost + ", tls=" + tls
                + ", exchange=" + exchange + ", maxMessageBytes=" + maxMessageBytes + ", requestTimeout="
                + requestTimeout.toMillis() + " ms]";
    }
}
