package dev.sluice.sink.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.InvalidConfigException;
import dev.sluice.sink.redis.RedisStringConfig.Mode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedisStringConfigTest {
    private static RedisStringConfig config(String host, int port, int db, String user, String pw, Duration expire) {
        return new RedisStringConfig(host, port, db, false, user, pw, expire, Mode.STATIC);
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
    void validConfig_keepsValues_withSluicesDefaults() {
        RedisStringConfig c = config(" cache.local ", 6380, 2, "sluice", "pw", Duration.ofHours(1));
        assertThat(c.host()).isEqualTo("cache.local");
        assertThat(c.address()).isEqualTo("cache.local:6380");
        assertThat(c.expire()).isEqualTo(Duration.ofMillis(3_600_000));
        assertThat(c.maxValueBytes()).isEqualTo(512 * 1024 * 1024);
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(config("h", 1, 0, null, null, null).expire()).isNull();
    }

    @Test
    void eachBadValue_isReportedAtItsField_asForTheStreamSink() {
        assertThat(fieldOf(() -> config("redis://h", 6379, 0, null, null, null)))
                .isEqualTo("host");
        assertThat(fieldOf(() -> config("h", 0, 0, null, null, null))).isEqualTo("port");
        assertThat(fieldOf(() -> config("h", 6379, -1, null, null, null))).isEqualTo("database");
        assertThat(fieldOf(() -> config("h", 6379, 0, "sluice", null, null))).isEqualTo("password");
        assertThat(fieldOf(() -> config("h", 6379, 0, null, null, Duration.ZERO)))
                .isEqualTo("expire_ms");
        assertThat(fieldOf(() -> config("h", 6379, 0, null, null, Duration.ofNanos(1_500_000))))
                .isEqualTo("expire_ms");
        assertThat(fieldOf(() -> new RedisStringConfig(
                        "h", 1, 0, false, null, null, null, Mode.DYNAMIC, 0, Duration.ofSeconds(1))))
                .isEqualTo("max_value_bytes");
        assertThat(fieldOf(
                        () -> new RedisStringConfig("h", 1, 0, false, null, null, null, Mode.STATIC, 1, Duration.ZERO)))
                .isEqualTo("request_timeout_ms");
    }

    @Test
    void routedKeyRules_areSequins() {
        assertThat(RedisStringConfig.keyProblem("sequin:orders:1")).isNull();
        assertThat(RedisStringConfig.keyProblem("k".repeat(512))).isNull();
        assertThat(RedisStringConfig.keyProblem("")).isEqualTo("is empty");
        assertThat(RedisStringConfig.keyProblem("k".repeat(513))).isEqualTo("is 513 characters long; at most 512");
        assertThat(RedisStringConfig.keyProblem("a b")).isEqualTo("cannot contain whitespace");
        assertThat(RedisStringConfig.expireProblem(0)).contains("positive");
    }

    @Test
    void toString_hidesThePassword() {
        assertThat(config("h", 6379, 0, "sluice", "s3cret-pw", Duration.ofSeconds(5))
                        .toString())
                .doesNotContain("s3cret-pw")
                .contains("password=***", "expireMs=5000", "mode=static");
    }
}
