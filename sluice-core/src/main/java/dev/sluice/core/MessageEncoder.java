package dev.sluice.core;

import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.BitSet;
import java.util.List;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * Encodes a {@link Change} as Sequin-compatible message JSON:
 *
 * <pre>{"record":{...},"changes":{...}|null,"action":"insert",
 *  "metadata":{"table_schema","table_name","commit_timestamp","commit_lsn","commit_idx",
 *  "idempotency_key","record_pks","transaction_annotations","enrichment","consumer":{...},
 *  "database":{...},"database_name"}}</pre>
 *
 * <p>Thread-safe; the generator and buffer are per call.
 */
public final class MessageEncoder {
    private static final JsonFactory JSON = new JsonFactory();
    private static final DateTimeFormatter COMMIT_TS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private MessageEncoder() {}

    /** The message as UTF-8 JSON bytes. */
    public static byte[] encode(Change change, MessageContext context) {
        return encode(change, context, null);
    }

    /**
     * The message as UTF-8 JSON bytes, with a backfill's idempotency key instead of the position's.
     */
    public static byte[] encode(Change change, MessageContext context, String idempotencyKey) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(256 + change.record().length * 24);
        try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), buf)) {
            write(g, change, context, idempotencyKey);
        }
        return buf.toByteArray();
    }

    /** Writes the message as one JSON object to {@code g}. */
    public static void write(JsonGenerator g, Change change, MessageContext ctx, String idempotencyKey) {
        TableSchema table = change.table();
        List<Column> columns = table.columns();
        TimestampFormat tf = ctx.timestampFormat();
        g.writeStartObject();

        g.writeName("record");
        g.writeStartObject();
        String[] record = change.record();
        BitSet toast = change.unchangedToast();
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            g.writeName(c.name());
            if (toast != null && toast.get(i)) {
                g.writeString("unchanged_toast");
            } else {
                writeValue(g, c, record[i], tf);
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
                Column c = columns.get(i);
                g.writeName(c.name());
                writeValue(g, c, old == null ? null : old[i], tf);
            }
            g.writeEndObject();
        }

        g.writeStringProperty("action", change.action().wireName());

        g.writeName("metadata");
        g.writeStartObject();
        g.writeStringProperty("table_schema", table.id().schema());
        g.writeStringProperty("table_name", table.id().name());
        g.writeStringProperty("commit_timestamp", formatCommitTimestamp(change.commitTimestamp()));
        Position p = change.position();
        g.writeName("commit_lsn");
        g.writeNumber(p.commitLsn());
        g.writeNumberProperty("commit_idx", p.commitIdx());
        g.writeStringProperty("idempotency_key", idempotencyKey != null ? idempotencyKey : p.idempotencyKey());
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

        g.writeEndObject();
    }

    private static void writeValue(JsonGenerator g, Column c, String text, TimestampFormat tf) {
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
}
