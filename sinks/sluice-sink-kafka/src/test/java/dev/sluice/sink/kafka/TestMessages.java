package dev.sluice.sink.kafka;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.sink.SinkMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/** Messages whose JSON carries their group and a sequence number, so a consumer can check order. */
final class TestMessages {
    static final TableId ORDERS = new TableId("public", "orders");

    private TestMessages() {}

    static SinkMessage message(@Nullable String group, long seq) {
        return message(group, seq, "");
    }

    /** A message whose JSON holds {@code padding} as a string, to make it large or give it odd characters. */
    static SinkMessage message(@Nullable String group, long seq, String padding) {
        String json = "{\"record\":{\"group\":\"" + group + "\",\"seq\":" + seq + ",\"note\":\"" + padding
                + "\"},\"action\":\"insert\"}";
        Position position = new Position(1000 + seq, 0);
        return new SinkMessage(
                position,
                ORDERS,
                Action.INSERT,
                Instant.parse("2025-01-02T03:04:05Z"),
                json.getBytes(StandardCharsets.UTF_8),
                group,
                position.idempotencyKey());
    }

    /** The sequence number in a message's JSON. */
    static long seq(byte[] json) {
        String s = new String(json, StandardCharsets.UTF_8);
        int start = s.indexOf("\"seq\":") + 6;
        int end = s.indexOf(',', start);
        return Long.parseLong(s.substring(start, end));
    }
}
