package dev.sluice.sink.kinesis;

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
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code kinesis} destination: records of a data stream, partitioned by group. {@code region} is the ARN's when
 * left out (and shown so). See docs/sinks/kinesis.md.
 */
public final class KinesisProvider implements SinkProvider<KinesisConfig> {
    public static final String TYPE = "kinesis";

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("stream_arn", "The stream's ARN, like arn:aws:kinesis:us-east-1:123456789012:stream/s")
                    .asRequired(),
            ConfigField.string("region", "The AWS region; the ARN's when absent"),
            AwsFields.ACCESS_KEY_ID,
            AwsFields.SECRET_ACCESS_KEY,
            AwsFields.endpointUrl("kinesis-local"),
            AwsFields.USE_TASK_ROLE,
            AwsFields.requestTimeout("Kinesis", KinesisConfig.DEFAULT_REQUEST_TIMEOUT));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Puts each message as a record of a Kinesis data stream, partitioned by its group id";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<KinesisConfig> configure(ConfigValues values) {
        Configured<KinesisConfig> built = Configured.of(() -> KinesisConfig.of(
                Objects.requireNonNull(values.string("stream_arn")),
                values.string("region"),
                values.string("access_key_id"),
                values.string("secret_access_key"),
                values.string("endpoint_url"),
                Duration.ofMillis(Objects.requireNonNull(values.integer("request_timeout_ms")))));
        if (built instanceof Configured.Valid<KinesisConfig> valid && !values.given("region")) {
            return new Configured.Valid<>(
                    valid.config(), Map.of("region", valid.config().region()));
        }
        return built;
    }

    @Override
    public Sink create(KinesisConfig config, SinkContext context) {
        return new KinesisSink(config);
    }

    @Override
    public CheckResult check(KinesisConfig config, Duration timeout) {
        return KinesisSink.probe(config, timeout);
    }

    /** Sequin's routing key for Kinesis sinks. */
    @Override
    public List<String> routingKeys() {
        return List.of(KinesisSink.STREAM_ARN);
    }

    /** A record needs a stream. */
    @Override
    public List<String> requiredRoutingKeys() {
        return List.of(KinesisSink.STREAM_ARN);
    }

    /** Sequin's default for Kinesis sinks. */
    @Override
    public int defaultBatchSize() {
        return 100;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(Map.of(
                "stream_arn", "arn:aws:kinesis:us-east-1:123456789012:stream/orders",
                "access_key_id", "AKIAEXAMPLEKINESIS",
                "secret_access_key", "kinesis-example-secret-9a6e"));
    }
}
