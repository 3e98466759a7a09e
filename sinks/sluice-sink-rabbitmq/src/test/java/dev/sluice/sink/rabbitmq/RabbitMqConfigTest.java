package dev.sluice.sink.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.InvalidConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RabbitMqConfigTest {
    private static RabbitMqConfig config(String host, int port, String user, String pw, String vhost, String exchange) {
        return new RabbitMqConfig(host, port, user, pw, vhost, false, exchange);
    }

    private static String fieldOf(Runnable r) {
        try {
            r.run();
        } catch (InvalidConfigException e) {
            return e.field();
        }
        throw new AssertionError("no InvalidConfigException");
    }

    @Test
    void validConfig_keepsValues_andStripsTheHost() {
        RabbitMqConfig c = config(" rabbit.local ", 5671, "sluice", "pw", "prod", "records");
        assertThat(c.host()).isEqualTo("rabbit.local");
        assertThat(c.address()).isEqualTo("rabbit.local:5671");
        assertThat(c.virtualHost()).isEqualTo("prod");
        assertThat(c.maxMessageBytes()).isEqualTo(128 * 1024 * 1024);
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void absentCredentials_areSequinsGuest() {
        RabbitMqConfig c = config("h", 5672, " ", "", "/", "x");
        assertThat(c.username()).isEqualTo("guest");
        assertThat(c.password()).isNull();
        assertThat(c.effectivePassword()).isEqualTo("guest");
        assertThat(config("h", 5672, "u", "pw", "/", "x").effectivePassword()).isEqualTo("pw");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "amqp://localhost", "localhost/vhost", "local host"})
    void badHost_isReportedAtHost(String host) {
        assertThat(fieldOf(() -> config(host, 5672, "u", "p", "/", "x"))).isEqualTo("host");
    }

    @Test
    void eachBadValue_isReportedAtItsField() {
        assertThat(fieldOf(() -> config("h", 0, "u", "p", "/", "x"))).isEqualTo("port");
        assertThat(fieldOf(() -> config("h", 65_536, "u", "p", "/", "x"))).isEqualTo("port");
        assertThat(fieldOf(() -> config("h", 5672, "u", "p", "", "x"))).isEqualTo("virtual_host");
        assertThat(fieldOf(() -> config("h", 5672, "u", "p", "v".repeat(256), "x")))
                .isEqualTo("virtual_host");
        assertThat(fieldOf(() -> config("h", 5672, "u", "p", "/", ""))).isEqualTo("exchange");
        assertThat(fieldOf(() -> config("h", 5672, "u", "p", "/", "e".repeat(256))))
                .isEqualTo("exchange");
        assertThat(fieldOf(() -> config("h", 5672, "u", "p", "/", "é".repeat(128))))
                .as("255 bytes, not characters")
                .isEqualTo("exchange");
        assertThat(fieldOf(() -> config("h", 5672, "u", "p", "/", "a\nb"))).isEqualTo("exchange");
        assertThat(fieldOf(() -> new RabbitMqConfig("h", 1, "u", "p", "/", false, "x", 0, Duration.ofSeconds(1))))
                .isEqualTo("max_message_bytes");
        assertThat(fieldOf(() -> new RabbitMqConfig(
                        "h", 1, "u", "p", "/", false, "x", 512 * 1024 * 1024 + 1, Duration.ofSeconds(1))))
                .isEqualTo("max_message_bytes");
        assertThat(fieldOf(() -> new RabbitMqConfig("h", 1, "u", "p", "/", false, "x", 1, Duration.ZERO)))
                .isEqualTo("request_timeout_ms");
    }

    @Test
    void exchangeOfSequinsMaximumLength_isAccepted() {
        assertThat(config("h", 5672, "u", "p", "/", "e".repeat(255)).exchange()).hasSize(255);
    }

    @Test
    void toString_hidesThePassword_andMessagesNeverShowIt() {
        assertThat(config("h", 5672, "sluice", "s3cret-pw", "/", "x").toString())
                .doesNotContain("s3cret-pw")
                .contains("password=***", "username=sluice");
        assertThatThrownBy(() -> config("h", 0, "sluice", "s3cret-pw", "/", "x"))
                .hasMessageStartingWith("port: ")
                .hasMessageNotContaining("s3cret-pw");
    }
}
