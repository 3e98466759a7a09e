package dev.sluice.client;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A notification webhook: a subscription that has Sluice POST signed events ({@code sink.failing},
 * {@code backfill.completed}, ...) to a URL. Verify what arrives with
 * {@link dev.sluice.client.webhook.WebhookSignature}.
 *
 * @param id its id
 * @param name its unique name
 * @param url where events are POSTed
 * @param events the event types it receives ({@code *} for all; see {@link WebhookRequest.Builder#events})
 * @param sink the one sink it is about, or null for all
 * @param database the one database it is about, or null for all
 * @param lagThresholdBytes replication lag in bytes above which {@code database.lag_exceeded} fires, or null
 * @param lagThresholdSeconds replication lag in seconds above which {@code database.lag_exceeded} fires, or null
 * @param enabled whether events are sent
 * @param secret the signing secret: only in the answers of create and {@link Webhooks#rotateSecret}, null
 *     elsewhere. <b>Warning:</b> store it as a secret and never log it
 * @param lastDelivery the outcome of the last delivery, or null before the first
 * @param insertedAt when it was created
 * @param updatedAt when it last changed
 * @param raw the whole JSON object
 */
public record Webhook(
        String id,
        String name,
        String url,
        List<String> events,
        @Nullable String sink,
        @Nullable String database,
        @Nullable Long lagThresholdBytes,
        @Nullable Long lagThresholdSeconds,
        boolean enabled,
        @Nullable String secret,
        @Nullable Delivery lastDelivery,
        @Nullable Instant insertedAt,
        @Nullable Instant updatedAt,
        JsonNode raw) {

    /**
     * The outcome of one delivery of an event.
     *
     * @param at when it was sent
     * @param event the event's type
     * @param status the HTTP status the receiver answered, or null when there was no answer
     * @param error why it failed, or null when it was delivered
     */
    public record Delivery(
            @Nullable Instant at,
            @Nullable String event,
            @Nullable Integer status,
            @Nullable String error) {}

    @Override
    public String toString() {
        return "Webhook[id=" + id + ", name=" + name + ", url=" + url + ", events=" + events + ", enabled=" + enabled
                + (secret == null ? "" : ", secret=***") + "]";
    }

    static Webhook from(JsonNode n) {
        JsonNode last = n.path("last_delivery");
        return new Webhook(
                Json.str(n, "id", ""),
                Json.str(n, "name", ""),
                Json.str(n, "url", ""),
                Json.strings(n, "events"),
                Json.str(n, "sink"),
                Json.str(n, "database"),
                Json.longOrNull(n, "lag_threshold_bytes"),
                Json.longOrNull(n, "lag_threshold_seconds"),
                !Boolean.FALSE.equals(Json.boolOrNull(n, "enabled")),
                Json.str(n, "secret"),
                last.isObject()
                        ? new Delivery(
                                Json.instant(last, "at"),
                                Json.str(last, "event"),
                                Json.intOrNull(last, "status"),
                                Json.str(last, "error"))
                        : null,
                Json.instant(n, "inserted_at"),
                Json.instant(n, "updated_at"),
                n);
    }
}
