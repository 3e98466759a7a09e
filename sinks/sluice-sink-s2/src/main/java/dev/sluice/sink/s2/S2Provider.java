package dev.sluice.sink.s2;

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
 * The {@code s2} destination: each message appended as one record to an <a href="https://s2.dev">S2</a> stream.
 * Sequin's fields, routing keys and default batch size (10), plus Sluice's {@code endpoint_url} and {@code
 * request_timeout_ms}. See docs/sinks/s2.md.
 */
public final class S2Provider implements SinkProvider<S2Config> {
    public static final String TYPE = "s2";

    /** Sequin's {@code batch_size} for S2 sinks. */
    static final int DEFAULT_BATCH_SIZE = 10;

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("basin", "The S2 basin: 8 to 48 lowercase letters, digits and hyphens")
                    .asRequired(),
            ConfigField.string("stream", "The stream records are appended to, at most 512 bytes")
                    .asRequired(),
            ConfigField.string("access_token", "S2 access token, sent as a bearer token")
                    .asRequired()
                    .asSecret(),
            ConfigField.string(
                    "endpoint_url",
                    "Sluice only: the API's base URL (self-hosted S2, tests), such as http://localhost:8080/v1;"
                            + " S2's cloud when absent"),
            ConfigField.integer("request_timeout_ms", "How long one request may take")
                    .range(1, 3_600_000)
                    .defaultValue(S2Config.DEFAULT_REQUEST_TIMEOUT.toMillis()));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Appends each message as a record to an S2 stream, a batch in ordered appends";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<S2Config> configure(ConfigValues values) {
        return Configured.of(() -> new S2Config(
                Objects.requireNonNull(values.string("basin")),
                Objects.requireNonNull(values.string("stream")),
                Objects.requireNonNull(values.string("access_token")),
                S2Config.endpoint(values.string("endpoint_url")),
                Duration.ofMillis(Objects.requireNonNull(values.integer("request_timeout_ms")))));
    }

    @Override
    public Sink create(S2Config config, SinkContext context) {
        return new S2Sink(config);
    }

    @Override
    public CheckResult check(S2Config config, Duration timeout) {
        return S2Sink.probe(config, timeout);
    }

    /** Sequin's routing keys for S2 sinks. */
    @Override
    public List<String> routingKeys() {
        return List.of(S2Sink.BASIN, S2Sink.STREAM);
    }

    /** A record needs a basin and a stream. */
    @Override
    public List<String> requiredRoutingKeys() {
        return List.of(S2Sink.BASIN, S2Sink.STREAM);
    }

    @Override
    public int defaultBatchSize() {
        return DEFAULT_BATCH_SIZE;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(Map.of("basin", "sluice-events", "stream", "orders", "access_token", "s2-example-token-8e21c"));
    }
}
