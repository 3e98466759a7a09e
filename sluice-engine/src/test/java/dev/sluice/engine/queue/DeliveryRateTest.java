package dev.sluice.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.FakeTicker;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DeliveryRateTest {
    private final FakeTicker ticker = new FakeTicker();
    private final DeliveryRate rate = new DeliveryRate();

    private void deliver(long n) {
        rate.add(ticker.nanos(), ticker.now(), n);
    }

    @Test
    void lastMinute_countsDeliveriesOfTheLast60SecondsOnly() {
        assertThat(rate.lastMinute(ticker.nanos())).isZero();
        assertThat(rate.lastDeliveredAt()).isNull();
        deliver(10);
        ticker.advance(Duration.ofMillis(300));
        deliver(5); // the same second
        ticker.advance(Duration.ofSeconds(30));
        deliver(7);
        assertThat(rate.lastMinute(ticker.nanos())).isEqualTo(22);
        assertThat(rate.lastDeliveredAt()).isEqualTo(ticker.now());

        ticker.advance(Duration.ofSeconds(30));
        assertThat(rate.lastMinute(ticker.nanos()))
                .as("the first second has left the window")
                .isEqualTo(7);
        ticker.advance(Duration.ofSeconds(30));
        assertThat(rate.lastMinute(ticker.nanos())).isZero();
    }

    @Test
    void aSlotReusedAMinuteLater_startsFromZero() {
        deliver(100);
        ticker.advance(Duration.ofSeconds(60));
        deliver(1); // same slot of the ring, a minute on
        assertThat(rate.lastMinute(ticker.nanos())).isEqualTo(1);
        ticker.advance(Duration.ofMinutes(10));
        assertThat(rate.lastMinute(ticker.nanos())).isZero();
    }
}
