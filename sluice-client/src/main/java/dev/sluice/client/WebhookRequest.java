package dev.sluice.client;

import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * The body of {@link Webhooks#create} and {@link Webhooks#update}: only the fields set are sent.
 *
 * @param body the JSON object sent
 */
public record WebhookRequest(JsonNode body) {
    /** The event types a webhook can subscribe to; {@code *} is all of them. */
    public static final Set<String> EVENT_TYPES = Set.of(
            "sink.health_changed",
            "sink.failing",
            "sink.recovered",
            "backfill.completed",
            "backfill.failed",
            "job.completed",
            "job.failed",
            "database.lag_exceeded",
            "database.disconnected",
            "*");

    public WebhookRequest {
        body = body.deepCopy();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link WebhookRequest}; each setter checks its value at once. */
    public static final class Builder extends RequestBuilder<Builder> {
        Builder() {}

        public Builder name(String name) {
            return set("name", nonBlank("name", name));
        }

        /** Where events are POSTed. */
        public Builder url(String url) {
            return set("url", nonBlank("url", url));
        }

        /** The event types to receive (see {@link #EVENT_TYPES}); {@code "*"} for all. */
        public Builder events(String... events) {
            if (events.length == 0) {
                throw new IllegalArgumentException("events: give at least one event type, or \"*\"");
            }
            for (String e : events) {
                if (!EVENT_TYPES.contains(e)) {
                    throw new IllegalArgumentException(
                            "unknown event type '" + e + "'; known: " + new java.util.TreeSet<>(EVENT_TYPES));
                }
            }
            return set("events", List.of(events));
        }

        /** Only events about this sink (name or id). */
        public Builder sink(String sink) {
            return set("sink", nonBlank("sink", sink));
        }

        /** Only events about this database (name or id). */
        public Builder database(String database) {
            return set("database", nonBlank("database", database));
        }

        /** {@code database.lag_exceeded} fires above this many WAL bytes of lag. */
        public Builder lagThresholdBytes(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("lag_threshold_bytes must be positive, got " + bytes);
            }
            return set("lag_threshold_bytes", bytes);
        }

        /** {@code database.lag_exceeded} fires above this lag. */
        public Builder lagThreshold(java.time.Duration lag) {
            if (lag.isNegative() || lag.isZero()) {
                throw new IllegalArgumentException("lag threshold must be positive, got " + lag);
            }
            return set("lag_threshold_seconds", lag.toSeconds());
        }

        public Builder enabled(boolean enabled) {
            return set("enabled", enabled);
        }

        public WebhookRequest build() {
            return new WebhookRequest(body);
        }
    }
}
