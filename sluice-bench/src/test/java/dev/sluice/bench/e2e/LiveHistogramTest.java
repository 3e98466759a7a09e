package dev.sluice.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LiveHistogramTest {
    @Test
    void percentilesAreWithinTwoPercentOfTheExactValue() {
        LiveHistogram h = new LiveHistogram();
        for (long v = 1; v <= 100_000; v++) {
            h.record(v * 37);
        }
        assertThat(h.count()).isEqualTo(100_000);
        assertThat(h.percentileMicros(50)).isCloseTo(50_000 * 37, within(50_000 * 37 * 0.02));
        assertThat(h.percentileMicros(99)).isCloseTo(99_000 * 37, within(99_000 * 37 * 0.02));
        assertThat(h.percentileMicros(100)).isLessThanOrEqualTo(100_000 * 37);
        assertThat(h.maxMicros()).isEqualTo(100_000 * 37);
    }

    @Test
    void bucketsAreContiguousAndOrdered() {
        int last = -1;
        for (long v = 0; v < 1 << 20; v++) {
            int i = LiveHistogram.index(v);
            assertThat(i).isBetween(last, last + 1);
            last = i;
        }
        assertThat(LiveHistogram.middle(LiveHistogram.index(1_000_000))).isCloseTo(1_000_000, within(10_000.0));
    }

    @Test
    void smallValuesAreExactAndEmptyIsZero() {
        LiveHistogram h = new LiveHistogram();
        assertThat(h.percentileMicros(99)).isZero();
        h.record(5);
        h.record(-3);
        assertThat(h.percentileMicros(100)).isEqualTo(5);
        assertThat(h.percentileMicros(1)).isZero();
    }

    @Test
    void commitTimestampIsReadFromMessageText() {
        String body = "{\"metadata\":{\"commit_timestamp\":\"2024-10-28T21:39:21.127470Z\",\"commit_lsn\":1}}";
        int at = body.indexOf("\"commit_timestamp\"") + "\"commit_timestamp\"".length();
        assertThat(LiveReceiver.commitMicros(body, at))
                .isEqualTo(
                        java.time.Instant.parse("2024-10-28T21:39:21.127470Z").toEpochMilli() * 1000 + 470);
        assertThat(LiveReceiver.commitMicros(":\"2024-10-28T21:39:21Z\"", 0))
                .isEqualTo(java.time.Instant.parse("2024-10-28T21:39:21Z").getEpochSecond() * 1_000_000);
        assertThat(LiveReceiver.commitMicros(":null}", 0)).isEqualTo(Long.MIN_VALUE);
    }
}
