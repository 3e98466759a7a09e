package dev.sluice.core;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Encodes a {@link Change} as Sequin-compatible message JSON:
 *
 * <pre>{"record":{...},"changes":{...}|null,"action":"insert",
 *  "metadata":{"table_schema","table_name","commit_timestamp","commit_lsn","commit_idx",
 *  "idempotency_key","record_pks","transaction_annotations","enrichment","consumer":{...},
 *  "database":{...},"database_name"}}</pre>
 *
 * <p>A truncate has an empty {@code record} and {@code record_pks}, {@code changes} null, and the statement's options
 * in {@code metadata.truncate_options} ({@code ["cascade", "restart_identity"]}, or empty).
 *
 * <p>This is the per-message hot path of every sink, so an encoder instance is bound to one sink's
 * {@link MessageContext} and keeps what repeats, pre-encoded as UTF-8: the consumer/database tail of {@code metadata},
 * each table schema's column names and table name, the commit timestamp text of the current transaction; and one
 * {@link JsonWriter}, whose buffer every message is written into and copied out of.
 *
 * <p>Concurrency: an instance is not thread-safe; use one per delivering thread. The static
 * {@link #encode(Change, MessageContext)} is thread-safe and slower (a fresh encoder per call).
 */
public final class MessageEncoder {
    private static final DateTimeFormatter COMMIT_TS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final byte[] RECORD = ascii("{\"record\":{");
    private static final byte[] CHANGES_NULL = ascii("},\"changes\":null");
    private static final byte[] CHANGES = ascii("},\"changes\":{");
    private static final byte[] ACTION = ascii(",\"action\":\"");
    private static final byte[] TABLE_SCHEMA = ascii("\",\"metadata\":{\"table_schema\":");
    private static final byte[] TABLE_NAME = ascii(",\"table_name\":");
    private static final byte[] KEY = ascii(",\"idempotency_key\":");
    private static final byte[] RECORD_PKS = ascii(",\"record_pks\":[");
    private static final byte[] TOAST_COLUMNS = ascii(",\"unchanged_toast_columns\":[");
    private static final byte[] ARRAY_BOUNDS = ascii(",\"array_bounds\":{");
    private static final byte[] TRUNCATE_OPTIONS = ascii(",\"truncate_options\":[");
    private static final byte[] ANNOTATIONS = ascii(",\"transaction_annotations\":");
    private static final byte[] ENRICHMENT = ascii(",\"enrichment\":null");
    private static final byte[] UNCHANGED_TOAST = ascii("\"unchanged_toast\"");
    private static final int[] NO_KEY = new int[0];

    private final MessageContext context;
    private final byte[] metadataTail;
    private final Map<TableSchema, Names> names = new IdentityHashMap<>();
    private final JsonWriter out = new JsonWriter();
    // The names of the table whose message is being written, from writeHead to writeTail.
    private @Nullable Names writing;
    private @Nullable Instant lastCommitTimestamp;
    private String lastCommitTimestampText = "";

    /**
     * A table schema's pre-encoded parts: each column's {@code "name":} and {@code ..."table_name":"..."}, and which
     * columns the sink delivers (null: all; see {@link ColumnSelection}).
     */
    private record Names(byte[][] columns, byte[] tableSchema, byte[] tableName, boolean @Nullable [] delivered) {}

    public MessageEncoder(MessageContext context) {
        this.context = context;
        this.metadataTail = encodeTail(context);
    }

    /** The context this encoder writes into every message. */
    public MessageContext context() {
        return context;
    }

    /**
     * Messages encoded before their positions are known (a backfill page's reads, which get theirs when they are
     * queued): each one everything but {@code commit_timestamp}, {@code commit_lsn} and {@code commit_idx}, which
     * {@link #complete} puts in between. Encoding is the costly part, completing a copy. The messages sit back to
     * back in large chunks, not an array each: a page in flight is a few objects for the collector to keep.
     *
     * <p>Concurrency: filled by one thread, then completed by any one thread that the filling thread handed it to.
     */
    public static final class PreparedBatch {
        // At least a G1 region (1 MiB at small heaps): the collector keeps such an array in place, not copying it.
        private static final int CHUNK = 2 << 20;
        private final List<byte[]> chunks = new java.util.ArrayList<>();
        // Per message: its chunk, where it starts, where its head ends, where it ends.
        private int[] marks = new int[4 * 64];
        private int count;
        private long bytes;
        private byte @Nullable [] current;
        private int used;

        public int count() {
            return count;
        }

        /** The bytes of all messages, for memory accounting. */
        public long bytes() {
            return bytes;
        }

        private void add(byte[] buf, int head, int size) {
            byte[] chunk = current;
            if (chunk == null || chunk.length - used < size) {
                chunk = current = new byte[Math.max(CHUNK, size)];
                chunks.add(chunk);
                used = 0;
            }
            System.arraycopy(buf, 0, chunk, used, size);
            if (marks.length < 4 * (count + 1)) {
                marks = Arrays.copyOf(marks, marks.length * 2);
            }
            int m = 4 * count++;
            marks[m] = chunks.size() - 1;
            marks[m + 1] = used;
            marks[m + 2] = used + head;
            marks[m + 3] = used + size;
            used += size;
            bytes += size;
        }

        /**
         * Message {@code i}, byte for byte what {@link #encode(Change, String)} writes for its change at the position
         * of {@code where} with commit index {@code commitIdx}.
         */
        public byte[] complete(int i, PositionText where, int commitIdx) {
            int m = 4 * i;
            byte[] chunk = chunks.get(marks[m]);
            int start = marks[m + 1];
            int headEnd = marks[m + 2];
            int end = marks[m + 3];
            byte[] middle = where.text;
            // Sized exactly: a spare byte would cost a second copy of the whole message (this runs once per read).
            byte[] out = new byte[end - start + middle.length + decimalLength(commitIdx)];
            int o = headEnd - start;
            System.arraycopy(chunk, start, out, 0, o);
            System.arraycopy(middle, 0, out, o, middle.length);
            o = digits(commitIdx, out, o + middle.length);
            System.arraycopy(chunk, headEnd, out, o, end - headEnd);
            return out;
        }

        private static int decimalLength(int v) {
            if (v < 0) {
                return Long.toString(v).length();
            }
            int n = 1;
            while (v >= 10) {
                v /= 10;
                n++;
            }
            return n;
        }
    }

    /**
     * What {@link PreparedBatch#complete} puts into every message at one commit position and timestamp, but the
     * commit index: made once for all the messages that share them.
     */
    public static final class PositionText {
        private final byte[] text;

        public PositionText(long commitLsn, String commitTimestampText) {
            byte[] out = new byte
                    [COMMIT_TS_NAME.length
                            + commitTimestampText.length()
                            + COMMIT_LSN_NAME.length
                            + 20
                            + COMMIT_IDX_NAME.length];
            System.arraycopy(COMMIT_TS_NAME, 0, out, 0, COMMIT_TS_NAME.length);
            int o = COMMIT_TS_NAME.length;
            // ISO-8601 digits and separators: ASCII, nothing to escape.
            for (int i = 0; i < commitTimestampText.length(); i++) {
                out[o++] = (byte) commitTimestampText.charAt(i);
            }
            System.arraycopy(COMMIT_LSN_NAME, 0, out, o, COMMIT_LSN_NAME.length);
            o = digits(commitLsn, out, o + COMMIT_LSN_NAME.length);
            System.arraycopy(COMMIT_IDX_NAME, 0, out, o, COMMIT_IDX_NAME.length);
            this.text = Arrays.copyOf(out, o + COMMIT_IDX_NAME.length);
        }
    }

    /**
     * Encodes {@code change} into {@code batch} but for its position and commit timestamp (ignored here), with the
     * given idempotency key.
     */
    public void prepare(Change change, String idempotencyKey, PreparedBatch batch) {
        JsonWriter w = out;
        w.reset();
        writeHead(w, change);
        int head = w.size();
        writeTail(w, change, idempotencyKey);
        batch.add(w.array(), head, w.size());
    }

    private static final byte[] COMMIT_TS_NAME = ",\"commit_timestamp\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMMIT_LSN_NAME = "\",\"commit_lsn\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMMIT_IDX_NAME = ",\"commit_idx\":".getBytes(StandardCharsets.US_ASCII);

    private static int digits(long v, byte[] out, int o) {
        return JsonWriter.digits(v, out, o);
    }

    /** The message as UTF-8 JSON bytes, with the live idempotency key of its position. */
    public byte[] encode(Change change) {
        return encode(change, change.position().idempotencyKey());
    }

    /** The message as UTF-8 JSON bytes, with the given idempotency key (backfills use their own). */
    public byte[] encode(Change change, String idempotencyKey) {
        JsonWriter w = out;
        w.reset();
        writeHead(w, change);
        w.raw(COMMIT_TS_NAME);
        w.rawAscii(commitTimestamp(change.commitTimestamp()));
        w.raw(COMMIT_LSN_NAME);
        Position p = change.position();
        w.afterValue(false);
        w.writeNumber(p.commitLsn());
        w.raw(COMMIT_IDX_NAME);
        w.afterValue(false);
        w.writeNumber(p.commitIdx());
        writeTail(w, change, idempotencyKey);
        return w.toByteArray();
    }

    /** The message as UTF-8 JSON bytes. Thread-safe; prefer an instance on hot paths. */
    public static byte[] encode(Change change, MessageContext context) {
        return encode(change, context, change.position().idempotencyKey());
    }

    /** Like {@link #encode(Change, MessageContext)}, with the given idempotency key. */
    public static byte[] encode(Change change, MessageContext context, String idempotencyKey) {
        return new MessageEncoder(context).encode(change, idempotencyKey);
    }

    // From the start to table_name in metadata: what does not depend on the position.
    private void writeHead(JsonWriter w, Change change) {
        TableSchema table = change.table();
        List<Column> columns = table.columns();
        Names n = names.computeIfAbsent(table, this::names);
        writing = n;
        byte[][] columnNames = n.columns();
        TimestampFormat tf = context.timestampFormat();

        w.raw(RECORD);
        w.afterValue(false);
        String[] record = change.record();
        BitSet toast = change.unchangedToast();
        // A truncate has no row: its record is empty.
        int columnCount = change.action() == Action.TRUNCATE ? 0 : columnNames.length;
        boolean[] delivered = n.delivered();
        for (int i = 0; i < columnCount; i++) {
            if (delivered != null && !delivered[i]) {
                continue;
            }
            w.writeName(columnNames[i]);
            if (toast != null && toast.get(i)) {
                w.raw(UNCHANGED_TOAST);
                w.afterValue(true);
            } else {
                writeValue(w, columns.get(i), record[i], tf);
            }
        }

        BitSet changed = change.changed();
        if (changed == null) {
            w.raw(CHANGES_NULL);
        } else {
            w.raw(CHANGES);
            w.afterValue(false);
            String[] old = change.old();
            for (int i = changed.nextSetBit(0); i >= 0; i = changed.nextSetBit(i + 1)) {
                if (delivered != null && !delivered[i]) {
                    continue;
                }
                w.writeName(columnNames[i]);
                writeValue(w, columns.get(i), old == null ? null : old[i], tf);
            }
            w.raw('}');
        }

        w.raw(ACTION);
        w.rawAscii(change.action().wireName());
        w.raw(TABLE_SCHEMA);
        w.raw(n.tableSchema());
        w.raw(TABLE_NAME);
        w.raw(n.tableName());
    }

    /**
     * An array whose lower bounds are not 1 ({@code [0:2]={1,2,3}}) is written as a plain JSON array, as Sequin
     * does; {@code array_bounds} keeps its bounds ({@code "[0:2]"}) so a replica can be exact. Absent when no
     * column has any.
     */
    private static void writeArrayBounds(
            JsonWriter w, List<Column> columns, String[] record, boolean @Nullable [] delivered) {
        boolean any = false;
        for (int i = 0; i < record.length; i++) {
            String v = record[i];
            if (v == null
                    || delivered != null && !delivered[i]
                    || v.isEmpty()
                    || v.charAt(0) != '['
                    || !columns.get(i).typeName().startsWith("_")) {
                continue;
            }
            int eq = v.indexOf('=');
            if (eq < 0) {
                continue;
            }
            if (!any) {
                w.raw(ARRAY_BOUNDS);
                w.afterValue(false);
                any = true;
            }
            w.writeName(columns.get(i).name());
            w.writeString(v.substring(0, eq));
        }
        if (any) {
            w.raw('}');
        }
    }

    // From idempotency_key in metadata to the end.
    private void writeTail(JsonWriter w, Change change, String idempotencyKey) {
        TableSchema table = change.table();
        List<Column> columns = table.columns();
        String[] record = change.record();
        BitSet toast = change.unchangedToast();
        // writeHead just looked the table up.
        boolean[] delivered = Objects.requireNonNull(writing).delivered();
        w.raw(KEY);
        w.afterValue(false);
        w.writeString(idempotencyKey);
        w.raw(RECORD_PKS);
        w.afterValue(false);
        boolean truncate = change.action() == Action.TRUNCATE;
        for (int k : truncate ? NO_KEY : table.primaryKey()) {
            String v = record[k];
            if (v == null) {
                w.writeNull();
            } else {
                w.writeString(v);
            }
        }
        w.raw(']');
        if (truncate) {
            w.raw(TRUNCATE_OPTIONS);
            w.afterValue(false);
            for (TruncateOption o : change.truncateOptions()) {
                w.writeString(o.wireName());
            }
            w.raw(']');
        }
        if (toast != null && anyDelivered(toast, delivered)) {
            w.raw(TOAST_COLUMNS);
            w.afterValue(false);
            for (int i = toast.nextSetBit(0); i >= 0; i = toast.nextSetBit(i + 1)) {
                if (delivered == null || delivered[i]) {
                    w.writeString(columns.get(i).name());
                }
            }
            w.raw(']');
        }
        if (!truncate) {
            writeArrayBounds(w, columns, record, delivered);
        }
        w.raw(ANNOTATIONS);
        String annotations = change.transactionAnnotations();
        w.afterValue(false);
        if (annotations == null) {
            w.writeNull();
        } else {
            w.writeRawValue(annotations);
        }
        w.raw(ENRICHMENT);
        // consumer, database and database_name are the same for every message of the sink.
        w.raw(metadataTail);
        w.raw('}');
        w.raw('}');
    }

    private static boolean anyDelivered(BitSet columns, boolean @Nullable [] delivered) {
        for (int i = columns.nextSetBit(0); i >= 0; i = columns.nextSetBit(i + 1)) {
            if (delivered == null || delivered[i]) {
                return true;
            }
        }
        return false;
    }

    private String commitTimestamp(Instant ts) {
        // Every change of a transaction carries the same Instant: format it once.
        if (ts != lastCommitTimestamp) {
            lastCommitTimestampText = formatCommitTimestamp(ts);
            lastCommitTimestamp = ts;
        }
        return lastCommitTimestampText;
    }

    private Names names(TableSchema t) {
        byte[][] columns = new byte[t.columnCount()][];
        for (int i = 0; i < columns.length; i++) {
            columns[i] = JsonWriter.name(t.columns().get(i).name());
        }
        return new Names(
                columns,
                string(t.id().schema()),
                string(t.id().name()),
                context.columns().mask(t));
    }

    private static byte[] string(String s) {
        JsonWriter w = new JsonWriter(s.length() + 8);
        w.writeString(s);
        return w.toByteArray();
    }

    // ,"consumer":{...},"database":{...},"database_name":"..." as UTF-8 JSON.
    private static byte[] encodeTail(MessageContext ctx) {
        JsonWriter w = new JsonWriter(256);
        w.afterValue(true); // after enrichment
        w.writeName("consumer");
        w.writeStartObject();
        w.writeName("id");
        w.writeString(ctx.consumerId());
        w.writeName("name");
        w.writeString(ctx.consumerName());
        w.writeName("annotations");
        w.writeRawValue(ctx.consumerAnnotationsJson());
        w.writeEndObject();
        w.writeName("database");
        w.writeStartObject();
        w.writeName("id");
        w.writeString(ctx.databaseId());
        w.writeName("name");
        w.writeString(ctx.databaseName());
        w.writeName("annotations");
        w.writeRawValue(ctx.databaseAnnotationsJson());
        w.writeName("database");
        w.writeString(ctx.databaseDbName());
        w.writeName("hostname");
        w.writeString(ctx.databaseHostname());
        w.writeEndObject();
        // Deprecated in Sequin's format, still read by older consumers.
        w.writeName("database_name");
        w.writeString(ctx.databaseName());
        return w.toByteArray();
    }

    private static void writeValue(JsonWriter w, Column c, @Nullable String text, TimestampFormat tf) {
        if (text == null) {
            w.writeNull();
        } else {
            c.codec().write(w, text, tf);
        }
    }

    /** ISO-8601 in UTC with microseconds, as Sequin writes {@code commit_timestamp}. */
    public static String formatCommitTimestamp(Instant ts) {
        return COMMIT_TS.format(ts);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
