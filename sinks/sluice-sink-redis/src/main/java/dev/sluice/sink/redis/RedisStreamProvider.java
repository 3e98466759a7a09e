package dev.sluice.sink.redis;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.ConfigSchema;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkProvider;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The {@code redis_stream} destination (alias {@code redis}): {@code XADD} of each message to a Redis stream, a batch
 * in one transaction. Sequin's fields and default batch size (50). See docs/sinks/redis_stream.md.
 */
public final class RedisStreamProvider implements SinkProvider<RedisStreamConfig> {
    public static final String TYPE = "redis_stream";

    /** Sequin's {@code batch_size} for Redis Stream sinks. */
    static final int DEFAULT_BATCH_SIZE = 50;

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            RedisConnection.HOST,
            RedisConnection.PORT,
            ConfigField.string("stream_key", "The stream every entry is added to (XADD), at most 255 characters")
                    .asRequired(),
            RedisConnection.DATABASE,
            RedisConnection.TLS,
            RedisConnection.USERNAME,
            RedisConnection.PASSWORD,
            ConfigField.integer(
                            "max_entry_bytes",
                            "Largest message JSON sent as an entry, in bytes; larger ones are rejected. At most the"
                                    + " server's proto-max-bulk-len")
                    .range(1, Integer.MAX_VALUE)
                    .defaultValue((long) RedisStreamConfig.DEFAULT_MAX_ENTRY_BYTES),
            RedisConnection.REQUEST_TIMEOUT);

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Set<String> aliases() {
        return Set.of("redis");
    }

    @Override
    public String description() {
        return "Adds each message to a Redis stream (XADD), a batch in one MULTI/EXEC transaction";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<RedisStreamConfig> configure(ConfigValues values) {
        return Configured.of(() -> {
            RedisConnection c = RedisConnection.of(values);
            return new RedisStreamConfig(
                    c.host(),
                    c.port(),
                    Objects.requireNonNull(values.string("stream_key")),
                    c.database(),
                    c.tls(),
                    c.username(),
                    c.password(),
                    Math.toIntExact(Objects.requireNonNull(values.integer("max_entry_bytes"))),
                    c.requestTimeout());
        });
    }

    @Override
    public Sink create(RedisStreamConfig config, SinkContext context) {
        return new RedisStreamSink(config);
    }

    @Override
    public CheckResult check(RedisStreamConfig config, Duration timeout) {
        return RedisStreamSink.probe(config, timeout);
    }

    /** Sequin's routing key for Redis Stream sinks. */
    @Override
    public List<String> routingKeys() {
        return List.of(RedisStreamSink.STREAM_KEY);
    }

    /** An entry needs a stream. */
    @Override
    public List<String> requiredRoutingKeys() {
        return List.of(RedisStreamSink.STREAM_KEY);
    }

    @Override
    public int defaultBatchSize() {
        return DEFAULT_BATCH_SIZE;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(Map.of(
                "host", "redis.example.com",
                "stream_key", "orders",
                "username", "sluice",
                "password", "redis-example-secret-7d3b"));
    }
}
