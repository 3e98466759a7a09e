package dev.sluice.sink.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.SinkProviders;
import dev.sluice.testkit.FreePort;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisStringProviderTest {
    private final RedisStringProvider provider = new RedisStringProvider();

    private Configured<RedisStringConfig> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_withSequinsFieldsRoutingKeysAndBatchSize() {
        assertThat(SinkProviders.installed().find("redis_string")).containsInstanceOf(RedisStringProvider.class);
        assertThat(provider.schema().names())
                .containsExactly(
                        "host",
                        "port",
                        "database",
                        "tls",
                        "username",
                        "password",
                        "expire_ms",
                        "mode",
                        "max_value_bytes",
                        "request_timeout_ms");
        assertThat(provider.schema().secretNames()).containsExactly("password");
        assertThat(provider.routingKeys()).containsExactly("key", "action", "expire_ms");
        assertThat(provider.requiredRoutingKeys()).containsExactly("key", "action");
        assertThat(provider.defaultBatchSize()).isEqualTo(10);
    }

    @Test
    void configure_takesSequinsExample() {
        // sinks.create_get_update.response.redis-string.normalized.json
        RedisStringConfig c = configure(Map.of(
                        "host",
                        "localhost",
                        "port",
                        6379,
                        "database",
                        0,
                        "tls",
                        false,
                        "username",
                        "redis_user",
                        "password",
                        "redis_password",
                        "expire_ms",
                        3600000,
                        "mode",
                        "static"))
                .orThrow();
        assertThat(c.expire()).isEqualTo(Duration.ofHours(1));
        assertThat(c.mode()).isEqualTo(RedisStringConfig.Mode.STATIC);
        assertThat(c.password()).isEqualTo("redis_password");
    }

    @Test
    void configure_fillsDefaults_noExpiryAndStaticMode() {
        RedisStringConfig c = configure(Map.of("host", "localhost")).orThrow();
        assertThat(c.port()).isEqualTo(6379);
        assertThat(c.database()).isZero();
        assertThat(c.expire()).isNull();
        assertThat(c.mode()).isEqualTo(RedisStringConfig.Mode.STATIC);
        assertThat(configure(Map.of("host", "h", "mode", "dynamic")).orThrow().mode())
                .isEqualTo(RedisStringConfig.Mode.DYNAMIC);
    }

    @Test
    void configure_reportsProblemsAtTheirFields() {
        assertThat(((Configured.Invalid<RedisStringConfig>) configure(Map.of("host", "h", "username", "u"))).problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("password"));
        assertThat(((Configured.Invalid<RedisStringConfig>) configure(Map.of("host", "h", "mode", "sometimes")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("mode"));
        assertThat(((Configured.Invalid<RedisStringConfig>) configure(Map.of("host", "h", "expire_ms", 0))).problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("expire_ms"));
    }

    @Test
    void examples_configure_andSetThePassword() {
        assertThat(provider.examples()).allSatisfy(e -> {
            assertThat(e).containsKey("password");
            assertThat(configure(e)).isInstanceOf(Configured.Valid.class);
        });
    }

    @Test
    void check_closedPort_isUnreachable_andNamesTheServer() {
        int port = FreePort.find();
        RedisStringConfig c = configure(Map.of("host", "127.0.0.1", "port", port, "password", "pw-9"))
                .orThrow();
        CheckResult result = provider.check(c, Duration.ofSeconds(2));
        assertThat(result.status()).isEqualTo(CheckResult.Status.UNREACHABLE);
        assertThat(result.detail()).contains("127.0.0.1:" + port).doesNotContain("pw-9");
    }
}
