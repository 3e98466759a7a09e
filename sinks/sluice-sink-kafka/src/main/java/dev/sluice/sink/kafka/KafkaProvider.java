package dev.sluice.sink.kafka;

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

/** The {@code kafka} destination: one record per message on one topic, keyed by group. See docs/sinks/kafka.md. */
public final class KafkaProvider implements SinkProvider<KafkaConfig> {
    public static final String TYPE = "kafka";

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("hosts", "Bootstrap brokers as comma-separated host:port, like b1:9092,b2:9092")
                    .asRequired(),
            ConfigField.string("topic", "The topic every message goes to, keyed by its group id; must exist")
                    .asRequired(),
            ConfigField.bool("tls", "Connect with TLS, trusting the JVM's default CA certificates")
                    .defaultValue(false),
            ConfigField.string("username", "SASL user for plain and scram_*"),
            ConfigField.string("password", "SASL password, with username").asSecret(),
            ConfigField.string("sasl_mechanism", "How the sink authenticates; none when absent")
                    .allowed("plain", "scram_sha_256", "scram_sha_512", "aws_msk_iam"),
            ConfigField.string("aws_region", "The MSK cluster's region, for aws_msk_iam"),
            ConfigField.string(
                    "aws_access_key_id", "AWS access key for aws_msk_iam; without keys the default AWS chain is used"),
            ConfigField.string("aws_secret_access_key", "AWS secret key, with aws_access_key_id")
                    .asSecret(),
            ConfigField.string("compression", "How record batches are compressed")
                    .allowed("none", "gzip", "snappy", "lz4", "zstd")
                    .defaultValue("none"),
            ConfigField.integer(
                            "request_timeout_ms",
                            "How long a message may wait for the brokers' acknowledgement, retries included")
                    .range(1, Integer.MAX_VALUE)
                    .defaultValue(KafkaConfig.DEFAULT_REQUEST_TIMEOUT.toMillis()));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Writes each message as a record of a Kafka topic, keyed by its group id";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<KafkaConfig> configure(ConfigValues values) {
        return Configured.of(() -> {
            String sasl = values.string("sasl_mechanism");
            return new KafkaConfig(
                    KafkaConfig.parseHosts(Objects.requireNonNull(values.string("hosts"))),
                    Objects.requireNonNull(values.string("topic")),
                    values.flag("tls"),
                    values.string("username"),
                    values.string("password"),
                    sasl == null ? null : SaslMechanism.parse(sasl),
                    values.string("aws_region"),
                    values.string("aws_access_key_id"),
                    values.string("aws_secret_access_key"),
                    Compression.parse(Objects.requireNonNull(values.string("compression"))),
                    Duration.ofMillis(Objects.requireNonNull(values.integer("request_timeout_ms"))));
        });
    }

    /** The producer batches by bytes on its own; the engine's batches (of {@code batch_size}) need nothing more. */
    @Override
    public Sink create(KafkaConfig config, SinkContext context) {
        return new KafkaSink(config);
    }

    @Override
    public CheckResult check(KafkaConfig config, Duration timeout) {
        return KafkaSink.probe(config, timeout);
    }

    /** Sequin's routing keys for Kafka sinks. */
    @Override
    public List<String> routingKeys() {
        return List.of(KafkaRoute.TOPIC, KafkaRoute.MESSAGE_KEY);
    }

    /** A record needs a topic; a null {@code message_key} means records without a key. */
    @Override
    public List<String> requiredRoutingKeys() {
        return List.of(KafkaRoute.TOPIC);
    }

    /** Sequin's default for Kafka sinks. */
    @Override
    public int defaultBatchSize() {
        return 200;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(
                Map.of(
                        "hosts", "broker.invalid:9092",
                        "topic", "orders",
                        "username", "sluice",
                        "password", "kafka-example-password-7f3e",
                        "sasl_mechanism", "scram_sha_512"),
                Map.of(
                        "hosts", "b-1.msk.us-east-1.amazonaws.com:9098",
                        "topic", "orders",
                        "tls", true,
                        "sasl_mechanism", "aws_msk_iam",
                        "aws_region", "us-east-1",
                        "aws_access_key_id", "AKIAEXAMPLEKAFKA",
                        "aws_secret_access_key", "kafka-example-aws-secret-2b9d"));
    }
}
