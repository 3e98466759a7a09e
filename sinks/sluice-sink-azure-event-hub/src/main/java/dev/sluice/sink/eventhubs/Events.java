package dev.sluice.sink.eventhubs;

import dev.sluice.core.sink.SinkMessage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The JSON of an Event Hubs batch, by the REST reference ("Send batch events"): an array of {@code {"Body": text,
 * "UserProperties": {…}}}, sent as {@value EventHubClient#BATCH_CONTENT_TYPE}.
 *
 * <p>The body is what Sequin sends: the JSON of {@code {"data": <message>, "attributes": {"type": "event", …}}}
 * (Sequin's {@code AzureEventHubPipeline} wraps each message so). Sluice puts the idempotency key in {@code
 * attributes} where Sequin has a trace id, and adds {@code UserProperties} (the event's application properties):
 * {@code type}, {@code action}, {@code table_schema}, {@code table_name}, {@code idempotency_key}.
 */
final class Events {
    /** Most characters of a peer's error text that a failure shows. */
    static final int SHOWN_CHARS = 300;

    /** The bytes of a batch around its events: {@code [} and {@code ]}. */
    static final int ENVELOPE_BYTES = 2;

    private Events() {}

    /** One event's JSON object. */
    static byte[] entry(SinkMessage m) {
        String message = new String(m.json(), StandardCharsets.UTF_8);
        StringBuilder body = new StringBuilder(message.length() + 128);
        body.append("{\"data\":").append(message).append(",\"attributes\":{\"type\":\"event\",\"idempotency_key\":");
        string(body, m.idempotencyKey());
        body.append("}}");
        StringBuilder out = new StringBuilder(body.length() * 11 / 10 + 256);
        out.append("{\"Body\":");
        string(out, body.toString());
        out.append(",\"UserProperties\":{\"type\":\"event\",\"action\":");
        string(out, m.action().wireName());
        out.append(",\"table_schema\":");
        string(out, m.table().schema());
        out.append(",\"table_name\":");
        string(out, m.table().name());
        out.append(",\"idempotency_key\":");
        string(out, m.idempotencyKey());
        out.append("}}");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The batch of {@code indexes}' events, in that order. */
    static byte[] batch(byte[][] entries, List<Integer> indexes) {
        int size = ENVELOPE_BYTES + Math.max(0, indexes.size() - 1);
        for (int i : indexes) {
            size += entries[i].length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        out.write('[');
        boolean first = true;
        for (int i : indexes) {
            if (!first) {
                out.write(',');
            }
            first = false;
            out.writeBytes(entries[i]);
        }
        out.write(']');
        return out.toByteArray();
    }

    /** Appends {@code s} as a JSON string literal. */
    static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** {@code s} cut to {@value #SHOWN_CHARS} characters. */
    static String cut(String s) {
        return s.length() <= SHOWN_CHARS ? s : s.substring(0, SHOWN_CHARS) + "…";
    }
}
