package dev.sluice.engine.queue;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Messages delivered in the last minute, and when the last one was: a ring of 60 per-second counts, each stamped with
 * its second so that a slot left from a minute ago counts for nothing. Told once per delivered batch, not per
 * message.
 *
 * <p>Concurrency: thread-safe (the dispatcher adds, the API reads).
 */
final class DeliveryRate {
    private static final int SECONDS = 60;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final long[] counts = new long[SECONDS];
    private final long[] stamps = new long[SECONDS];
    private volatile @Nullable Instant lastDeliveredAt;

    DeliveryRate() {
        java.util.Arrays.fill(stamps, Long.MIN_VALUE);
    }

    /** {@code n} messages were delivered at {@code nowNanos} (monotonic) and {@code now} (wall clock). */
    synchronized void add(long nowNanos, Instant now, long n) {
        long second = Math.floorDiv(nowNanos, NANOS_PER_SECOND);
        int slot = (int) Math.floorMod(second, SECONDS);
        if (stamps[slot] != second) {
            stamps[slot] = second;
            counts[slot] = 0;
        }
        counts[slot] += n;
        lastDeliveredAt = now;
    }

    /** Messages delivered in the 60 seconds up to {@code nowNanos}. */
    synchronized long lastMinute(long nowNanos) {
        long second = Math.floorDiv(nowNanos, NANOS_PER_SECOND);
        long sum = 0;
        for (int i = 0; i < SECONDS; i++) {
            if (second - stamps[i] < SECONDS && stamps[i] <= second) {
                sum += counts[i];
            }
        }
        return sum;
    }

    /** When the last message was delivered, or null when none has been since the sink started. */
    @Nullable
    Instant lastDeliveredAt() {
        return lastDeliveredAt;
    }
}
