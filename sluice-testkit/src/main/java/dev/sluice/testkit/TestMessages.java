package dev.sluice.testkit;

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
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sink messages for sink tests: real encoded messages (the JSON the engine hands a sink) of one table, {@code
 * public.orders (id text primary key, name text, seq bigint)}, committed at 2025-01-02T03:04:05.123456Z.
 *
 * <p>{@link #insert} makes a row {@code (id, name)}; {@link #sequenced} makes the row {@code (group, padding, seq)} of
 * a group, so that whoever reads the peer back can tell each message's group and place with {@link #group} and
 * {@link #seq}. Every method is a pure function: equal arguments give equal messages.
 */
public final class TestMessages {
    /** The table every message is from. */
    public static final TableId ORDERS = new TableId("public", "orders");

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Instant COMMITTED = Instant.parse("2025-01-02T03:04:05.123456Z");
    private static final TableSchema SCHEMA = new TableSchema(
            ORDERS,
            List.of(
                    new Column("id", "text", ValueCodec.STRING),
                    new Column("name", "text", ValueCodec.STRING),
                    new Column("seq", "int8", (out, text, format) -> out.writeNumber(text))),
            new int[] {0});
    private static final MessageContext CONTEXT = new MessageContext(
            "c1", "orders-sink", "{}", "d1", "shop", "{}", "shop", "localhost", TimestampFormat.ISO8601);

    private TestMessages() {}

    /** An insert of row {@code (id, name)} at position {@code (1000, idx)}, in group {@code id}. */
    public static SinkMessage insert(String id, String name, int idx) {
        return insert(id, name, 1000, idx, id);
    }

    /** An insert of row {@code (id, name)} at position {@code (lsn, idx)}, in group {@code groupId}. */
    public static SinkMessage insert(String id, String name, long lsn, int idx, @Nullable String groupId) {
        return insert(id, name, lsn, idx, groupId, new Position(lsn, idx).idempotencyKey());
    }

    /** As {@link #insert(String, String, long, int, String)}, with its own idempotency key. */
    public static SinkMessage insert(
            String id, String name, long lsn, int idx, @Nullable String groupId, String idempotencyKey) {
        return message(new String[] {id, name, null}, new Position(lsn, idx), groupId, idempotencyKey);
    }

    /** An insert whose JSON is about {@code bytes} bytes long (not less than an empty row's). */
    public static SinkMessage sized(String id, int bytes, long lsn, int idx) {
        SinkMessage base = insert(id, "", lsn, idx, id);
        return insert(id, "x".repeat(Math.max(0, bytes - base.json().length)), lsn, idx, id);
    }

    /** A batch of inserts with ids {@code prefix0 .. prefix(n-1)} at positions {@code (1000, 0 .. n-1)}. */
    public static Batch batch(String prefix, int n) {
        List<SinkMessage> messages = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            messages.add(insert(prefix + i, "name " + i, i));
        }
        return new Batch(messages);
    }

    /**
     * Message number {@code seq} of group {@code group} (null: a message without a group, whose row id is {@code
     * "none"}), at {@code position}; {@code padding} goes into the name, to make the message large or give it odd
     * characters.
     */
    public static SinkMessage sequenced(@Nullable String group, long seq, Position position, String padding) {
        String id = group == null ? "none" : group;
        return message(new String[] {id, padding, Long.toString(seq)}, position, group, position.idempotencyKey());
    }

    /** As {@link #sequenced(String, long, Position, String)} at position {@code (1000 + seq, 0)}, no padding. */
    public static SinkMessage sequenced(@Nullable String group, long seq) {
        return sequenced(group, seq, new Position(1000 + seq, 0), "");
    }

    /** The message JSON as text. */
    public static String body(SinkMessage m) {
        return new String(m.json(), StandardCharsets.UTF_8);
    }

    /** The {@code seq} of a message made by {@link #sequenced}, from its JSON. */
    public static long seq(byte[] json) {
        return seq(new String(json, StandardCharsets.UTF_8));
    }

    /** The {@code seq} of a message made by {@link #sequenced}, from its JSON text. */
    public static long seq(String json) {
        return record(json).get("seq").asLong();
    }

    /** The group of a message made by {@link #sequenced} ({@code "none"} for none), from its JSON text. */
    public static String group(String json) {
        return record(json).get("id").asString();
    }

    private static JsonNode record(String json) {
        return JSON.readTree(json).get("record");
    }

    private static SinkMessage message(
            @Nullable String[] row, Position position, @Nullable String groupId, String idempotencyKey) {
        Change change = new Change(SCHEMA, Action.INSERT, row, null, null, null, position, COMMITTED, null);
        return new SinkMessage(
                position,
                ORDERS,
                Action.INSERT,
                COMMITTED,
                MessageEncoder.encode(change, CONTEXT),
                groupId,
                idempotencyKey);
    }
}
