package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
    /** A clock the test moves by hand. */
    static final class FakeClock implements InstantSource {
        Instant now = Instant.parse("2026-12-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    final FakeClock clock = new FakeClock();

    @Test
    void take_allowsTheBurstAtOnce_thenSaysHowLongUntilTheNextPermit() {
        TokenBucket bucket = new TokenBucket(1, 3, clock);
        assertThat(bucket.take()).isZero();
        assertThat(bucket.take()).isZero();
        assertThat(bucket.take()).isZero();
        assertThat(bucket.take()).isEqualTo(Duration.ofSeconds(1));
        // A refused request takes nothing: the wait only shrinks as time passes.
        assertThat(bucket.take()).isEqualTo(Duration.ofSeconds(1));
        clock.advance(Duration.ofMillis(400));
        assertThat(bucket.take()).isEqualTo(Duration.ofMillis(600));
        clock.advance(Duration.ofMillis(600));
        assertThat(bucket.take()).isZero();
        assertThat(bucket.take()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void take_refillsAtTheRate_upToTheBurstOnly() {
        TokenBucket bucket = new TokenBucket(10, 5, clock);
        for (int i = 0; i < 5; i++) {
            assertThat(bucket.take()).isZero();
        }
        assertThat(bucket.take()).isEqualTo(Duration.ofMillis(100));
        clock.advance(Duration.ofMillis(250)); // 2.5 permits
        assertThat(bucket.take()).isZero();
        assertThat(bucket.take()).isZero();
        assertThat(bucket.take()).isEqualTo(Duration.ofMillis(50));
        clock.advance(Duration.ofDays(365_000)); // far beyond the burst, and beyond Long nanos
        for (int i = 0; i < 5; i++) {
            assertThat(bucket.take()).isZero();
        }
        assertThat(bucket.take()).isPositive();
    }

    @Test
    void take_withAFractionalRate_waitsLonger() {
        TokenBucket bucket = new TokenBucket(0.5, 1, clock);
        assertThat(bucket.take()).isZero();
        assertThat(bucket.take()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void take_whenTheClockStepsBack_refillsNothingAndDoesNotFail() {
        TokenBucket bucket = new TokenBucket(1, 1, clock);
        assertThat(bucket.take()).isZero();
        clock.advance(Duration.ofMinutes(-5));
        assertThat(bucket.take()).isEqualTo(Duration.ofSeconds(1));
        clock.advance(Duration.ofMinutes(5)); // back where it was: still no permit
        assertThat(bucket.take()).isEqualTo(Duration.ofSeconds(1));
        clock.advance(Duration.ofSeconds(1));
        assertThat(bucket.take()).isZero();
    }

    @Test
    void settings_defaultTo100PerSecondWithBurstsOf1000And24Hours() {
        ApiGuardSettings s = ApiGuardSettings.from(Map.<String, String>of()::get);
        assertThat(s).isEqualTo(new ApiGuardSettings(100, 1000, Duration.ofHours(24)));
        assertThat(s.rateLimited()).isTrue();
    }

    @Test
    void settings_areReadFromTheEnvironment_andZeroTurnsLimitingOff() {
        ApiGuardSettings s = ApiGuardSettings.from(Map.of(
                "SLUICE_API_RATE_LIMIT", " 2.5 ",
                "SLUICE_API_RATE_BURST", "7",
                "SLUICE_API_IDEMPOTENCY_TTL", "PT30M")::get);
        assertThat(s).isEqualTo(new ApiGuardSettings(2.5, 7, Duration.ofMinutes(30)));
        assertThat(ApiGuardSettings.from(Map.of("SLUICE_API_RATE_LIMIT", "0")::get)
                        .rateLimited())
                .isFalse();
    }

    @Test
    void settings_rejectBadValues_namingTheVariable() {
        assertThatThrownBy(() -> ApiGuardSettings.from(Map.of("SLUICE_API_RATE_LIMIT", "fast")::get))
                .hasMessageStartingWith("SLUICE_API_RATE_LIMIT must be the requests per second")
                .hasMessageContaining("got 'fast'");
        assertThatThrownBy(() -> ApiGuardSettings.from(Map.of("SLUICE_API_RATE_LIMIT", "-1")::get))
                .hasMessageContaining("SLUICE_API_RATE_LIMIT");
        assertThatThrownBy(() -> ApiGuardSettings.from(Map.of("SLUICE_API_RATE_BURST", "0")::get))
                .hasMessageStartingWith("SLUICE_API_RATE_BURST must be a positive whole number")
                .hasMessageContaining("SLUICE_API_RATE_LIMIT=0");
        assertThatThrownBy(() -> ApiGuardSettings.from(Map.of("SLUICE_API_IDEMPOTENCY_TTL", "24h")::get))
                .hasMessage("SLUICE_API_IDEMPOTENCY_TTL must be a positive ISO-8601 duration like PT24H or PT30M,"
                        + " got '24h'");
    }
}
