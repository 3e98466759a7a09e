package dev.sluice.sink.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.SinkProviders;
import dev.sluice.testkit.FreePort;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RabbitMqProviderTest {
    private final RabbitMqProvider provider = new RabbitMqProvider();

    private Configured<RabbitMqConfig> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_withSequinsFieldsRoutingKeysAndBatchSize() {
        assertThat(SinkProviders.installed().find("rabbitmq")).containsInstanceOf(RabbitMqProvider.class);
        assertThat(provider.schema().names())
                .containsExactly(
                        "host",
                        "port",
                        "username",
                        "password",
                        "virtual_host",
                        "tls",
                        "exchange",
                        "max_message_bytes",
                        "request_timeout_ms");
        assertThat(provider.schema().secretNames()).containsExactly("password");
        assertThat(provider.routingKeys()).containsExactly("exchange", "routing_key", "headers", "message_id");
        assertThat(provider.requiredRoutingKeys()).isEmpty();
        assertThat(provider.defaultBatchSize()).isEqualTo(50);
    }

    @Test
    void configure_fillsSequinsDefaults() {
        RabbitMqConfig c =
                configure(Map.of("host", "localhost", "exchange", "records")).orThrow();
        assertThat(c.port()).isEqualTo(5672);
        assertThat(c.username()).isEqualTo("guest");
        assertThat(c.password()).isNull();
        assertThat(c.virtualHost()).isEqualTo("/");
        assertThat(c.tls()).isFalse();
    }

    @Test
    void configure_takesSequinsExample() {
        // sinks.create_get_update.response.rabbitmq.normalized.json
        RabbitMqConfig c = configure(Map.of(
                        "host", "localhost",
                        "port", 5672,
                        "username", "guest",
                        "password", "guest",
                        "virtual_host", "/",
                        "tls", false,
                        "exchange", "records"))
                .orThrow();
        assertThat(c.exchange()).isEqualTo("records");
        assertThat(c.password()).isEqualTo("guest");
    }

    @Test
    void configure_reportsProblemsAtTheirFields() {
        assertThat(((Configured.Invalid<RabbitMqConfig>)
                                configure(Map.of("host", "localhost", "exchange", "x".repeat(300))))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("exchange"));
        assertThat(((Configured.Invalid<RabbitMqConfig>)
                                configure(Map.of("host", "amqp://localhost:5672", "exchange", "x")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("host"));
    }

    @Test
    void examples_setEverySecret() {
        assertThat(provider.examples())
                .allSatisfy(e -> assertThat(e)
                        .containsKeys(provider.schema().secretNames().toArray(String[]::new)));
        provider.examples().forEach(e -> configure(e).orThrow());
    }

    @Test
    void check_closedPort_isUnreachable_andNamesTheBroker() {
        int port = FreePort.find();
        RabbitMqConfig c = configure(Map.of("host", "127.0.0.1", "port", port, "exchange", "x", "password", "pw-9"))
                .orThrow();
        CheckResult result = provider.check(c, Duration.ofSeconds(2));
        assertThat(result.status()).isEqualTo(CheckResult.Status.UNREACHABLE);
        assertThat(result.detail()).contains("127.0.0.1:" + port).doesNotContain("pw-9");
    }
}
