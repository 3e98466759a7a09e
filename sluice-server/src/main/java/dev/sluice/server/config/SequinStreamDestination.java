package dev.sluice.server.config;

import java.time.Duration;

/**
 * Messages wait in Sluice until consumers pull and acknowledge them over the API (Sequin's {@code sequin_stream}).
 *
 * @param visibilityTimeout how long a received message stays hidden from other consumers before it goes out again
 *     unless acknowledged
 */
public record SequinStreamDestination(Duration visibilityTimeout) implements DestinationConfig {
    public static final Duration DEFAULT_VISIBILITY_TIMEOUT = Duration.ofSeconds(30);

    public SequinStreamDestination {
        if (visibilityTimeout.isNegative() || visibilityTimeout.isZero()) {
            throw new IllegalArgumentException("visibilityTimeout must be positive: " + visibilityTimeout);
        }
    }

    @Override
    public String type() {
        return "sequin_stream";
    }
}
