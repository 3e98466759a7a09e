package dev.sluice.server.jobs;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Limits of the jobs API: how many jobs may be queued or running at once ({@code SLUICE_JOBS_MAX_ACTIVE}, default
 * 10; a new one beyond is answered 429), how long a job's record is kept after it was created ({@code
 * SLUICE_JOBS_TTL}, ISO-8601 like {@code P30D}, default 30 days), and how many jobs one node runs at once ({@code
 * SLUICE_JOBS_CONCURRENCY}, default 2), and how old the heartbeat of a running job must be before another node takes
 * it over ({@code SLUICE_JOBS_STALE}, default 30 s: well above the 2 s heartbeat, so a busy node is not overtaken).
 */
public record JobSettings(int maxActive, Duration ttl, int concurrency, Duration stale) {
    public static final JobSettings DEFAULTS = new JobSettings(10, Duration.ofDays(30), 2, Duration.ofSeconds(30));

    public JobSettings(int maxActive, Duration ttl, int concurrency) {
        this(maxActive, ttl, concurrency, DEFAULTS.stale());
    }

    public JobSettings {
        if (maxActive < 1
                || concurrency < 1
                || ttl.isNegative()
                || ttl.isZero()
                || stale.isNegative()
                || stale.isZero()) {
            throw new IllegalArgumentException("job limits must be positive");
        }
    }

    /** The settings from {@code env} (an environment variable's value, or null), defaults for what is unset. */
    public static JobSettings from(Function<String, @Nullable String> env) {
        return new JobSettings(
                integer(env, "SLUICE_JOBS_MAX_ACTIVE", DEFAULTS.maxActive()),
                duration(env, "SLUICE_JOBS_TTL", DEFAULTS.ttl()),
                integer(env, "SLUICE_JOBS_CONCURRENCY", DEFAULTS.concurrency()),
                duration(env, "SLUICE_JOBS_STALE", DEFAULTS.stale()));
    }

    private static int integer(Function<String, @Nullable String> env, String name, int fallback) {
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
            throw new IllegalArgumentException(name + " must be a positive whole number, got '" + v + "'");
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
                    name + " must be an ISO-8601 duration like P30D or PT12H, got '" + v + "'");
        }
    }
}
