package dev.sluice.sink.redis;

import dev.sluice.core.sink.InvalidConfigException;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of a {@link RedisStreamSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. Field names are Sequin's ({@code host}, {@code port}, {@code stream_key},
 * {@code database}, {@code tls}, {@code username}, {@code password}), plus Sluice's {@code max_entry_bytes} and
 * {@code request_timeout_ms}.
 *
 * <p>{@link #toString()} never shows the password.
 *
 * @param host the Redis server's host name or address
 * @param port its port, 1 to 65535
 * @param streamKey the stream every entry is added to; 1 to {@link #MAX_STREAM_KEY_LENGTH} characters (Sequin's
 *     limit)
 * @param database the logical database selected on connect, 0 or more
 * @param tls whether to connect with TLS, verifying the server's certificate and host name against the JVM's
 *     trusted CAs
 * @param username the ACL user, with {@code password}; null for the {@code default} user
 * @param password the password ({@code AUTH}); null when the server takes none
 * @param maxEntryBytes the largest message JSON, in bytes, sent as an entry; larger ones are rejected. At most the
 *     server's {@code proto-max-bulk-len}
 * @param requestTimeout how long connecting, or one transaction's round trip, may take; positive
 */
public record RedisStreamConfig(
        String host,
        int port,
        String streamKey,
        int database,
        boolean tls,
        @Nullable String username,
        @Nullable String password,
        int maxEntryBytes,
        Duration requestTimeout) {
    /** Redis' port when none is configured. */
    public static final int DEFAULT_PORT = RedisConnection.DEFAULT_PORT;
    /** Sequin's limit on the length of {@code stream_key}. */
    public static final int MAX_STREAM_KEY_LENGTH = 255;
    /** Redis' default {@code proto-max-bulk-len} (512 MB): the largest single value a server takes by default. */
    public static final int DEFAULT_MAX_ENTRY_BYTES = RedisConnection.PROTO_MAX_BULK_LEN;
    /** Sequin's command timeout. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = RedisConnection.DEFAULT_REQUEST_TIMEOUT;

    public RedisStreamConfig {
        RedisConnection checked = new RedisConnection(host, port, database, tls, username, password, requestTimeout);
        host = checked.host();
        username = checked.username();
        password = checked.password();
        if (streamKey == null || streamKey.isEmpty()) {
            throw new InvalidConfigException("stream_key", "is required: the stream entries are added to");
        }
        String keyProblem = streamKeyProblem(streamKey);
        if (keyProblem != null) {
            throw new InvalidConfigException("stream_key", keyProblem);
        }
        if (maxEntryBytes < 1) {
            throw new InvalidConfigException("max_entry_bytes", "must be positive, got " + maxEntryBytes);
        }
    }

    /** With Sluice's defaults for {@code max_entry_bytes} and {@code request_timeout_ms}. */
    public RedisStreamConfig(
            String host,
            int port,
            String streamKey,
            int database,
            boolean tls,
            @Nullable String username,
            @Nullable String password) {
        this(
                host,
                port,
                streamKey,
                database,
                tls,
                username,
                password,
                DEFAULT_MAX_ENTRY_BYTES,
                DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * What makes {@code streamKey} unusable as a stream key (empty, or over {@value #MAX_STREAM_KEY_LENGTH}
     * characters), or null when it is usable. For the configured key and for a key a routing function chose.
     */
    static @Nullable String streamKeyProblem(String streamKey) {
        if (streamKey.isEmpty()) {
            return "is empty";
        }
        if (streamKey.length() > MAX_STREAM_KEY_LENGTH) {
            return "is " + streamKey.length() + " characters long; at most " + MAX_STREAM_KEY_LENGTH;
        }
        return null;
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
        return "RedisStreamConfig[host=" + host + ", port=" + port + ", streamKey=" + streamKey + ", database="
                + database + ", tls=" + tls + ", username=" + username + ", password="
                + (password == null ? "null" : "***") + ", maxEntryBytes=" + maxEntryBytes + ", requestTimeout="
                + requestTimeout.toMillis() + " ms]";
    }
}
