package dev.sluice.client;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * What {@link Webhooks#test} made of sending a test event.
 *
 * @param delivered whether the receiver accepted it (a 2xx)
 * @param status the HTTP status it answered, or null when there was no answer
 * @param error why it was not delivered, or null
 * @param duration how long the delivery took
 * @param raw the whole JSON object
 */
public record WebhookTest(
        boolean delivered,
        @Nullable Integer status,
        @Nullable String error,
        Duration duration,
        JsonNode raw) {
    static WebhookTest from(JsonNode n) {
        Duration d = Json.millis(n, "duration_ms");
        return new WebhookTest(
                Json.bool(n, "delivered"),
                Json.intOrNull(n, "status"),
                Json.str(n, "error"),
                d == null ? Duration.ZERO : d,
                n);
    }
}
