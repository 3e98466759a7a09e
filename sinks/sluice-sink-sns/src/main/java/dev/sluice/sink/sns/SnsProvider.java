package dev.sluice.sink.sns;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.ConfigSchema;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.InvalidConfigException;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.sink.aws.AwsChecks;
import dev.sluice.sink.aws.AwsFields;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The {@code sns} destination: standard or FIFO topics, a FIFO message group per row. {@code region} and {@code
 * is_fifo} are inferred from the topic ARN when left out (and shown as inferred). See docs/sinks/sns.md.
 */
public final class SnsProvider implements SinkProvider<SnsConfig> {
    public static final String TYPE = "sns";

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("topic_arn", "The topic's ARN, like arn:aws:sns:us-east-1:123456789012:orders")
                    .asRequired(),
            ConfigField.string("region", "The AWS region; the ARN's when absent"),
            AwsFields.ACCESS_KEY_ID,
            AwsFields.SECRET_ACCESS_KEY,
            ConfigField.bool("is_fifo", "Whether the topic is FIFO; inferred from a name ending in .fifo when absent"),
            AwsFields.endpointUrl("fauxqs or LocalStack"),
            ConfigField.bool(
                    "use_emulator", "Sequin's switch: true sends requests to emulator_base_url instead of AWS"),
            ConfigField.string(
                    "emulator_base_url", "Sequin's name for the emulator's address, used when use_emulator is true"),
            AwsFields.USE_TASK_ROLE,
            AwsFields.requestTimeout("SNS", SnsConfig.DEFAULT_REQUEST_TIMEOUT));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Publishes each message to an SNS topic, standard or FIFO (one message group per row)";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<SnsConfig> configure(ConfigValues values) {
        Configured<SnsConfig> built = Configured.of(() -> SnsConfig.of(
                Objects.requireNonNull(values.string("topic_arn")),
                values.string("region"),
                values.string("access_key_id"),
                values.string("secret_access_key"),
                values.bool("is_fifo"),
                endpoint(values),
                Duration.ofMillis(Objects.requireNonNull(values.integer("request_timeout_ms")))));
        if (!(built instanceof Configured.Valid<SnsConfig> valid)) {
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

    /**
     * Where requests go: {@code endpoint_url}, or Sequin's {@code emulator_base_url} when {@code use_emulator} is true
     * (Sequin ignores the address otherwise, and so does Sluice).
     */
    static @Nullable String endpoint(ConfigValues values) {
        String endpointUrl = values.string("endpoint_url");
        if (!Boolean.TRUE.equals(values.bool("use_emulator"))) {
            return endpointUrl;
        }
        String emulator = values.string("emulator_base_url");
        if (emulator == null) {
            if (endpointUrl != null) {
                return endpointUrl;
            }
            throw new InvalidConfigException(
                    "emulator_base_url",
                    "required with use_emulator: true; the emulator's address, such as http://localhost:4566");
        }
        AwsChecks.httpUrl("emulator_base_url", AwsChecks.parseUrl("emulator_base_url", emulator.strip()));
        if (endpointUrl != null && !endpointUrl.equals(emulator)) {
            throw new InvalidConfigException(
                    "emulator_base_url", "differs from endpoint_url; give the emulator's address once");
        }
        return emulator;
    }

    @Override
    public Sink create(SnsConfig config, SinkContext context) {
        return new SnsSink(config);
    }

    @Override
    public CheckResult check(SnsConfig config, Duration timeout) {
        return SnsSink.probe(config, timeout);
    }

    /** Sequin's routing key for SNS sinks. */
    @Override
    public List<String> routingKeys() {
        return List.of(SnsSink.TOPIC_ARN);
    }

    /** A message needs a topic. */
    @Override
    public List<String> requiredRoutingKeys() {
        return List.of(SnsSink.TOPIC_ARN);
    }

    /** Sequin's default, and the most one PublishBatch call takes. */
    @Override
    public int defaultBatchSize() {
        return 10;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(Map.of(
                "topic_arn", "arn:aws:sns:us-east-1:123456789012:orders.fifo",
                "access_key_id", "AKIAEXAMPLESNS",
                "secret_access_key", "sns-example-secret-7e2d"));
    }
}
