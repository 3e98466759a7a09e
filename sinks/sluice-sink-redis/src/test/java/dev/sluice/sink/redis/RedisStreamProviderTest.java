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

class RedisStreamProviderTest {
    private final RedisStreamProvider provider = new RedisStreamProvider();

    private Configured<RedisStreamConfig> configure(Map<String, ?> given) {
        return provider.configure(ConfigValues.of(provider.schema(), given));
    }

    @Test
    void isInstalled_underItsTypeAndAlias_withSequinsFieldsAndDefaults() {
        assertThat(SinkProviders.installed().find("redis_stream")).containsInstanceOf(RedisStreamProvider.class);
        assertThat(provider.aliases()).containsExactly("redis");
        assertThat(provider.schema().names())
                .containsExactly(
                        "host",
                        "port",
                        "stream_key",
                        "database",
                        "tls",
                        "username",
                        "password",
                        "max_entry_bytes",
                        "request_timeout_ms");
        assertThat(provider.schema().secretNames()).containsExactly("password");
        assertThat(provider.routingKeys()).containsExactly("stream_key");
        assertThat(provider.requiredRoutingKeys()).containsExactly("stream_key");
        assertThat(provider.defaultBatchSize()).isEqualTo(50);
    }

    @Test
    void configure_fillsSequinsDefaults() {
        RedisStreamConfig c =
                configure(Map.of("host", "localhost", "stream_key", "records")).orThrow();
        assertThat(c.port()).isEqualTo(6379);
        assertThat(c.database()).isZero();
        assertThat(c.tls()).isFalse();
        assertThat(c.username()).isNull();
        assertThat(c.password()).isNull();
    }

    @Test
    void configure_takesSequinsExample() {
        // sinks.create_get_update.response.redis.normalized.json
        RedisStreamConfig c = configure(Map.of(
                        "host", "localhost",
                        "port", 6379,
                        "stream_key", "records",
                        "database", 0,
                        "tls", false,
                        "username", "redis_user",
                        "password", "redis_password"))
                .orThrow();
        assertThat(c.username()).isEqualTo("redis_user");
        assertThat(c.password()).isEqualTo("redis_password");
    }

    @Test
    void configure_reportsProblemsAtTheirFields() {
        assertThat(((Configured.Invalid<RedisStreamConfig>)
                                configure(Map.of("host", "localhost", "stream_key", "s", "username", "u")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("password"));
        assertThat(((Configured.Invalid<RedisStreamConfig>)
                                configure(Map.of("host", "redis://localhost:6379", "stream_key", "s")))
                        .problems())
                .singleElement()
                .satisfies(p -> assertThat(p.field()).isEqualTo("host"));
    }

    @Test
    void check_closedPort_isUnreachable_andNamesTheServer() throws Exception {
        int port = FreePort.find();
        RedisStreamConfig c = configure(
                        Map.of("host", "127.0.0.1", "port", port, "stream_key", "s", "password", "pw-9"))
                .orThrow();
        CheckResult result = provider.check(c, Duration.ofSeconds(2));
        assertThat(result.status()).isEqualTo(CheckResult.Status.UNREACHABLE);
        assertThat(result.detail()).contains("127.0.0.1:" + port).doesNotContain("pw-9");
    }
}
