package dev.sluice.sink.pubsub;

import dev.sluice.core.sink.SinkMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The JSON of a {@code topics.publish} request, by Pub/Sub's REST reference: {@code {"messages": [PubsubMessage,
 * …]}}, each message {@code {"data": base64, "attributes": {…}, "orderingKey": …}}.
 *
 * <p>Limits (Pub/Sub's quotas): at most {@value #MAX_MESSAGES} messages and {@value #MAX_REQUEST_BYTES} bytes per
 * request, an ordering key of at most {@value #MAX_ORDERING_KEY_BYTES} bytes, and every message of a request with
 * the same ordering key. The request size is counted as sent, base64 included, so a message whose own request would
 * pass it can never be published: about 7.5 MB of message JSON.
 */
final class PublishEntries {
    /** Most messages in one publish request. */
    static final int MAX_MESSAGES = 1000;
    /** Most bytes in one publish request (Google: "Request payload size exceeds the limit: 10485760 bytes"). */
    static final int MAX_REQUEST_BYTES = 10 * 1024 * 1024;
    /** Most bytes of an ordering key. */
    static final int MAX_ORDERING_KEY_BYTES = 1024;

    private static final byte[] HEAD = "{\"messages\":[".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TAIL = "]}".getBytes(StandardCharsets.US_ASCII);
    /** The bytes of a request around its messages. */
    static final int ENVELOPE_BYTES = HEAD.length + TAIL.length;

    private PublishEntries() {}

    /**
     * One message's JSON object. Attributes, as Sequin sets them plus Sluice's: {@code type} ({@code event}), {@code
     * action}, {@code table_schema}, {@code table_name} and {@code idempotency_key}; the ordering key is the group id.
     */
    static byte[] entry(SinkMessage m) {
        StringBuilder out = new StringBuilder(m.json().length * 4 / 3 + 256);
        out.append("{\"data\":\"")
                .append(Base64.getEncoder().encodeToString(m.json()))
                .append("\",\"attributes\":{");
        out.append("\"type\":\"event\",\"action\":");
        Json.string(out, m.action().wireName());
        out.append(",\"table_schema\":");
        Json.string(out, m.table().schema());
        out.append(",\"table_name\":");
        Json.string(out, m.table().name());
        out.append(",\"idempotency_key\":");
        Json.string(out, m.idempotencyKey());
        out.append('}');
        if (m.groupId() != null && !m.groupId().isEmpty()) {
            out.append(",\"orderingKey\":");
            Json.string(out, m.groupId());
        }
        out.append('}');
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Why {@code m}, whose entry is {@code entry}, can never be published, or null when it can: a request of it
     * alone over the size limit, or an ordering key over its limit.
     */
    static @Nullable String rejection(SinkMessage m, byte[] entry) {
        if (entry.length + ENVELOPE_BYTES > MAX_REQUEST_BYTES) {
            return "message " + m.idempotencyKey() + " is " + m.json().length + " bytes of JSON, "
                    + (entry.length + ENVELOPE_BYTES) + " bytes as a publish request (base64): over Pub/Sub's "
                    + MAX_REQUEST_BYTES + "-byte request limit";
        }
        if (m.groupId() != null && m.groupId().getBytes(StandardCharsets.UTF_8).length > MAX_ORDERING_KEY_BYTES) {
            return "message " + m.idempotencyKey() + " has a group id of "
                    + m.groupId().getBytes(StandardCharsets.UTF_8).length
                    + " bytes: over Pub/Sub's ordering key limit ("
                    + MAX_ORDERING_KEY_BYTES + " bytes)";
        }
        return null;
    }

    /** The request body of {@code indexes}' entries, in that order. */
    static byte[] body(byte[][] entries, List<Integer> indexes) {
        int size = ENVELOPE_BYTES + Math.max(0, indexes.size() - 1);
        for (int i : indexes) {
            size += entries[i].length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        out.writeBytes(HEAD);
        boolean first = true;
        for (int i : indexes) {
            if (!first) {
                out.write(',');
            }
            first = false;
            out.writeBytes(entries[i]);
        }
        out.writeBytes(TAIL);
        return out.toByteArray();
    }
}
