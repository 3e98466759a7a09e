package dev.sluice.sink.kinesis;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.Column;
import dev.sluice.core.MessageContext;
import dev.sluice.core.MessageEncoder;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.ValueCodec;
import dev.sluice.core.sink.SinkMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Real encoded messages of a two-column table {@code public.orders(id, name)}. */
final class TestMessages {
    private static final TableSchema ORDERS = new TableSchema(
            new TableId("public", "orders"),
            List.of(new Column("id", "text", ValueCodec.STRING), new Column("name", "text", ValueCodec.STRING)),
            new int[] {0});
    private static final MessageContext CONTEXT = new MessageContext(
            "c1", "orders-stream", "{}", "d1", "shop", "{}", "shop", "localhost", TimestampFormat.ISO8601);

    private TestMessages() {}

    /** An insert of row {@code (id, name)} at position {@code (lsn, idx)}, in group {@code groupId}. */
    static SinkMessage insert(String id, String name, long lsn, int idx, @Nullable String groupId) {
        return insert(id, name, lsn, idx, groupId, new Position(lsn, idx).idempotencyKey());
    }

    static SinkMessage insert(String id, String name, long lsn, int idx, @Nullable String groupId, String key) {
        Change change = new Change(
                ORDERS,
                Action.INSERT,
                new String[] {id, name},
                null,
                null,
                null,
                new Position(lsn, idx),
                Instant.parse("2025-01-02T03:04:05.123456Z"),
                null);
        return new SinkMessage(
                change.position(),
                change.table().id(),
                change.action(),
                change.commitTimestamp(),
                MessageEncoder.encode(change, CONTEXT),
                groupId,
                key);
    }

    /** A message of about {@code bytes} bytes of JSON. */
    static SinkMessage sized(String id, int bytes, long lsn, int idx) {
        SinkMessage base = insert(id, "", lsn, idx, id);
        return insert(id, "x".repeat(Math.max(0, bytes - base.json().length)), lsn, idx, id);
    }

    static String body(SinkMessage m) {
        return new String(m.json(), StandardCharsets.UTF_8);
    }
}
