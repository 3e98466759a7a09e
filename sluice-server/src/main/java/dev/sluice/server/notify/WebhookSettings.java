package dev.sluice.server.notify;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * How webhooks are delivered and watched for. From the environment (see docs/configuration.md):
 *
 * @param timeout how long one delivery attempt may take ({@code SLUICE_WEBHOOKS_TIMEOUT}, default 10 s)
 * @param initialBackoff the wait before the first retry; doubled after each failed attempt, with ±20% jitter
 *     ({@code SLUICE_WEBHOOKS_RETRY_INITIAL}, default 1 s)
 * @param maxBackoff the longest wait between attempts ({@code SLUICE_WEBHOOKS_RETRY_MAX}, default 5 min)
 * @param maxAttempts attempts per event and subscription, the first included ({@code SLUICE_WEBHOOKS_MAX_ATTEMPTS},
 *     default 8)
 * @param maxAge no attempt starts later than this after the event ({@code SLUICE_WEBHOOKS_MAX_AGE}, default 24 h)
 * @param watchInterval how often sink health and database state are compared with the last seen
 *     ({@code SLUICE_WEBHOOKS_WATCH_INTERVAL}, default 1 s)
 */
public record WebhookSettings(
        Duration timeout,
        Duration initialBackoff,
        Duration maxBackoff,
        int maxAttempts,
        Duration maxAge,
        Duration watchInterval) {
    public static final WebhookSettings DEFAULTS = new WebhookSettings(
            Duration.ofSeconds(10),
            Duration.ofSeconds(1),
            Duration.ofMinutes(5),
            8,
            Duration.ofHours(24),
            Duration.ofSeconds(1));

    public WebhookSettings {
        for (Duration d : new Duration[] {timeout, initialBackoff, maxBackoff, maxAge, watchInterval}) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("webhook durations must be positive, got " + d);
            }
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("webhook max attempts must be at least 1, got " + maxAttempts);
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("SLUICE_WEBHOOKS_RETRY_MAX (" + maxBackoff
                    + ") must not be below SLUICE_WEBHOOKS_RETRY_INITIAL (" + initialBackoff + ")");
        }
    }

    /** The settings from {@code env} (a variable's value, or null), defaults for what is unset. */
    public static WebhookSettings from(Function<String, @Nullable String> env) {
        String attempts = env.apply("SLUICE_WEBHOOKS_MAX_ATTEMPTS");
        int maxAttempts = DEFAULTS.maxAttempts();
        if (attempts != null && !attempts.isBlank()) {
            try {
                maxAttempts = Integer.parseInt(attempts.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "SLUICE_WEBHOOKS_MAX_ATTEMPTS must be a whole number of 1 or more, got '" + attempts + "'");
            }
        }
        return new WebhookSettings(
                duration(env, "SLUICE_WEBHOOKS_TIMEOUT", DEFAULTS.timeout()),
                duration(env, "SLUICE_WEBHOOKS_RETRY_INITIAL", DEFAULTS.initialBackoff()),
                duration(env, "SLUICE_WEBHOOKS_RETRY_MAX", DEFAULTS.maxBackoff()),
                maxAttempts,
                duration(env, "SLUICE_WEBHOOKS_MAX_AGE", DEFAULTS.maxAge()),
                duration(env, "SLUICE_WEBHOOKS_WATCH_INTERVAL", DEFAULTS.watchInterval()));
    }

    /** The wait after failed attempt {@code attempt} (1-based), before jitter: doubling from the initial, capped. */
    Duration backoff(int attempt) {
        Duration d = initialBackoff;
        for (int i = 1; i < attempt && d.compareTo(maxBackoff) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
    }

    private static Duration duration(Function<String, @Nullable String> env, String name, Duration fallback) {
        String v = env.apply(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Duration.parse(v.strip());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(
                    name + " must be an ISO-8601 duration like PT10S or PT5M, got '" + v + "'");
        }
    }
}
