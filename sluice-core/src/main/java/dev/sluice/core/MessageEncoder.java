package dev.sluice.core;

import java.io.ByteArrayOutputStream;
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
    private final String metadataTail;
    private final Map<TableSchema, SerializableString[]> names = new IdentityHashMap<>();
    // Created on first encode: write(JsonGenerator, ...) callers never need them.
    private @Nullable Buffer out;
    private @Nullable JsonGenerator generator;
    private @Nullable Instant lastCommitTimestamp;
    private String lastCommitTimestampText = "";

    public MessageEncoder(MessageContext context) {
        this.context = context;
        this.metadataTail = encodeTail(context);
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
        g.writeStringProperty("commit_timestamp", commitTimestamp(change.commitTimestamp()));
        Position p = change.position();
        g.writeName("commit_lsn");
        g.writeNumber(p.commitLsn());
        g.writeNumberProperty("commit_idx", p.commitIdx());
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
    }
}
