package dev.sluice.sink.pubsub;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.ConfigSchema;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.InvalidConfigException;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkProvider;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@code gcp_pubsub} destination: publishes each message to a Google Cloud Pub/Sub topic through the REST API,
 * the group id as the ordering key. Sequin's fields and default batch size (10). See docs/sinks/gcp_pubsub.md.
 */
public final class PubSubProvider implements SinkProvider<PubSubConfig> {
    public static final String TYPE = "gcp_pubsub";

    /** Sequin's batch size for Pub/Sub sinks (its pipeline's batcher). */
    static final int DEFAULT_BATCH_SIZE = 10;

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("project_id", "The Google Cloud project of the topic")
                    .asRequired(),
            ConfigField.string("topic_id", "The topic messages are published to")
                    .asRequired(),
            ConfigField.string(
                            "credentials",
                            "A service account's JSON key file (as text, or base64-encoded); not needed with the"
                                    + " emulator")
                    .asSecret(),
            ConfigField.bool("use_emulator", "Publish to a Pub/Sub emulator at emulator_base_url, without credentials")
                    .defaultValue(false),
            ConfigField.string("emulator_base_url", "The emulator's base URL, like http://localhost:8085"),
            ConfigField.string(
                            "endpoint_url",
                            "The service's base URL: Google's global endpoint, or a locational one such as"
                                    + " https://us-east1-pubsub.googleapis.com")
                    .defaultValue(PubSubConfig.DEFAULT_ENDPOINT.toString()),
            ConfigField.integer("request_timeout_ms", "How long one request (token, publish, topic look-up) may take")
                    .range(1, 3_600_000)
                    .defaultValue(PubSubConfig.DEFAULT_REQUEST_TIMEOUT.toMillis()));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Publishes each message to a Google Cloud Pub/Sub topic (REST API), the group id as the ordering key";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<PubSubConfig> configure(ConfigValues values) {
        return Configured.of(() -> {
            String credentials = values.string("credentials");
            return new PubSubConfig(
                    Objects.requireNonNull(values.string("project_id")),
                    Objects.requireNonNull(values.string("topic_id")),
                    credentials == null || credentials.isBlank() ? null : credentials,
                    values.flag("use_emulator"),
                    url("emulator_base_url", values.string("emulator_base_url")),
                    Objects.requireNonNull(url("endpoint_url", values.string("endpoint_url"))),
                    Duration.ofMillis(Objects.requireNonNull(values.integer("request_timeout_ms"))));
        });
    }

    private static @Nullable URI url(String field, @Nullable String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return URI.create(text.strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException(field, "is not a URL: '" + text + "'");
        }
    }

    @Override
    public Sink create(PubSubConfig config, SinkContext context) {
        return new PubSubSink(config);
    }

    @Override
    public CheckResult check(PubSubConfig config, Duration timeout) throws InterruptedException {
        return PubSubSink.probe(config, timeout);
    }

    /** Sequin's routing key for Pub/Sub sinks. */
    @Override
    public List<String> routingKeys() {
        return List.of(PubSubSink.TOPIC_ID);
    }

    /** A message needs a topic. */
    @Override
    public List<String> requiredRoutingKeys() {
        return List.of(PubSubSink.TOPIC_ID);
    }

    @Override
    public int defaultBatchSize() {
        return DEFAULT_BATCH_SIZE;
    }

    /** An example key file: its private key is a throwaway made for this example, found nowhere else. */
    @Override
    public List<Map<String, Object>> examples() {
        return List.of(Map.of(
                "project_id", "my-project",
                "topic_id", "orders",
                "credentials", ExampleKey.JSON));
    }
}
