package dev.sluice.engine;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential back-off with full-range jitter: attempt {@code n} (1-based) waits
 * {@code min(cap, base * 2^(n-1))}, scaled by a random factor in [1 - jitter, 1 + jitter] so that
 * many failing groups do not retry in lock step.
 */
public record RetryPolicy(Duration base, Duration cap, double jitter) {
    /** Deliveries: 1 s base, 10 min cap, ±25 %. */
    public static final RetryPolicy DELIVERY = new RetryPolicy(Duration.ofSeconds(1), Duration.ofMinutes(10), 0.25);

    /** Reconnecting to a source database: 1 s base, 1 min cap, ±25 %. */
    public static final RetryPolicy RECONNECT = new RetryPolicy(Duration.ofSeconds(1), Duration.ofMinutes(1), 0.25);

    public RetryPolicy {
        if (base.isNegative() || base.isZero()) {
            throw new IllegalArgumentException("base must be positive, got " + base);
        }
        if (cap.compareTo(base) < 0) {
            throw new IllegalArgumentException("cap " + cap + " is below base " + base);
        }
        if (!(jitter >= 0 && jitter < 1)) { // also rejects NaN
            throw new IllegalArgumentException("jitter must be in [0, 1), got " + jitter);
        }
    }

    /** How long to wait before attempt {@code failures + 1}, after {@code failures} failures (≥ 1). */
    public Duration delayAfter(int failures) {
        int shift = Math.min(Math.max(failures - 1, 0), 40);
        long baseNanos = base.toNanos();
        long raw = baseNanos > (cap.toNanos() >> shift) ? cap.toNanos() : Math.min(cap.toNanos(), baseNanos << shift);
        double factor = 1 + (jitter == 0 ? 0 : ThreadLocalRandom.current().nextDouble(-jitter, jitter));
        return Duration.ofNanos((long) (raw * factor));
    }
}
