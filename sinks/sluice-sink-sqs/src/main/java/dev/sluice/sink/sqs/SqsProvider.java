package dev.sluice.sink.sqs;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.ConfigSchema;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.sink.aws.AwsFields;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code sqs} destination: standard or FIFO queues, a FIFO message group per row. {@code region} and {@code
 * is_fifo} are inferred from the queue URL when left out (and shown as inferred). See docs/sinks/sqs.md.
 */
public final class SqsProvider implements SinkProvider<SqsConfig> {
    public static final String TYPE = "sqs";

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("queue_url", "The queue's URL, like https://sqs.us-east-1.amazonaws.com/123456789012/q")
                    .asRequired(),
            ConfigField.string("region", "The AWS region; inferred from queue_url when absent"),
            AwsFields.ACCESS_KEY_ID,
            AwsFields.SECRET_ACCESS_KEY,
            ConfigField.bool("is_fifo", "Whether the queue is FIFO; inferred from a name ending in .fifo when absent"),
            AwsFields.endpointUrl("ElasticMQ"),
            AwsFields.USE_TASK_ROLE,
            AwsFields.requestTimeout("SQS", SqsConfig.DEFAULT_REQUEST_TIMEOUT));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Sends each message to an SQS queue, standard or FIFO (one message group per row)";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<SqsConfig> configure(ConfigValues values) {
        Configured<SqsConfig> built = Configured.of(() -> SqsConfig.of(
                Objects.requireNonNull(values.string("queue_url")),
                values.string("region"),
                values.string("access_key_id"),
                values.string("secret_access_key"),
                values.bool("is_fifo"),
                values.string("endpoint_url"),
                Duration.ofMillis(Objects.requireNonNull(values.integer("request_timeout_ms")))));
        if (!(built instanceof Configured.Valid<SqsConfig> valid)) {
            return built;
        }
        Map<String, Object> derived = new LinkedHashMap<>();
        if (!values.given("region")) {
            derived.put("region", valid.config().region());
        }
        if (!values.given("is_fifo")) {
            derived.put("is_fifo", valid.config().fifo());
        }
        return new Configured.Valid<>(valid.config(), derived);
    }

    @Override
    public Sink create(SqsConfig config, SinkContext context) {
        return new SqsSink(config);
    }

    @Override
    public CheckResult check(SqsConfig config, Duration timeout) {
        return SqsSink.probe(config, timeout);
    }

    /** Sequin's routing key for SQS sinks. */
    @Override
    public List<String> routingKeys() {
        return List.of(SqsSink.QUEUE_URL);
    }

    /** A message needs a queue. */
    @Override
    public List<String> requiredRoutingKeys() {
        return List.of(SqsSink.QUEUE_URL);
    }

    /** Sequin's default, and the most one SendMessageBatch call takes. */
    @Override
    public int defaultBatchSize() {
        return 10;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(Map.of(
                "queue_url", "https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo",
                "access_key_id", "AKIAEXAMPLESQS",
                "secret_access_key", "sqs-example-secret-4c1a"));
    }
}
