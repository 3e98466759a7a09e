package dev.sluice.sink.webhook;

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
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Real encoded messages of a two-column table {@code public.orders(id, name)}. */
final class TestMessages {
    private static final TableSchema ORDERS = new TableSchema(
            new TableId("public", "orders"),
            List.of(new Column("id", "text", ValueCodec.STRING), new Column("name", "text", ValueCodec.STRING)),
            new int[] {0});
    private static final MessageContext CONTEXT = new MessageContext(
            "c1", "orders-hook", "{}", "d1", "shop", "{}", "shop", "localhost", TimestampFormat.ISO8601);

    private TestMessages() {}

    /** An insert of row {@code (id, name)} at position {@code (1000, idx)}. */
    static SinkMessage insert(String id, String name, int idx) {
        Change change = new Change(
                ORDERS,
                Action.INSERT,
                new String[] {id, name},
                null,
                null,
                null,
                new Position(1000, idx),
                Instant.parse("2025-01-02T03:04:05.123456Z"),
                null);
        return new SinkMessage(
                change.position(),
                change.table().id(),
                change.action(),
                change.commitTimestamp(),
                MessageEncoder.encode(change, CONTEXT),
                id,
                change.position().idempotencyKey());
    }

    /** A batch of inserts with ids {@code prefix0..prefix(n-1)}. */
    static Batch batch(String prefix, int n) {
        List<SinkMessage> messages = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            messages.add(insert(prefix + i, "name " + i, i));
        }
        return new Batch(messages);
    }
}
