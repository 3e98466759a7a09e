package dev.sluice.server.api;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Limits the API applies to every request under {@code /api}.
 *
 * @param rateLimit sustained requests per second per API token ({@code SLUICE_API_RATE_LIMIT}, default 100); 0
 *     turns rate limiting off
 * @param rateBurst requests a token may send at once before the sustained rate applies ({@code
 *     SLUICE_API_RATE_BURST}, default 1000)
 * @param idempotencyTtl how long the response to a POST sent with an {@code Idempotency-Key} is kept for replay
 *     ({@code SLUICE_API_IDEMPOTENCY_TTL}, ISO-8601, default 24 hours)
 */
public record ApiGuardSettings(double rateLimit, int rateBurst, Duration idempotencyTtl) {
    public static final ApiGuardSettings DEFAULTS = new ApiGuardSettings(100, 1000, Duration.ofHours(24));

    public ApiGuardSettings {
        if (!Double.isFinite(rateLimit) || rateLimit < 0) {
            throw new IllegalArgumentException("rate limit must be 0 (off) or a positive number, got " + rateLimit);
        }
        if (rateBurst < 1) {
            throw new IllegalArgumentException("rate burst must be at least 1, got " + rateBurst);
        }
        if (idempotencyTtl.isNegative() || idempotencyTtl.isZero()) {
            throw new IllegalArgumentException("idempotency TTL must be positive, got " + idempotencyTtl);
        }
    }

    /** Whether requests are limited at all. */
    public boolean rateLimited() {
        return rateLimit > 0;
    }

    /** The settings from {@code env} (an environment variable's value, or null), defaults for what is unset. */
    public static ApiGuardSettings from(Function<String, @Nullable String> env) {
        return new ApiGuardSettings(
                rate(env, "SLUICE_API_RATE_LIMIT", DEFAULTS.rateLimit()),
                burst(env, "SLUICE_API_RATE_BURST", DEFAULTS.rateBurst()),
                duration(env, "SLUICE_API_IDEMPOTENCY_TTL", DEFAULTS.idempotencyTtl()));
    }

    private static double rate(Function<String, @Nullable String> env, String name, double fallback) {
        String v = env.apply(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(v.strip());
            if (!Double.isFinite(d) || d < 0) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name
                    + " must be the requests per second allowed per API token (a number such as 100 or 0.5; 0 turns"
                    + " rate limiting off), got '" + v + "'");
        }
    }

    private static int burst(Function<String, @Nullable String> env, String name, int fallback) {
        String v = env.apply(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name
                    + " must be a positive whole number (requests one API token may send at once), got '" + v
                    + "'; set SLUICE_API_RATE_LIMIT=0 to turn rate limiting off");
        }
    }

    private static Duration duration(Function<String, @Nullable String> env, String name, Duration fallback) {
        String v = env.apply(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            Duration d = Duration.parse(v.strip());
            if (d.isNegative() || d.isZero()) {
                throw new DateTimeParseException("not positive", v, 0);
            }
            return d;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(
                    name + " must be a positive ISO-8601 duration like PT24H or PT30M, got '" + v + "'");
        }
    }
}
