package dev.sluice.sink.rabbitmq;

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
 * The {@code rabbitmq} destination: publishes each message to a RabbitMQ exchange, persistent, with publisher
 * confirms. Sequin's fields, routing keys and default batch size (50). See docs/sinks/rabbitmq.md.
 */
public final class RabbitMqProvider implements SinkProvider<RabbitMqConfig> {
    public static final String TYPE = "rabbitmq";

    /** Sequin's {@code batch_size} for RabbitMQ sinks. */
    static final int DEFAULT_BATCH_SIZE = 50;

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("host", "The broker's host name or address").asRequired(),
            ConfigField.integer("port", "The broker's AMQP port")
                    .range(1, 65_535)
                    .defaultValue((long) RabbitMqConfig.DEFAULT_PORT),
            ConfigField.string("username", "The user to log in as").defaultValue(RabbitMqConfig.DEFAULT_USERNAME),
            ConfigField.string("password", "The user's password; guest when absent")
                    .asSecret(),
            ConfigField.string("virtual_host", "The virtual host to open")
                    .defaultValue(RabbitMqConfig.DEFAULT_VIRTUAL_HOST),
            ConfigField.bool("tls", "Connect with TLS, verifying the certificate against the JVM's trusted CAs")
                    .defaultValue(false),
            ConfigField.string(
                            "exchange", "The exchange every message is published to, at most 255 bytes; it must exist")
                    .asRequired(),
            ConfigField.integer(
                            "max_message_bytes",
                            "Largest message JSON published, in bytes; larger ones are rejected. At most the"
                                    + " broker's max_message_size")
                    .range(1, RabbitMqConfig.MAX_MESSAGE_BYTES_CEILING)
                    .defaultValue((long) RabbitMqConfig.DEFAULT_MAX_MESSAGE_BYTES),
            ConfigField.integer(
                            "request_timeout_ms",
                            "How long connecting, or one batch's publishing and confirms, may take")
                    .range(1, 3_600_000)
                    .defaultValue(RabbitMqConfig.DEFAULT_REQUEST_TIMEOUT.toMillis()));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Publishes each message to a RabbitMQ exchange, persistent, with publisher confirms";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<RabbitMqConfig> configure(ConfigValues values) {
        return Configured.of(() -> new RabbitMqConfig(
                Objects.requireNonNull(values.string("host")),
                Math.toIntExact(Objects.requireNonNull(values.integer("port"))),
                Objects.requireNonNull(values.string("username")),
                values.string("password"),
                Objects.requireNonNull(values.string("virtual_host")),
                values.flag("tls"),
                Objects.requireNonNull(values.string("exchange")),
                Math.toIntExact(Objects.requireNonNull(values.integer("max_message_bytes"))),
                Duration.ofMillis(Objects.requireNonNull(values.integer("request_timeout_ms")))));
    }

    @Override
    public Sink create(RabbitMqConfig config, SinkContext context) {
        return new RabbitMqSink(config);
    }

    @Override
    public CheckResult check(RabbitMqConfig config, Duration timeout) {
        return RabbitMqSink.probe(config, timeout);
    }

    /** Sequin's routing keys for RabbitMQ sinks; none required (null keeps the sink's setting). */
    @Override
    public List<String> routingKeys() {
        return List.of(Route.EXCHANGE, Route.ROUTING_KEY, Route.HEADERS, Route.MESSAGE_ID);
    }

    @Override
    public int defaultBatchSize() {
        return DEFAULT_BATCH_SIZE;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(Map.of(
                "host", "rabbitmq.example.com",
                "exchange", "sequin",
                "username", "sluice",
                "password", "rabbitmq-example-secret-4f2a"));
    }
}
