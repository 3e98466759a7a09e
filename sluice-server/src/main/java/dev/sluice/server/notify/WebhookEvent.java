package dev.sluice.server.notify;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * One event, as delivered: {@code {"id": "evt_…", "type": …, "created_at": …, "data": {…}}}. {@code sinkId} and
 * {@code databaseId} are what subscriptions filter on (not sent); an event about a sink carries its database too.
 *
 * @param data JSON-ready values (strings, numbers, booleans, null, maps, lists)
 */
public record WebhookEvent(
        String id,
        EventType type,
        Instant createdAt,
        Map<String, @Nullable Object> data,
        @Nullable UUID sinkId,
        @Nullable UUID databaseId) {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final SecureRandom RANDOM = new SecureRandom();

    public WebhookEvent {
        data = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(data));
    }

    /** A new event with a fresh id, created now (to the millisecond). */
    public static WebhookEvent of(
            EventType type,
            Instant now,
            Map<String, @Nullable Object> data,
            @Nullable UUID sinkId,
            @Nullable UUID databaseId) {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return new WebhookEvent(
                "evt_" + HexFormat.of().formatHex(b),
                type,
                now.truncatedTo(ChronoUnit.MILLIS),
                data,
                sinkId,
                databaseId);
    }

    /** The body sent: the same bytes on every attempt, so a signature always covers what was sent. */
    public byte[] body() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("type", type.wireName());
        m.put("created_at", createdAt.toString());
        m.put("data", data);
        return JSON.writeValueAsBytes(m);
    }

    /** A map for {@code data}, keeping nulls and the order given: {@code fields(k1, v1, k2, v2, …)}. */
    static Map<String, @Nullable Object> fields(@Nullable Object... kv) {
        Map<String, @Nullable Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
