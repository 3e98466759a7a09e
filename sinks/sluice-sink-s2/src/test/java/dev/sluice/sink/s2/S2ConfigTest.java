package dev.sluice.sink.s2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.InvalidConfigException;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class S2ConfigTest {
    private static String fieldOf(Runnable r) {
        try {
            r.run();
        } catch (InvalidConfigException e) {
            return e.field();
        }
        throw new AssertionError("no InvalidConfigException");
    }

    @Test
    void sequinsExample_isValid_withSluicesDefaults() {
        S2Config c = new S2Config("my-basin", "my-stream", "my-access-token");
        assertThat(c.endpointUrl()).isNull();
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.target()).isEqualTo("my-basin/my-stream");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "short", "Upper-Case-Basin", "-leading-hyphen", "trailing-hyphen-", "under_score1"})
    void basinBreakingS2sRule_isReportedAtBasin(String basin) {
        assertThat(fieldOf(() -> new S2Config(basin, "s", "t"))).isEqualTo("basin");
    }

    @Test
    void eachBadValue_isReportedAtItsField() {
        assertThat(fieldOf(() -> new S2Config("my-basin", "", "t"))).isEqualTo("stream");
        assertThat(fieldOf(() -> new S2Config("my-basin", "s".repeat(513), "t")))
                .isEqualTo("stream");
        assertThat(fieldOf(() -> new S2Config("my-basin", "s", " "))).isEqualTo("access_token");
        assertThat(fieldOf(() -> new S2Config("my-basin", "s", "t", URI.create("ftp://h/v1"), Duration.ofSeconds(1))))
                .isEqualTo("endpoint_url");
        assertThat(fieldOf(
                        () -> new S2Config("my-basin", "s", "t", URI.create("http://h/v1?x=1"), Duration.ofSeconds(1))))
                .isEqualTo("endpoint_url");
        assertThat(fieldOf(() -> S2Config.endpoint("http://bad host/"))).isEqualTo("endpoint_url");
        assertThat(fieldOf(() -> new S2Config("my-basin", "s", "t", null, Duration.ZERO)))
                .isEqualTo("request_timeout_ms");
    }

    @Test
    void limitsAreS2s_48CharacterBasin_and512ByteStream() {
        assertThat(S2Config.basinProblem("a".repeat(48))).isNull();
        assertThat(S2Config.basinProblem("a".repeat(49))).contains("49 characters");
        assertThat(S2Config.streamProblem("é".repeat(256))).isNull();
        assertThat(S2Config.streamProblem("é".repeat(257))).isEqualTo("is 514 bytes long; at most 512");
        assertThat(S2Config.streamProblem("logs/orders")).isNull();
    }

    @Test
    void toString_hidesTheToken() {
        assertThat(new S2Config("my-basin", "s", "tok-secret-77").toString())
                .doesNotContain("tok-secret-77")
                .contains("accessToken=***");
    }
}
