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

/**
 * The {@code redis_string} destination: one Redis string per row ({@code SET} on insert, update and read, {@code DEL}
 * on delete), a batch pipelined in order. Sequin's fields, routing keys and default batch size (10). See
 * docs/sinks/redis_string.md.
 */
public final class RedisStringProvider implements SinkProvider<RedisStringConfig> {
    public static final String TYPE = "redis_string";

    /** Sequin's {@code batch_size} for Redis String sinks. */
    static final int DEFAULT_BATCH_SIZE = 10;

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            RedisConnection.HOST,
            RedisConnection.PORT,
            RedisConnection.DATABASE,
            RedisConnection.TLS,
            RedisConnection.USERNAME,
            RedisConnection.PASSWORD,
            ConfigField.integer(
                            "expire_ms", "Time to live of each key set, in milliseconds (SET ... PX); none when absent")
                    .range(1, Long.MAX_VALUE / 1_000_000),
            ConfigField.string(
                            "mode",
                            "Sequin's routing mode, kept for compatibility; a routing function routes in" + " either")
                    .allowed("static", "dynamic")
                    .defaultValue("static"),
            ConfigField.integer(
                            "max_value_bytes",
                            "Largest value set, in bytes; larger ones are rejected. At most the server's"
                                    + " proto-max-bulk-len")
                    .range(1, Integer.MAX_VALUE)
                    .defaultValue((long) RedisStringConfig.DEFAULT_MAX_VALUE_BYTES),
            RedisConnection.REQUEST_TIMEOUT);

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Keeps one Redis string per row: SET on insert, update and read, DEL on delete, a batch pipelined";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<RedisStringConfig> configure(ConfigValues values) {
        return Configured.of(() -> {
            RedisConnection c = RedisConnection.of(values);
            Long expireMs = values.integer("expire_ms");
            return new RedisStringConfig(
                    c.host(),
                    c.port(),
                    c.database(),
                    c.tls(),
                    c.username(),
                    c.password(),
                    expireMs == null ? null : Duration.ofMillis(expireMs),
                    RedisStringConfig.Mode.of(Objects.requireNonNull(values.string("mode"))),
                    Math.toIntExact(Objects.requireNonNull(values.integer("max_value_bytes"))),
                    c.requestTimeout());
        });
    }

    @Override
    public Sink create(RedisStringConfig config, SinkContext context) {
        return new RedisStringSink(config);
    }

    @Override
    public CheckResult check(RedisStringConfig config, Duration timeout) {
        return RedisStringSink.probe(config, timeout);
    }

    /** Sequin's routing keys for Redis String sinks. */
    @Override
    public List<String> routingKeys() {
        return List.of(RedisStringSink.KEY, RedisStringSink.ACTION, RedisStringSink.EXPIRE_MS);
    }

    /** A command needs a key and a verb; {@code expire_ms} may be null (no expiry). */
    @Override
    public List<String> requiredRoutingKeys() {
        return List.of(RedisStringSink.KEY, RedisStringSink.ACTION);
    }

    @Override
    public int defaultBatchSize() {
        return DEFAULT_BATCH_SIZE;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(Map.of(
                "host", "redis-cache.example.com",
                "expire_ms", 3_600_000L,
                "username", "sluice",
                "password", "redis-string-example-secret-4f1a"));
    }
}
