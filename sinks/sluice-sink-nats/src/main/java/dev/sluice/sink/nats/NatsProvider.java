package dev.sluice.sink.nats;

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
 * The {@code nats} destination: each message published to a NATS subject, Sequin's {@code
 * sequin.<database>.<schema>.<table>.<action>} by default, with {@code Nats-Msg-Id} set to its idempotency key.
 * Sequin's fields and default batch size (50). See docs/sinks/nats.md.
 */
public final class NatsProvider implements SinkProvider<NatsConfig> {
    public static final String TYPE = "nats";

    /** Sequin's {@code batch_size} for NATS sinks. */
    static final int DEFAULT_BATCH_SIZE = 50;

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.string("host", "The NATS server's host name or address").asRequired(),
            ConfigField.integer("port", "The NATS server's client port")
                    .range(1, 65_535)
                    .defaultValue((long) NatsConfig.DEFAULT_PORT),
            ConfigField.string("username", "User name, with password"),
            ConfigField.string("password", "The user's password").asSecret(),
            ConfigField.string("jwt", "User JWT (as in a .creds file), with nkey_seed")
                    .asSecret(),
            ConfigField.string(
                            "nkey_seed",
                            "User nkey seed (SU…) that signs the server's challenge; alone for nkey auth, or with jwt")
                    .asSecret(),
            ConfigField.bool("tls", "Connect with TLS, verifying the certificate against the JVM's trusted CAs")
                    .defaultValue(false),
            ConfigField.integer(
                            "request_timeout_ms",
                            "How long connecting (at most 10 s), or the server's acknowledgement of a batch, may take")
                    .range(1, 3_600_000)
                    .defaultValue(NatsConfig.DEFAULT_REQUEST_TIMEOUT.toMillis()));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "Publishes each message to a NATS subject, with Nats-Msg-Id for JetStream de-duplication";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<NatsConfig> configure(ConfigValues values) {
        return Configured.of(() -> new NatsConfig(
                Objects.requireNonNull(values.string("host")),
                Math.toIntExact(Objects.requireNonNull(values.integer("port"))),
                values.string("username"),
                values.string("password"),
                values.string("jwt"),
                values.string("nkey_seed"),
                values.flag("tls"),
                Duration.ofMillis(Objects.requireNonNull(values.integer("request_timeout_ms")))));
    }

    @Override
    public Sink create(NatsConfig config, SinkContext context) {
        return new NatsSink(config, context.ticker());
    }

    @Override
    public CheckResult check(NatsConfig config, Duration timeout) {
        return NatsSink.probe(config, timeout);
    }

    /** Sequin's routing keys for NATS sinks. */
    @Override
    public List<String> routingKeys() {
        return List.of(NatsSink.SUBJECT, NatsSink.HEADERS);
    }

    /** A message needs a subject; leaving the key out keeps the default one. */
    @Override
    public List<String> requiredRoutingKeys() {
        return List.of(NatsSink.SUBJECT);
    }

    @Override
    public int defaultBatchSize() {
        return DEFAULT_BATCH_SIZE;
    }

    @Override
    public List<Map<String, Object>> examples() {
        return List.of(
                Map.of(
                        "host", "nats.example.com",
                        "username", "sluice",
                        "password", "nats-example-secret-4c1e"),
                Map.of("host", "nats.example.com", "tls", true, "jwt", EXAMPLE_JWT, "nkey_seed", EXAMPLE_SEED));
    }

    // A syntactically valid JWT and a valid user seed made for this example only; no server knows them.
    static final String EXAMPLE_JWT = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ"
            + ".eyJzdWIiOiJzbHVpY2UtZXhhbXBsZS11c2VyIn0.c2x1aWNlLWV4YW1wbGUtc2lnbmF0dXJl";
    static final String EXAMPLE_SEED = "SUAISBXFPXIS7HIUMEOSKMZWTBATUSHFYYZJAEQ7QALBESNX3GRP3Y57JU";
}
