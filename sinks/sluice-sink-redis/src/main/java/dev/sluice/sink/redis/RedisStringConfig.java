package dev.sluice.sink.redis;

import dev.sluice.core.sink.InvalidConfigException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of a {@link RedisStringSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. Field names are Sequin's ({@code host}, {@code port}, {@code database}, {@code
 * tls}, {@code username}, {@code password}, {@code expire_ms}, {@code mode}), plus Sluice's {@code max_value_bytes}
 * and {@code request_timeout_ms}; the connection fields are checked as every Redis sink's are ({@link
 * RedisConnection}).
 *
 * <p>{@link #toString()} never shows the password.
 *
 * @param host the Redis server's host name or address
 * @param port its port, 1 to 65535
 * @param database the logical database selected on connect, 0 or more
 * @param tls whether to connect with TLS, verifying the server's certificate and host name
 * @param username the ACL user, with {@code password}; null for the {@code default} user
 * @param password the password ({@code AUTH}); null when the server takes none
 * @param expire how long a key lives after it is set ({@code SET ... PX}); null: keys never expire. Whole
 *     milliseconds, positive
 * @param mode Sequin's {@code mode}; kept and shown, see {@link Mode}
 * @param maxValueBytes the largest value, in bytes, that is set; larger ones are rejected. At most the server's
 *     {@code proto-max-bulk-len}
 * @param requestTimeout how long connecting, or one batch's round trip, may take; positive
 */
public record RedisStringConfig(
        String host,
        int port,
        int database,
        boolean tls,
        @Nullable String username,
        @Nullable String password,
        @Nullable Duration expire,
        Mode mode,
        int maxValueBytes,
        Duration requestTimeout) {
    /** Redis' default {@code proto-max-bulk-len} (512 MB): the largest value a server takes by default. */
    public static final int DEFAULT_MAX_VALUE_BYTES = RedisConnection.PROTO_MAX_BULK_LEN;
    /** Sequin's limit on the length of a routed {@code key}. */
    public static final int MAX_KEY_LENGTH = 512;

    /**
     * Sequin's {@code mode}: {@code static} (the sink's own settings) or {@code dynamic} (a routing function sets the
     * key). Sluice routes whenever the sink names a {@code routing} function, so the mode is kept and shown for
     * Sequin's sake and changes nothing.
     */
    public enum Mode {
        STATIC,
        DYNAMIC;

        /** The name users write. */
        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The mode {@code value} names ({@code static} or {@code dynamic}). */
        static Mode of(String value) {
            for (Mode m : values()) {
                if (m.value().equalsIgnoreCase(value.strip())) {
                    return m;
                }
            }
            throw new InvalidConfigException("mode", "must be static or dynamic, got '" + value + "'");
        }
    }

    public RedisStringConfig {
        Objects.requireNonNull(mode, "mode");
        RedisConnection checked = new RedisConnection(host, port, database, tls, username, password, requestTimeout);
        host = checked.host();
        username = checked.username();
        password = checked.password();
        if (expire != null) {
            String problem = expireProblem(expire.toMillis());
            if (problem != null || expire.getNano() % 1_000_000 != 0) {
                throw new InvalidConfigException(
                        "expire_ms", problem != null ? problem : "is whole milliseconds, got " + expire);
            }
        }
        if (maxValueBytes < 1) {
            throw new InvalidConfigException("max_value_bytes", "must be positive, got " + maxValueBytes);
        }
    }

    /** With Sluice's defaults for {@code max_value_bytes} and {@code request_timeout_ms}. */
    public RedisStringConfig(
            String host,
            int port,
            int database,
            boolean tls,
            @Nullable String username,
            @Nullable String password,
            @Nullable Duration expire,
            Mode mode) {
        this(
                host,
                port,
                database,
                tls,
                username,
                password,
                expire,
                mode,
                DEFAULT_MAX_VALUE_BYTES,
                RedisConnection.DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * What makes {@code key} unusable as a routed key (Sequin's rules: 1 to {@value #MAX_KEY_LENGTH} characters, no
     * whitespace), or null when it is usable.
     */
    static @Nullable String keyProblem(String key) {
        if (key.isEmpty()) {
            return "is empty";
        }
        if (key.length() > MAX_KEY_LENGTH) {
            return "is " + key.length() + " characters long; at most " + MAX_KEY_LENGTH;
        }
        if (key.chars().anyMatch(Character::isWhitespace)) {
            return "cannot contain whitespace";
        }
        return null;
    }

    /** What makes {@code millis} unusable as {@code expire_ms} (not positive), or null when it is usable. */
    static @Nullable String expireProblem(long millis) {
        return millis < 1 ? "must be a positive number of milliseconds, got " + millis : null;
    }

    /** {@code host:port}, for messages. */
    public String address() {
        return connection().address();
    }

    /** The connection fields, shared with the other Redis sinks. */
    RedisConnection connection() {
        return new RedisConnection(host, port, database, tls, username, password, requestTimeout);
    }

    @Override
    public String toString() {
        return "RedisStringConfig[host=" + host + ", port=" + port + ", database=" + database + ", tls=" + tls
                + ", username=" + username + ", password=" + (password == null ? "null" : "***") + ", expireMs="
                + (expire == null ? "null" : expire.toMillis()) + ", mode=" + mode.value() + ", maxValueBytes="
                + maxValueBytes + ", requestTimeout=" + requestTimeout.toMillis() + " ms]";
    }
}
