package dev.sluice.engine;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.time.Instant;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A message prepared before its position is known (a backfill's read) completes to the bytes of a whole encode. */
class PreparedMessageTest {
    private static final TableSchema T = new TableSchema(
            new TableId("public", "odd \"name\""),
            List.of(column("id"), column("note"), column("extra")),
            new int[] {0, 2});
    private static final MessageContext CONTEXT = new MessageContext(
            "c1", "hook \u00e9", "{\"a\":1}", "d1", "shop", "{}", "shop", "localhost", TimestampFormat.ISO8601);

    @Test
    void preparedThenCompleted_isByteForByteTheEncodedMessage() {
        Instant ts = Instant.parse("2025-01-02T03:04:05.123456Z");
        BitSet toast = new BitSet();
        toast.set(1);
        BitSet changed = new BitSet();
        changed.set(2);
        Change[] changes = {
            new Change(
                    T, Action.READ, new String[] {"1", "tab\t\"q\" \u2603", null}, null, null, null, pos(0), ts, null),
            new Change(
                    T, Action.READ, new String[] {"-5", "", "x"}, null, null, null, pos(Integer.MAX_VALUE), ts, null),
            new Change(T, Action.READ, new String[] {"7", "a", "b"}, null, null, null, new Position(0, 0), ts, null),
            new Change(T, Action.READ, new String[] {"8", "a", "b"}, null, null, null, new Position(-1, 10), ts, null),
            new Change(
                    T,
                    Action.READ,
                    new String[] {"9", "a", "b"},
                    null,
                    null,
                    null,
                    new Position(Long.MIN_VALUE, 9),
                    ts,
                    null),
            new Change(
                    T,
                    Action.UPDATE,
                    new String[] {"2", null, "y"},
                    changed,
                    new String[] {"2", null, "old"},
                    toast,
                    new Position(Long.MAX_VALUE, 3),
                    ts,
                    "{\"by\":\"me\"}"),
        };
        MessageEncoder encoder = new MessageEncoder(CONTEXT);
        // All in one batch, as a backfill page's are, with a message larger than a chunk among them.
        java.util.List<Change> all = new java.util.ArrayList<>(java.util.List.of(changes));
        all.add(
                2,
                new Change(
                        T,
                        Action.READ,
                        new String[] {"9", "x".repeat(3 << 20), "z"},
                        null,
                        null,
                        null,
                        pos(9),
                        ts,
                        null));
        MessageEncoder.PreparedBatch batch = new MessageEncoder.PreparedBatch();
        for (Change c : all) {
            encoder.prepare(c, "key-" + c.position().commitIdx(), batch);
        }
        assertThat(batch.count()).isEqualTo(all.size());
        for (int i = 0; i < all.size(); i++) {
            Change c = all.get(i);
            byte[] whole =
                    new MessageEncoder(CONTEXT).encode(c, "key-" + c.position().commitIdx());

            byte[] completed = batch.complete(
                    i,
                    new MessageEncoder.PositionText(
                            c.position().commitLsn(), MessageEncoder.formatCommitTimestamp(c.commitTimestamp())),
                    c.position().commitIdx());

            assertThat(new String(completed, java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo(new String(whole, java.nio.charset.StandardCharsets.UTF_8));
            assertThat(completed).isEqualTo(whole);
        }
    }

    /** The completed message is sized to its commit index's digits, from one digit to ten. */
    @Test
    void completedAtIndexesOfEveryLength_isByteForByteTheEncodedMessage() {
        java.time.Instant ts = java.time.Instant.parse("2024-05-01T12:00:00.123456Z");
        MessageEncoder encoder = new MessageEncoder(CONTEXT);
        MessageEncoder.PreparedBatch batch = new MessageEncoder.PreparedBatch();
        Change read = new Change(T, Action.READ, new String[] {"1", "a", "b"}, null, null, null, pos(0), ts, null);
        encoder.prepare(read, "key", batch);
        for (int idx : new int[] {0, 9, 10, 99, 100, 65_535, 999_999_999, 1_000_000_000, Integer.MAX_VALUE}) {
            Change at = new Change(T, Action.READ, read.record(), null, null, null, pos(idx), ts, null);
            byte[] completed = batch.complete(
                    0,
                    new MessageEncoder.PositionText(pos(idx).commitLsn(), MessageEncoder.formatCommitTimestamp(ts)),
                    idx);
            assertThat(completed).as("index %d", idx).isEqualTo(new MessageEncoder(CONTEXT).encode(at, "key"));
        }
    }

    private static Position pos(int idx) {
        return new Position(0x16B3748L, idx);
    }

    private static Column column(String name) {
        return new Column(name, "text", ValueCodec.STRING);
    }
}
