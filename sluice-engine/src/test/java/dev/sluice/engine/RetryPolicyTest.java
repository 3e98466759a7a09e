package dev.sluice.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    @Test
    void delayAfter_doublesFromBaseWithoutJitter() {
        RetryPolicy p = new RetryPolicy(Duration.ofSeconds(1), Duration.ofMinutes(10), 0);
        for (int failures = 1; failures <= 10; failures++) {
            assertThat(p.delayAfter(failures)).isEqualTo(Duration.ofSeconds(1L << (failures - 1)));
        }
    }

    @Test
    void delayAfter_isCappedAndNeverOverflows() {
        RetryPolicy p = new RetryPolicy(Duration.ofSeconds(1), Duration.ofMinutes(10), 0);
        assertThat(p.delayAfter(10)).isEqualTo(Duration.ofSeconds(512));
        assertThat(p.delayAfter(11)).isEqualTo(Duration.ofMinutes(10));
        for (int failures : new int[] {12, 40, 63, 64, 65, 1000, Integer.MAX_VALUE}) {
            assertThat(p.delayAfter(failures)).as("after %d failures", failures).isEqualTo(Duration.ofMinutes(10));
        }
    }

    @Test
    void delayAfter_capEqualToBaseAlwaysWaitsBase() {
        RetryPolicy p = new RetryPolicy(Duration.ofMillis(250), Duration.ofMillis(250), 0);
        assertThat(p.delayAfter(1)).isEqualTo(Duration.ofMillis(250));
        assertThat(p.delayAfter(30)).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void delayAfter_staysWithinJitterBoundsOfTheDoubledDelay() {
        RetryPolicy p = RetryPolicy.DELIVERY;
        for (int failures = 1; failures <= 14; failures++) {
            long raw = Math.min(
                    Duration.ofMinutes(10).toNanos(), Duration.ofSeconds(1).toNanos() << (failures - 1));
            Duration low = Duration.ofNanos((long) (raw * 0.75));
            Duration high = Duration.ofNanos((long) (raw * 1.25));
            for (int i = 0; i < 200; i++) {
                assertThat(p.delayAfter(failures))
                        .as("after %d failures", failures)
                        .isBetween(low, high);
            }
        }
    }

    @Test
    void delayAfter_jitterSpreadsRetries() {
        Set<Duration> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            seen.add(RetryPolicy.DELIVERY.delayAfter(3));
        }
        assertThat(seen).hasSizeGreaterThan(10);
    }

    @Test
    void delayAfter_growsAcrossAttemptsDespiteJitter() {
        // ±25 % jitter cannot make attempt n+2 wait less than attempt n (4x apart before jitter).
        RetryPolicy p = RetryPolicy.RECONNECT;
        for (int failures = 1; failures <= 4; failures++) {
            assertThat(p.delayAfter(failures + 2)).isGreaterThan(p.delayAfter(failures));
        }
        assertThat(p.delayAfter(50)).isLessThanOrEqualTo(Duration.ofSeconds(75));
    }

    @Test
    void constructor_rejectsNonPositiveBase() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new RetryPolicy(Duration.ZERO, Duration.ofSeconds(1), 0))
                .withMessageContaining("base");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new RetryPolicy(Duration.ofMillis(-1), Duration.ofSeconds(1), 0))
                .withMessageContaining("base");
    }

    @Test
    void constructor_rejectsCapBelowBase() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new RetryPolicy(Duration.ofSeconds(2), Duration.ofSeconds(1), 0))
                .withMessageContaining("cap");
    }

    @Test
    void constructor_rejectsJitterOutsideZeroToOne() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(2), -0.1))
                .withMessageContaining("jitter");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(2), 1.0))
                .withMessageContaining("jitter");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new RetryPolicy(Duration.ofSeconds(1), Duration.ofSeconds(2), Double.NaN))
                .withMessageContaining("jitter");
    }
}
