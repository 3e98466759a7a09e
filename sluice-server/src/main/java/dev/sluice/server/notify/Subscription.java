package dev.sluice.server.notify;

import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A webhook subscription as stored. Its id shows as {@code wh_<32 hex>}. {@code events} holds wire names, or just
 * {@value EventType#ALL}. The secret stays sealed here; {@link Webhooks} opens it only to sign.
 *
 * @param lagThresholdBytes for {@code database.lag_exceeded}: slot lag above this many bytes; null: not checked
 * @param lagThresholdSeconds for {@code database.lag_exceeded}: replication lag above this many seconds; null: not
 *     checked
 */
public record Subscription(
        UUID id,
        String name,
        String url,
        List<String> events,
        @Nullable UUID sinkId,
        @Nullable UUID databaseId,
        @Nullable Long lagThresholdBytes,
        @Nullable Long lagThresholdSeconds,
        boolean enabled,
        String secretSealed,
        @Nullable LastDelivery lastDelivery,
        Instant insertedAt,
        Instant updatedAt) {
    /** What a lag subscription that sets neither threshold uses: 1 GiB and 5 minutes. */
    public static final long DEFAULT_LAG_BYTES = 1024L * 1024 * 1024;

    public static final long DEFAULT_LAG_SECONDS = 300;

    public Subscription {
        events = List.copyOf(events);
    }

    /** What a subscription's owner sets: every field but the id, the secret, the last delivery and the times. */
    public record Spec(
            String name,
            String url,
            List<String> events,
            @Nullable UUID sinkId,
            @Nullable UUID databaseId,
            @Nullable Long lagThresholdBytes,
            @Nullable Long lagThresholdSeconds,
            boolean enabled) {
        public Spec {
            events = List.copyOf(events);
        }
    }

    /** The settable fields. */
    public Spec spec() {
        return new Spec(name, url, events, sinkId, databaseId, lagThresholdBytes, lagThresholdSeconds, enabled);
    }

    /** The outcome of the last delivery attempt: {@code status} is null when no HTTP answer came. */
    public record LastDelivery(
            Instant at,
            String event,
            @Nullable Integer status,
            @Nullable String error) {}

    /** {@code wh_} and the id's 32 hex digits. */
    public String publicId() {
        return publicId(id);
    }

    public static String publicId(UUID id) {
        return "wh_" + id.toString().replace("-", "");
    }

    /** The id of a {@code wh_…} string, or null when it is not one. */
    public static @Nullable UUID parseId(String text) {
        String t = text.toLowerCase(Locale.ROOT);
        if (!t.startsWith("wh_") || t.length() != 35) {
            return null;
        }
        try {
            byte[] b = HexFormat.of().parseHex(t.substring(3));
            long hi = 0;
            long lo = 0;
            for (int i = 0; i < 8; i++) {
                hi = (hi << 8) | (b[i] & 0xff);
                lo = (lo << 8) | (b[i + 8] & 0xff);
            }
            return new UUID(hi, lo);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Whether this subscription gets {@code e}: enabled, of a type it names, and of its sink or database. */
    public boolean wants(WebhookEvent e) {
        return wants(e.type(), e.sinkId(), e.databaseId());
    }

    /** Whether this subscription gets an event of {@code type} about that sink and database. */
    public boolean wants(EventType type, @Nullable UUID sink, @Nullable UUID database) {
        return enabled
                && (events.contains(EventType.ALL) || events.contains(type.wireName()))
                && (sinkId == null || sinkId.equals(sink))
                && (databaseId == null || databaseId.equals(database));
    }
}
