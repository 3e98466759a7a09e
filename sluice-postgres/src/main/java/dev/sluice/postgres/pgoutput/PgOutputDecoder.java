package dev.sluice.postgres.pgoutput;

import dev.sluice.postgres.pgoutput.PgOutputMessage.Begin;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Commit;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Delete;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Insert;
import dev.sluice.postgres.pgoutput.PgOutputMessage.LogicalMessage;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Origin;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Relation;
import dev.sluice.postgres.pgoutput.PgOutputMessage.RelationColumn;
import dev.sluice.postgres.pgoutput.PgOutputMessage.StreamAbort;
import dev.sluice.postgres.pgoutput.PgOutputMessage.StreamCommit;
import dev.sluice.postgres.pgoutput.PgOutputMessage.StreamStart;
import dev.sluice.postgres.pgoutput.PgOutputMessage.StreamStop;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Streamed;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Truncate;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Type;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Update;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Decodes one pgoutput frame (the payload of a CopyData XLogData message) into a {@link
 * PgOutputMessage}.
 *
 * <p>Protocol: versions 1 and 2 of <a
 * href="https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html">Logical
 * Replication Message Formats</a>, plus the {@code 'M'} logical decoding message sent with the
 * {@code messages} option (Postgres 14+). Integers are big-endian; strings are NUL-terminated;
 * timestamps are microseconds since 2000-01-01 00:00 UTC. Version 2 adds the streaming of
 * in-progress transactions: Stream Start/Stop/Commit/Abort, and between a Stream Start and its Stream
 * Stop every Relation, Type, row change, Truncate and Message carries the (sub)transaction's xid first:
 * decode those with {@link #decode(ByteBuffer, boolean)} and {@code inStream} true, which returns them
 * wrapped in {@link Streamed}. The two-phase (version 3+) messages are rejected: Sluice does not ask
 * for those versions.
 *
 * <p>State: none. {@link #decode} is a pure function; it reads the frame with absolute gets between
 * its position and limit and leaves the buffer's position, limit and byte order untouched.
 *
 * <p>Concurrency: thread-safe.
 *
 * <p>Failure: any frame that does not follow the protocol (truncated, trailing bytes, unknown message
 * type or tuple kind, negative length) raises {@link PgOutputException} naming the message type and
 * the offset in the frame. Lengths are checked against the bytes left before anything is allocated, so
 * a corrupt count cannot ask for a huge array.
 *
 * <p>Cost: a text column is one {@code String} (decoded straight from the buffer's backing array when
 * it has one); a row is one {@link TupleData} of three arrays.
 */
public final class PgOutputDecoder {
    /** 2000-01-01T00:00:00Z, the Postgres epoch, in Unix seconds. */
    private static final long PG_EPOCH_SECONDS = 946_684_800L;

    private PgOutputDecoder() {}

    /**
     * Decodes the bytes between {@code frame}'s position and limit, which must hold exactly one
     * message.
     *
     * @throws PgOutputException when the bytes are not a well-formed message
     */
    public static PgOutputMessage decode(ByteBuffer frame) {
        return decode(frame, false);
    }

    /**
     * Decodes one message; {@code inStream}: it arrived between a Stream Start and its Stream Stop, where
     * the messages of a transaction carry its xid (returned as {@link Streamed}).
     *
     * @throws PgOutputException when the bytes are not a well-formed message
     */
    public static PgOutputMessage decode(ByteBuffer frame, boolean inStream) {
        Cursor in = new Cursor(frame);
        if (in.remaining() == 0) {
            throw new PgOutputException("empty pgoutput frame");
        }
        byte type = in.type();
        if (inStream && carriesXid(type)) {
            int xid = in.int32("xid");
            PgOutputMessage inner = body(in, type);
            in.requireEnd();
            return new Streamed(xid, inner);
        }
        PgOutputMessage message = body(in, type);
        in.requireEnd();
        return message;
    }

    // The messages that carry their transaction's xid inside a stream block.
    private static boolean carriesXid(byte type) {
        return switch (type) {
            case 'R', 'Y', 'I', 'U', 'D', 'T', 'M' -> true;
            default -> false;
        };
    }

    private static PgOutputMessage body(Cursor in, byte type) {
        return switch (type) {
            case 'B' -> begin(in);
            case 'C' -> commit(in);
            case 'O' -> origin(in);
            case 'R' -> relation(in);
            case 'Y' -> type(in);
            case 'I' -> insert(in);
            case 'U' -> update(in);
            case 'D' -> delete(in);
            case 'T' -> truncate(in);
            case 'M' -> logicalMessage(in);
            case 'S' -> new StreamStart(in.int32("xid"), in.int8("first segment") == 1);
            case 'E' -> new StreamStop();
            case 'c' -> streamCommit(in);
            case 'A' -> new StreamAbort(in.int32("xid"), in.int32("subtransaction xid"));
            default -> throw in.error("unknown message type");
        };
    }

    private static StreamCommit streamCommit(Cursor in) {
        int xid = in.int32("xid");
        int flags = in.int8("flags");
        long commitLsn = in.int64("commit LSN");
        long endLsn = in.int64("end LSN");
        long commitTimestamp = in.int64("commit timestamp");
        return new StreamCommit(xid, flags, commitLsn, endLsn, timestamp(commitTimestamp));
    }

    private static Begin begin(Cursor in) {
        long finalLsn = in.int64("final LSN");
        long commitTimestamp = in.int64("commit timestamp");
        int xid = in.int32("xid");
        return new Begin(finalLsn, timestamp(commitTimestamp), xid);
    }

    private static Commit commit(Cursor in) {
        int flags = in.int8("flags");
        long commitLsn = in.int64("commit LSN");
        long endLsn = in.int64("end LSN");
        long commitTimestamp = in.int64("commit timestamp");
        return new Commit(flags, commitLsn, endLsn, timestamp(commitTimestamp));
    }

    private static Origin origin(Cursor in) {
        long commitLsn = in.int64("origin commit LSN");
        String name = in.string("origin name");
        return new Origin(commitLsn, name);
    }

    private static Relation relation(Cursor in) {
        int relationId = in.int32("relation OID");
        String namespace = in.string("namespace");
        String name = in.string("relation name");
        char replicaIdentity = (char) in.int8("replica identity");
        int columnCount = in.count16("column count", 10); // flags 1 + name >= 1 + type 4 + typmod 4
        RelationColumn[] columns = new RelationColumn[columnCount];
        for (int i = 0; i < columnCount; i++) {
            int flags = in.int8("column flags");
            String columnName = in.string("column name");
            int typeOid = in.int32("column type OID");
            int typeModifier = in.int32("column type modifier");
            columns[i] = new RelationColumn((flags & 1) != 0, columnName, typeOid, typeModifier);
        }
        return new Relation(relationId, namespace, name, replicaIdentity, Arrays.asList(columns));
    }

    private static Type type(Cursor in) {
        int typeOid = in.int32("type OID");
        String namespace = in.string("namespace");
        String name = in.string("type name");
        return new Type(typeOid, namespace, name);
    }

    private static Insert insert(Cursor in) {
        int relationId = in.int32("relation OID");
        in.expect('N', "new tuple marker");
        TupleData newTuple = tuple(in);
        return new Insert(relationId, newTuple);
    }

    private static Update update(Cursor in) {
        int relationId = in.int32("relation OID");
        char oldKind = 0;
        TupleData oldTuple = null;
        int marker = in.int8("tuple marker");
        if (marker == 'K' || marker == 'O') {
            oldKind = (char) marker;
            oldTuple = tuple(in);
            marker = in.int8("new tuple marker");
        }
        if (marker != 'N') {
            throw in.errorBefore(1, "expected tuple marker 'K', 'O' or 'N', got " + describe(marker));
        }
        TupleData newTuple = tuple(in);
        return new Update(relationId, oldKind, oldTuple, newTuple);
    }

    private static Delete delete(Cursor in) {
        int relationId = in.int32("relation OID");
        int oldKind = in.int8("old tuple marker");
        if (oldKind != 'K' && oldKind != 'O') {
            throw in.errorBefore(1, "expected old tuple marker 'K' or 'O', got " + describe(oldKind));
        }
        TupleData oldTuple = tuple(in);
        return new Delete(relationId, (char) oldKind, oldTuple);
    }

    private static Truncate truncate(Cursor in) {
        int relationCount = in.int32("relation count");
        int options = in.int8("options");
        in.require(relationCount, 4, "relation OIDs");
        int[] relationIds = new int[relationCount];
        for (int i = 0; i < relationCount; i++) {
            relationIds[i] = in.int32("relation OID");
        }
        return new Truncate(options, relationIds);
    }

    private static LogicalMessage logicalMessage(Cursor in) {
        int flags = in.int8("flags");
        long lsn = in.int64("message LSN");
        String prefix = in.string("prefix");
        int length = in.int32("content length");
        byte[] content = in.bytes(length, "content");
        return new LogicalMessage((flags & 1) != 0, lsn, prefix, content);
    }

    /** TupleData: Int16 column count, then per column a kind byte and, for 't' and 'b', Int32 length + bytes. */
    private static TupleData tuple(Cursor in) {
        int columnCount = in.count16("tuple column count", 1); // every column has at least its kind byte
        byte[] kinds = new byte[columnCount];
        String[] texts = new String[columnCount];
        byte[][] binaries = null;
        for (int i = 0; i < columnCount; i++) {
            byte kind = (byte) in.int8("column kind");
            kinds[i] = kind;
            switch (kind) {
                case TupleData.NULL, TupleData.UNCHANGED_TOAST -> {}
                case TupleData.TEXT -> texts[i] = in.text(in.int32("column value length"), "column value");
                case TupleData.BINARY -> {
                    if (binaries == null) {
                        binaries = new byte[columnCount][];
                    }
                    binaries[i] = in.bytes(in.int32("column value length"), "column value");
                }
                default -> throw in.errorBefore(1, "unknown kind " + describe(kind) + " for tuple column " + i);
            }
        }
        return new TupleData(kinds, texts, binaries);
    }

    private static Instant timestamp(long microsSince2000) {
        return Instant.ofEpochSecond(
                Math.floorDiv(microsSince2000, 1_000_000L) + PG_EPOCH_SECONDS,
                Math.floorMod(microsSince2000, 1_000_000L) * 1_000L);
    }

    private static String describe(int b) {
        return b >= 0x20 && b < 0x7f ? "'" + (char) b + "'" : String.format("0x%02x", b & 0xff);
    }

    static String messageName(int type) {
        return switch (type) {
            case 'B' -> "Begin";
            case 'C' -> "Commit";
            case 'O' -> "Origin";
            case 'R' -> "Relation";
            case 'Y' -> "Type";
            case 'I' -> "Insert";
            case 'U' -> "Update";
            case 'D' -> "Delete";
            case 'T' -> "Truncate";
            case 'M' -> "Message";
            case 'S' -> "Stream Start";
            case 'E' -> "Stream Stop";
            case 'c' -> "Stream Commit";
            case 'A' -> "Stream Abort";
            default -> "type " + describe(type);
        };
    }

    /**
     * Bounds-checked reads at absolute indexes of the frame. Every read names its field, so a
     * truncated frame reports exactly what was missing.
     */
    private static final class Cursor {
        private final ByteBuffer buf;
        private final boolean swap;
        private final byte @Nullable [] array;
        private final int arrayOffset;
        private final int start;
        private final int limit;
        private int pos;
        private int type;

        Cursor(ByteBuffer buf) {
            this.buf = buf;
            this.swap = buf.order() != ByteOrder.BIG_ENDIAN;
            boolean heap = buf.hasArray();
            this.array = heap ? buf.array() : null;
            this.arrayOffset = heap ? buf.arrayOffset() : 0;
            this.start = buf.position();
            this.limit = buf.limit();
            this.pos = start;
        }

        int remaining() {
            return limit - pos;
        }

        byte type() {
            byte t = buf.get(pos++);
            type = t;
            return t;
        }

        int int8(String field) {
            need(1, field);
            return buf.get(pos++) & 0xff;
        }

        int int32(String field) {
            need(4, field);
            int v = buf.getInt(pos);
            pos += 4;
            return swap ? Integer.reverseBytes(v) : v;
        }

        long int64(String field) {
            need(8, field);
            long v = buf.getLong(pos);
            pos += 8;
            return swap ? Long.reverseBytes(v) : v;
        }

        /** An Int16 count that cannot be negative and whose items need at least {@code minItemSize} bytes each. */
        int count16(String field, int minItemSize) {
            need(2, field);
            short v = buf.getShort(pos);
            pos += 2;
            int count = swap ? Short.reverseBytes(v) : v;
            if (count < 0) {
                throw errorBefore(2, "negative " + field + " " + count);
            }
            require(count, minItemSize, field);
            return count;
        }

        void expect(char marker, String field) {
            int b = int8(field);
            if (b != marker) {
                throw errorBefore(1, "expected " + field + " '" + marker + "', got " + describe(b));
            }
        }

        /** Checks that {@code count} items of at least {@code itemSize} bytes can still follow. */
        void require(int count, int itemSize, String what) {
            if (count < 0) {
                throw error("negative count " + count + " of " + what);
            }
            if ((long) count * itemSize > remaining()) {
                throw error(count + " " + what + " need at least " + (long) count * itemSize + " bytes, " + remaining()
                        + " left");
            }
        }

        /** A NUL-terminated UTF-8 string. */
        String string(String field) {
            int end = pos;
            while (end < limit && buf.get(end) != 0) {
                end++;
            }
            if (end == limit) {
                throw error("unterminated " + field);
            }
            String s = decodeUtf8(end - pos);
            pos = end + 1;
            return s;
        }

        String text(int length, String field) {
            checkLength(length, field);
            String s = decodeUtf8(length);
            pos += length;
            return s;
        }

        byte[] bytes(int length, String field) {
            checkLength(length, field);
            byte[] out = new byte[length];
            buf.get(pos, out);
            pos += length;
            return out;
        }

        private String decodeUtf8(int length) {
            if (array != null) {
                return new String(array, arrayOffset + pos, length, StandardCharsets.UTF_8);
            }
            byte[] copy = new byte[length];
            buf.get(pos, copy);
            return new String(copy, StandardCharsets.UTF_8);
        }

        private void checkLength(int length, String field) {
            if (length < 0) {
                throw errorBefore(4, "negative length " + length + " of " + field);
            }
            need(length, field);
        }

        private void need(int bytes, String field) {
            if (remaining() < bytes) {
                throw error("truncated: " + field + " needs " + bytes + " bytes, " + remaining() + " left");
            }
        }

        void requireEnd() {
            if (pos != limit) {
                throw error(remaining() + " trailing bytes");
            }
        }

        PgOutputException error(String problem) {
            return new PgOutputException(
                    "malformed pgoutput " + messageName(type) + " message at offset " + (pos - start) + ": " + problem);
        }

        /** An error about the field that ended {@code back} bytes ago: report the offset where it began. */
        PgOutputException errorBefore(int back, String problem) {
            pos -= back;
            return error(problem);
        }
    }
}
