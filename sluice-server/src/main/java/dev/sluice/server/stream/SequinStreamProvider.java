package dev.sluice.server.stream;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.ConfigSchema;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.InvalidConfigException;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkProvider;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The {@code sequin_stream} destination: messages wait in a {@link PullStream} until consumers pull and acknowledge
 * them over the API. It lives in the server because the API serves it; it is registered like any sink module's
 * provider. See docs/sinks/sequin_stream.md.
 */
public final class SequinStreamProvider implements SinkProvider<SequinStreamProvider.Config> {
    public static final String TYPE = "sequin_stream";
    static final long MAX_VISIBILITY_TIMEOUT_MS = 43_200_000;

    /**
     * @param visibilityTimeout how long a received message stays hidden from other consumers before it goes out again
     *     unless acknowledged
     */
    public record Config(Duration visibilityTimeout) {
        public Config {
            if (visibilityTimeout.isNegative() || visibilityTimeout.isZero()) {
                throw new InvalidConfigException("visibility_timeout_ms", "must be positive: " + visibilityTimeout);
            }
        }
    }

    private static final ConfigSchema SCHEMA = ConfigSchema.of(ConfigField.integer(
                    "visibility_timeout_ms",
                    "How long a received message is hidden from other consumers before it goes out again unless"
                            + " acknowledged")
            .range(1, MAX_VISIBILITY_TIMEOUT_MS)
            .defaultValue(30_000L));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Keeps messages in Sluice until consumers pull and acknowledge them with the sequin_streams routes";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<Config> configure(ConfigValues values) {
        return Configured.of(
                () -> new Config(Duration.ofMillis(Objects.requireNonNull(values.integer("visibility_timeout_ms")))));
    }

    @Override
    public Sink create(Config config, SinkContext context) {
        return new PullStream(config.visibilityTimeout());
    }

    /** Consumers come to Sluice: there is no peer to reach. */
    @Override
    public CheckResult check(Config config, Duration timeout) {
        return CheckResult.OK;
    }

    @Override
    public List<String> routingKeys() {
        return List.of();
    }

    @Override
    public int defaultBatchSize() {
        return 1;
    }
}
