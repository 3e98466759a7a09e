package dev.sluice.client.webhook;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One event of a notification webhook, as delivered: {@code {"id", "type", "created_at", "data"}}. Parse it only
 * after {@link WebhookSignature#verify verifying} the raw body; {@link WebhookFilter} and {@link WebhookHandler} do
 * both.
 *
 * @param id the event's id (also in the {@code Sluice-Event-Id} header): deliveries may repeat, so deduplicate by it
 * @param type its type, such as {@link #SINK_FAILING}
 * @param createdAt when it happened, or null when the server did not say
 * @param data what it is about (shape per type: the sink, backfill, job or database, with details)
 */
public record WebhookEvent(String id, String type, @Nullable Instant createdAt, JsonNode data) {
    public static final String SINK_HEALTH_CHANGED = "sink.health_changed";
    public static final String SINK_FAILING = "sink.failing";
    public static final String SINK_RECOVERED = "sink.recovered";
    public static final String BACKFILL_COMPLETED = "backfill.completed";
    public static final String BACKFILL_FAILED = "backfill.failed";
    public static final String JOB_COMPLETED = "job.completed";
    public static final String JOB_FAILED = "job.failed";
    public static final String DATABASE_LAG_EXCEEDED = "database.lag_exceeded";
    public static final String DATABASE_DISCONNECTED = "database.disconnected";

    /** The request attribute under which {@link WebhookFilter} and {@link WebhookHandler} leave the event. */
    public static final String ATTRIBUTE = WebhookEvent.class.getName();

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public WebhookEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
    }

    /**
     * Parses a delivery's body.
     *
     * @throws IllegalArgumentException when it is not an event object with an {@code id} and a {@code type}
     */
    public static WebhookEvent parse(byte[] body) {
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("the webhook body is not JSON: " + e.getOriginalMessage(), e);
        }
        if (n == null
                || !n.isObject()
                || !n.path("id").isString()
                || !n.path("type").isString()) {
            throw new IllegalArgumentException("the webhook body is not an event: expected {\"id\", \"type\", ...}");
        }
        Instant created = null;
        if (n.path("created_at").isString()) {
            try {
                created = Instant.parse(n.path("created_at").asString());
            } catch (DateTimeParseException e) {
                created = null;
            }
        }
        return new WebhookEvent(n.path("id").asString(), n.path("type").asString(), created, n.path("data"));
    }

    /** {@link #parse(byte[])} of a string body. */
    public static WebhookEvent parse(String body) {
        return parse(body.getBytes(StandardCharsets.UTF_8));
    }
}
