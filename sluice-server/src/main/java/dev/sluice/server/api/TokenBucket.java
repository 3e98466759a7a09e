package dev.sluice.server.api;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/**
 * A token bucket: holds up to {@code burst} permits, refilled at {@code rate} per second; each request takes one.
 *
 * <p>Concurrency: thread-safe; one lock per bucket (one bucket per API token), held for a few arithmetic steps.
 * Time comes from the injected {@link InstantSource}; a clock that steps back refills nothing rather than failing.
 */
final class TokenBucket {
    private static final double NANOS_PER_SECOND = 1e9;

    private final double ratePerNano;
    private final double burst;
    private final InstantSource clock;
    private double permits;
    private Instant last;

    TokenBucket(double ratePerSecond, int burst, InstantSource clock) {
        if (!(ratePerSecond > 0) || burst < 1) {
            throw new IllegalArgumentException("rate must be positive and burst at least 1");
        }
        this.ratePerNano = ratePerSecond / NANOS_PER_SECOND;
        this.burst = burst;
        this.clock = clock;
        this.permits = burst;
        this.last = clock.instant();
    }

    /** Takes a permit: {@link Duration#ZERO} when one was free, otherwise how long until one will be (none taken). */
    synchronized Duration take() {
        Instant now = clock.instant();
        if (now.isAfter(last)) {
            long elapsed = saturatedNanos(Duration.between(last, now));
            permits = Math.min(burst, permits + elapsed * ratePerNano);
            last = now;
        }
        if (permits >= 1) {
            permits -= 1;
            return Duration.ZERO;
        }
        return Duration.ofNanos((long) Math.ceil((1 - permits) / ratePerNano));
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
