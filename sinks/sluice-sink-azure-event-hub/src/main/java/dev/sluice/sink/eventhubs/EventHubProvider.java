package dev.sluice.sink.eventhubs;

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
 * The {@code azure_event_hub} destination: sends each message as an event to an Azure event hub through the REST API,
 * the group id as the partition key. Sequin's fields and default batch size (10). See docs/sinks/azure_event_hub.md.
 */
public final class EventHubProvider implements SinkProvider<EventHubConfig> {
    public static final String TYPE = "azure_event_hub";

    /** Sequin's batch size for Event Hubs sinks (its pipeline's batcher). */
    static final int DEFAULT_BATCH_SIZE = 10;

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("namespace", "The Event Hubs namespace's name, like my-namespace")
                    .asRequired(),
            ConfigField.string("event_hub_name", "The event hub events are sent to")
                    .asRequired(),
            ConfigField.string("shared_access_key_name", "The shared access policy's name")
                    .asRequired(),
            ConfigField.string("shared_access_key", "The policy's primary or secondary key")
                    .asRequired()
                    .asSecret(),
            ConfigField.string(
                    "endpoint_url",
                    "Where requests go instead of https://<namespace>.servicebus.windows.net (a proxy, a test"
                            + " double)"),
            ConfigField.integer(
                            "max_batch_bytes",
                            "Largest request, in bytes: the tier's event batch limit (1048576; 262144 on Basic)")
                    .range(1, 100L * 1024 * 1024)
                    .defaultValue((long) EventHubConfig.DEFAULT_MAX_BATCH_BYTES),
            ConfigField.integer("request_timeout_ms", "How long one request may take")
                    .range(1, 3_600_000)
                    .defaultValue(EventHubConfig.DEFAULT_REQUEST_TIMEOUT.toMillis()));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Sends each message as an event to an Azure event hub (REST API), the group id as the partition key";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<EventHubConfig> configure(ConfigValues values) {
        return Configured.of(() -> new EventHubConfig(
                Objects.requireNonNull(values.string("namespace")),
                Objects.requireNonNull(values.string("event_hub_name")),
                Objects.requireNonNull(values.string("shared_access_key_name")),
                Objects.requireNonNull(values.string("shared_access_key")),
                url(values.string("endpoint_url")),
                Math.toIntExact(Objects.requireNonNull(values.integer("max_batch_bytes"))),
                Duration.ofMillis(Objects.requireNonNull(values.integer("request_timeout_ms")))));
    }

    private static @Nullable URI url(@Nullable String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return URI.create(text.strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidConfigException("endpoint_url", "is not a URL: '" + text + "'");
        }
    }

    @Override
    public Sink create(EventHubConfig config, SinkContext context) {
        return new EventHubSink(config);
    }

    @Override
    public CheckResult check(EventHubConfig config, Duration timeout) throws InterruptedException {
        return EventHubSink.probe(config, timeout);
    }

    /** Sequin's routing key for Event Hubs sinks. */
    @Override
    public List<String> routingKeys() {
        return List.of(EventHubSink.EVENT_HUB_NAME);
    }

    /** An event needs an event hub. */
    @Override
    public List<String> requiredRoutingKeys() {
        return List.of(EventHubSink.EVENT_HUB_NAME);
    }

    @Override
    public int defaultBatchSize() {
        return DEFAULT_BATCH_SIZE;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(Map.of(
                "namespace", "my-namespace",
                "event_hub_name", "orders",
                "shared_access_key_name", "sluice-sender",
                "shared_access_key", "eventhubs-example-secret-5f1a9c"));
    }
}
