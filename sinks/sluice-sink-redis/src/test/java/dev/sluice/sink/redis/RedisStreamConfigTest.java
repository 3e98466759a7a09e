package dev.sluice.sink.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.InvalidConfigException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RedisStreamConfigTest {
    private static RedisStreamConfig config(String host, int port, String key, int db, String user, String pw) {
        return new RedisStreamConfig(host, port, key, db, false, user, pw);
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
        RedisStreamConfig c = config(" redis.local ", 6380, "orders", 2, "sluice", "pw");
        assertThat(c.host()).isEqualTo("redis.local");
        assertThat(c.address()).isEqualTo("redis.local:6380");
        assertThat(c.maxEntryBytes()).isEqualTo(512 * 1024 * 1024);
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(15));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "redis://localhost", "localhost/0", "local host"})
    void badHost_isReportedAtHost(String host) {
        assertThat(fieldOf(() -> config(host, 6379, "s", 0, null, null))).isEqualTo("host");
    }

    @Test
    void eachBadValue_isReportedAtItsField() {
        assertThat(fieldOf(() -> config("h", 0, "s", 0, null, null))).isEqualTo("port");
        assertThat(fieldOf(() -> config("h", 65_536, "s", 0, null, null))).isEqualTo("port");
        assertThat(fieldOf(() -> config("h", 6379, "", 0, null, null))).isEqualTo("stream_key");
        assertThat(fieldOf(() -> config("h", 6379, "k".repeat(256), 0, null, null)))
                .isEqualTo("stream_key");
        assertThat(fieldOf(() -> config("h", 6379, "s", -1, null, null))).isEqualTo("database");
        assertThat(fieldOf(() -> new RedisStreamConfig("h", 1, "s", 0, false, null, null, 0, Duration.ofSeconds(1))))
                .isEqualTo("max_entry_bytes");
        assertThat(fieldOf(() -> new RedisStreamConfig("h", 1, "s", 0, false, null, null, 1, Duration.ZERO)))
                .isEqualTo("request_timeout_ms");
    }

    @Test
    void streamKeyOfSequinsMaximumLength_isAccepted() {
        assertThat(config("h", 6379, "k".repeat(255), 0, null, null).streamKey())
                .hasSize(255);
    }

    @Test
    void usernameWithoutPassword_isReportedAtPassword_andBlankCredentialsAreAbsent() {
        assertThat(fieldOf(() -> config("h", 6379, "s", 0, "sluice", null))).isEqualTo("password");
        assertThat(fieldOf(() -> config("h", 6379, "s", 0, "sluice", ""))).isEqualTo("password");
        RedisStreamConfig none = config("h", 6379, "s", 0, " ", "");
        assertThat(none.username()).isNull();
        assertThat(none.password()).isNull();
        assertThat(config("h", 6379, "s", 0, null, "pw").password()).isEqualTo("pw");
    }

    @Test
    void toString_hidesThePassword_andMessagesNeverShowIt() {
        assertThat(config("h", 6379, "s", 0, "sluice", "s3cret-pw").toString())
                .doesNotContain("s3cret-pw")
                .contains("password=***", "username=sluice");
        assertThatThrownBy(() -> config("h", 0, "s", 0, "sluice", "s3cret-pw"))
                .hasMessageStartingWith("port: ")
                .hasMessageNotContaining("s3cret-pw");
    }
}
