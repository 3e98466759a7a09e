package dev.sluice.client;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When and how long the client waits before sending a call again.
 *
 * <p>A call is sent again when the answer is 429 (after the server's {@code Retry-After}, when it gave one), 502,
 * 503 or 504, or when there was no answer (an I/O error), and only when sending it twice is safe: {@code GET},
 * {@code PUT} and {@code DELETE}, and a {@code POST} carrying an {@code Idempotency-Key} (the client adds one to
 * every create and action unless {@link SluiceClient.Builder#idempotencyKeys(boolean)} turned that off). The wait
 * before attempt {@code n + 1} is {@code min(maxDelay, baseDelay * 2^(n-1))}, less a random part of up to
 * {@code jitter} of it, so that many clients do not retry in step. A {@code Retry-After} longer than
 * {@code maxDelay} is not waited for: the call fails with {@link SluiceException.RateLimited}.
 *
 * @param maxAttempts attempts in all, at least 1 (1: never retry)
 * @param baseDelay the wait before the second attempt
 * @param maxDelay the longest wait
 * @param jitter 0 to 1: the part of each wait that is random (0: exact waits)
 */
public record RetryPolicy(int maxAttempts, Duration baseDelay, Duration maxDelay, double jitter) {
    public RetryPolicy {
        Objects.requireNonNull(baseDelay, "baseDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        if (baseDelay.isNegative() || maxDelay.isNegative()) {
            throw new IllegalArgumentException("delays must not be negative, got " + baseDelay + " and " + maxDelay);
        }
        if (maxDelay.compareTo(baseDelay) < 0) {
            throw new IllegalArgumentException("maxDelay " + maxDelay + " is shorter than baseDelay " + baseDelay);
        }
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new IllegalArgumentException("jitter must be between 0 and 1, got " + jitter);
        }
    }

    /** 4 attempts, 200 ms doubling to at most 5 s, half of each wait random: the client's default. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(4, Duration.ofMillis(200), Duration.ofSeconds(5), 0.5);
    }

    /** One attempt: errors are thrown at once. */
    public static RetryPolicy none() {
        return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, 0);
    }

    /** This policy with {@code maxAttempts} attempts. */
    public RetryPolicy withMaxAttempts(int maxAttempts) {
        return new RetryPolicy(maxAttempts, baseDelay, maxDelay, jitter);
    }

    /** This policy with these delays. */
    public RetryPolicy withDelays(Duration baseDelay, Duration maxDelay) {
        return new RetryPolicy(maxAttempts, baseDelay, maxDelay, jitter);
    }

    /** This policy with this jitter. */
    public RetryPolicy withJitter(double jitter) {
        return new RetryPolicy(maxAttempts, baseDelay, maxDelay, jitter);
    }

    /** The wait after failed attempt {@code attempt} (1-based). */
    Duration backoff(int attempt) {
        double exp = Math.min((double) maxDelay.toNanos(), baseDelay.toNanos() * Math.pow(2, attempt - 1));
        double random = jitter == 0 ? 0 : ThreadLocalRandom.current().nextDouble() * jitter;
        return Duration.ofNanos((long) (exp * (1 - random)));
    }
}
