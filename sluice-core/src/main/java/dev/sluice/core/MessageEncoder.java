package dev.sluice.core;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.SerializableString;
import tools.jackson.core.io.SerializedString;
import tools.jackson.core.json.JsonFactory;

/**
 * Encodes a {@link Change} as Sequin-compatible message JSON:
 *
 * <pre>{"record":{...},"changes":{...}|null,"action":"insert",
 *  "metadata":{"table_schema","table_name","commit_timestamp","commit_lsn","commit_idx",
 *  "idempotency_key","record_pks","transaction_annotations","enrichment","consumer":{...},
 *  "database":{...},"database_name"}}</pre>
 *
 * <p>This is the per-message hot path of every sink, so an encoder instance is bound to one sink's
 * {@link MessageContext} and keeps what repeats: the consumer/database tail of {@code metadata}
 * (pre-encoded once), the column names of each table schema, the commit timestamp text of the current
 * transaction, one generator and one output buffer.
 *
 * <p>Concurrency: an instance is not thread-safe; use one per delivering thread. The static
 * {@link #encode(Change, MessageContext)} is thread-safe and slower (a fresh encoder per call).
 */
public final class MessageEncoder {
    private static final JsonFactory JSON =
            JsonFactory.builder().rootValueSeparator((String) null).build();
    private static final DateTimeFormatter COMMIT_TS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private final MessageContext context;
    // Pre-encoded UTF-8: written with a copy, not a char-by-char conversion per message.
    private final SerializableString metadataTail;
    private final Map<TableSchema, SerializableString[]> names = new IdentityHashMap<>();
    // Created on first encode: write(JsonGenerator, ...) callers never need them.
    private @Nullable Buffer out;
    private @Nullable JsonGenerator generator;
    private @Nullable Instant lastCommitTimestamp;
    private String lastCommitTimestampText = "";

    public MessageEncoder(MessageContext context) {
        this.context = context;
        this.metadataTail = new SerializedString(encodeTail(context));
    }

    /** The context this encoder writes into every message. */
    public MessageContext context() {
        return context;
    }

    /**
     * A message encoded before its position is known (a backfill's read, which gets its position when it is
     * queued): everything but {@code commit_timestamp}, {@code commit_lsn} and {@code commit_idx}, which
     * {@link #complete} puts in between. Encoding is the costly part, completing a copy.
     */
    public record Prepared(byte[] head, byte[] tail) {}

    /**
     * Encodes {@code change} but for its position and commit timestamp (ignored here; see {@link Prepared}), with
     * the given idempotency key.
     */
    public Prepared prepare(Change change, String idempotencyKey) {
        Buffer buf = out;
        JsonGenerator g = generator;
        if (buf == null || g == null) {
            buf = out = new Buffer();
            g = generator = JSON.createGenerator(ObjectWriteContext.empty(), buf);
        }
        buf.reset();
        try {
            writeHead(g, change);
            g.flush();
            int head = buf.size();
            writeTail(g, change, idempotencyKey);
            g.flush();
            return new Prepared(Arrays.copyOf(buf.array(), head), Arrays.copyOfRange(buf.array(), head, buf.size()));
        } catch (RuntimeException e) {
            generator = null;
            throw e;
        }
    }

    /**
     * The whole message: {@code prepared} with {@code position} and {@code commitTimestamp} in place, byte for byte
     * what {@link #encode(Change, String)} writes for the change at that position. Thread-safe.
     */
    public static byte[] complete(Prepared prepared, Position position, String commitTimestampText) {
        byte[] head = prepared.head();
        byte[] tail = prepared.tail();
        int tsLen = commitTimestampText.length();
        byte[] out = new byte
                [head.length
                        + COMMIT_TS_NAME.length
                        + tsLen
                        + COMMIT_LSN_NAME.length
                        + 20
                        + COMMIT_IDX_NAME.length
                        + 11
                        + tail.length];
        System.arraycopy(head, 0, out, 0, head.length);
        int o = head.length;
        System.arraycopy(COMMIT_TS_NAME, 0, out, o, COMMIT_TS_NAME.length);
        o += COMMIT_TS_NAME.length;
        // ISO-8601 digits and separators: ASCII, nothing to escape.
        for (int i = 0; i < tsLen; i++) {
            out[o++] = (byte) commitTimestampText.charAt(i);
        }
        System.arraycopy(COMMIT_LSN_NAME, 0, out, o, COMMIT_LSN_NAME.length);
        o += COMMIT_LSN_NAME.length;
        o = digits(position.commitLsn(), out, o);
        System.arraycopy(COMMIT_IDX_NAME, 0, out, o, COMMIT_IDX_NAME.length);
        o += COMMIT_IDX_NAME.length;
        o = digits(position.commitIdx(), out, o);
        System.arraycopy(tail, 0, out, o, tail.length);
        o += tail.length;
        return o == out.length ? out : Arrays.copyOf(out, o);
    }

    private static final byte[] COMMIT_TS_NAME = ",\"commit_timestamp\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMMIT_LSN_NAME = "\",\"commit_lsn\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMMIT_IDX_NAME = ",\"commit_idx\":".getBytes(StandardCharsets.US_ASCII);

    // As Jackson writes a long: decimal, '-' when negative; without a String per number.
    private static int digits(long v, byte[] out, int o) {
        if (v < 0) {
            if (v == Long.MIN_VALUE) {
                byte[] text = Long.toString(v).getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(text, 0, out, o, text.length);
                return o + text.length;
            }
            out[o++] = '-';
            v = -v;
        }
        int end = o;
        long rest = v;
        do {
            end++;
            rest /= 10;
        } while (rest != 0);
        for (int i = end - 1; i >= o; i--) {
            out[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        return end;
    }

    /** The message as UTF-8 JSON bytes, with the live idempotency key of its position. */
    public byte[] encode(Change change) {
        return encode(change, change.position().idempotencyKey());
    }

    /** The message as UTF-8 JSON bytes, with the given idempotency key (backfills use their own). */
    public byte[] encode(Change change, String idempotencyKey) {
        Buffer buf = out;
        JsonGenerator g = generator;
        if (buf == null || g == null) {
            buf = out = new Buffer();
            g = generator = JSON.createGenerator(ObjectWriteContext.empty(), buf);
        }
        buf.reset();
        try {
            writeTo(g, change, idempotencyKey);
            g.flush();
        } catch (RuntimeException e) {
            // The generator is mid-document now; the next message starts on a fresh one.
            generator = null;
            throw e;
        }
        return buf.copy();
    }

    /** The message as UTF-8 JSON bytes. Thread-safe; prefer an instance on hot paths. */
    public static byte[] encode(Change change, MessageContext context) {
        return encode(change, context, change.position().idempotencyKey());
    }

    /** Like {@link #encode(Change, MessageContext)}, with the given idempotency key. */
    public static byte[] encode(Change change, MessageContext context, String idempotencyKey) {
        MessageEncoder e = new MessageEncoder(context);
        try {
            return e.encode(change, idempotencyKey);
        } finally {
            e.release();
        }
    }

    // Closing the generator hands its buffers back to Jackson's pool, so one-off encoders stay cheap.
    private void release() {
        JsonGenerator g = generator;
        generator = null;
        out = null;
        if (g != null) {
            g.close();
        }
    }

    /**
     * Writes the message as one JSON object to {@code g} (for sinks that embed messages in a larger
     * document). Thread-safe.
     */
    public static void write(JsonGenerator g, Change change, MessageContext ctx, @Nullable String idempotencyKey) {
        MessageEncoder e = new MessageEncoder(ctx);
        e.writeTo(
                g,
                change,
                idempotencyKey != null ? idempotencyKey : change.position().idempotencyKey());
    }

    private void writeTo(JsonGenerator g, Change change, String idempotencyKey) {
        writeHead(g, change);
        g.writeStringProperty("commit_timestamp", commitTimestamp(change.commitTimestamp()));
        Position p = change.position();
        g.writeName("commit_lsn");
        g.writeNumber(p.commitLsn());
        g.writeNumberProperty("commit_idx", p.commitIdx());
        writeTail(g, change, idempotencyKey);
    }

    // From the start to table_name in metadata: what does not depend on the position.
    private void writeHead(JsonGenerator g, Change change) {
        TableSchema table = change.table();
        List<Column> columns = table.columns();
        SerializableString[] columnNames = names.computeIfAbsent(table, MessageEncoder::columnNames);
        TimestampFormat tf = context.timestampFormat();
        g.writeStartObject();

        g.writeName("record");
        g.writeStartObject();
        String[] record = change.record();
        BitSet toast = change.unchangedToast();
        for (int i = 0; i < columnNames.length; i++) {
            g.writeName(columnNames[i]);
            if (toast != null && toast.get(i)) {
                g.writeString("unchanged_toast");
            } else {
                writeValue(g, columns.get(i), record[i], tf);
            }
        }
        g.writeEndObject();

        g.writeName("changes");
        BitSet changed = change.changed();
        if (changed == null) {
            g.writeNull();
        } else {
            g.writeStartObject();
            String[] old = change.old();
            for (int i = changed.nextSetBit(0); i >= 0; i = changed.nextSetBit(i + 1)) {
                g.writeName(columnNames[i]);
                writeValue(g, columns.get(i), old == null ? null : old[i], tf);
            }
            g.writeEndObject();
        }

        g.writeStringProperty("action", change.action().wireName());

        g.writeName("metadata");
        g.writeStartObject();
        g.writeStringProperty("table_schema", table.id().schema());
        g.writeStringProperty("table_name", table.id().name());
    }

    // From idempotency_key in metadata to the end.
    private void writeTail(JsonGenerator g, Change change, String idempotencyKey) {
        TableSchema table = change.table();
        List<Column> columns = table.columns();
        String[] record = change.record();
        BitSet toast = change.unchangedToast();
        g.writeStringProperty("idempotency_key", idempotencyKey);
        g.writeName("record_pks");
        g.writeStartArray();
        for (int k : table.primaryKey()) {
            g.writeString(record[k]);
        }
        g.writeEndArray();
        if (toast != null && !toast.isEmpty()) {
            g.writeName("unchanged_toast_columns");
            g.writeStartArray();
            for (int i = toast.nextSetBit(0); i >= 0; i = toast.nextSetBit(i + 1)) {
                g.writeString(columns.get(i).name());
            }
            g.writeEndArray();
        }
        g.writeName("transaction_annotations");
        if (change.transactionAnnotations() == null) {
            g.writeNull();
        } else {
            g.writeRawValue(change.transactionAnnotations());
        }
        g.writeNullProperty("enrichment");
        // consumer, database and database_name are the same for every message of the sink: written
        // raw from the pre-encoded text (the generator only tracks that it is inside "metadata").
        g.writeRaw(metadataTail);
        g.writeEndObject();

        g.writeEndObject();
    }

    private String commitTimestamp(Instant ts) {
        // Every change of a transaction carries the same Instant: format it once.
        if (ts != lastCommitTimestamp) {
            lastCommitTimestampText = formatCommitTimestamp(ts);
            lastCommitTimestamp = ts;
        }
        return lastCommitTimestampText;
    }

    private static SerializableString[] columnNames(TableSchema t) {
        SerializableString[] out = new SerializableString[t.columnCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = new SerializedString(t.columns().get(i).name());
        }
        return out;
    }

    // ,"consumer":{...},"database":{...},"database_name":"..." as raw JSON text.
    private static String encodeTail(MessageContext ctx) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), buf)) {
            g.writeStartObject();
            g.writeName("consumer");
            g.writeStartObject();
            g.writeStringProperty("id", ctx.consumerId());
            g.writeStringProperty("name", ctx.consumerName());
            g.writeName("annotations");
            g.writeRawValue(ctx.consumerAnnotationsJson());
            g.writeEndObject();
            g.writeName("database");
            g.writeStartObject();
            g.writeStringProperty("id", ctx.databaseId());
            g.writeStringProperty("name", ctx.databaseName());
            g.writeName("annotations");
            g.writeRawValue(ctx.databaseAnnotationsJson());
            g.writeStringProperty("database", ctx.databaseDbName());
            g.writeStringProperty("hostname", ctx.databaseHostname());
            g.writeEndObject();
            // Deprecated in Sequin's format, still read by older consumers.
            g.writeStringProperty("database_name", ctx.databaseName());
            g.writeEndObject();
        }
        String object = buf.toString(java.nio.charset.StandardCharsets.UTF_8);
        return "," + object.substring(1, object.length() - 1);
    }

    private static void writeValue(JsonGenerator g, Column c, @Nullable String text, TimestampFormat tf) {
        if (text == null) {
            g.writeNull();
        } else {
            c.codec().write(g, text, tf);
        }
    }

    /** ISO-8601 in UTC with microseconds, as Sequin writes {@code commit_timestamp}. */
    public static String formatCommitTimestamp(Instant ts) {
        return COMMIT_TS.format(ts);
    }

    /** A reusable output buffer whose content is copied out once per message. */
    private static final class Buffer extends ByteArrayOutputStream {
        Buffer() {
            super(1024);
        }

        byte[] copy() {
            return Arrays.copyOf(buf, count);
        }

        byte[] array() {
            return buf;
        }
    }
}
