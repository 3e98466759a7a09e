package dev.sluice.bench.jmh;

import dev.sluice.core.MessageContext;
import dev.sluice.core.Position;
import dev.sluice.core.TimestampFormat;
import dev.sluice.postgres.capture.PrimaryKeyLookup;
import dev.sluice.postgres.capture.RelationCache;
import dev.sluice.postgres.pgoutput.PgOutputDecoder;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Relation;
import dev.sluice.postgres.types.TypeRegistry;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;

/**
 * The benchmark table's row as pgoutput sends it, built byte by byte as the <a
 * href="https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html">Logical
 * Replication Message Formats</a> page lays it out, plus what the hot path needs around it (type
 * registry, relation cache, message context).
 *
 * <p>Table: {@code id serial primary key, string_field text, numeric_field numeric, timestamp_field
 * timestamptz, json_field jsonb, inserted_at timestamp, updated_at timestamp}. It exists twice, under
 * two relation OIDs: {@link #RELATION_ID} with the default replica identity (an Update carries only
 * the new row, as in the end-to-end benchmark) and {@link #FULL_RELATION_ID} with {@code REPLICA
 * IDENTITY FULL} (an Update carries the old row too, so the message has {@code changes}).
 */
final class BenchRow {
    static final int RELATION_ID = 16_400;
    static final int FULL_RELATION_ID = 16_401;
    static final String SCHEMA = "public";
    static final String TABLE = "benchmark_records";
    static final String FULL_TABLE = "benchmark_records_full";

    static final String[] COLUMNS = {
        "id", "string_field", "numeric_field", "timestamp_field", "json_field", "inserted_at", "updated_at"
    };
    static final int INT4 = 23;
    static final int TEXT = 25;
    static final int NUMERIC = 1700;
    static final int TIMESTAMPTZ = 1184;
    static final int JSONB = 3802;
    static final int TIMESTAMP = 1114;
    static final int[] TYPE_OIDS = {INT4, TEXT, NUMERIC, TIMESTAMPTZ, JSONB, TIMESTAMP, TIMESTAMP};

    /** Text output of the row (DateStyle ISO, TimeZone UTC), as the workload writes it. */
    static final String[] ROW = {
        "1234567",
        "c4ca4238a0b923820dcc509a6f75849b-payload", // 40 chars
        "48213.2763",
        "2024-05-06 07:08:09.123456+00",
        // jsonb output: keys sorted by length then bytes, ", " and ": " separators; 103 bytes
        "{\"n\": 42, \"v\": \"xy\", \"ok\": true, \"tag\": \"bench-run\", \"list\": [1, 2, 3], \"nested\": {\"a\": \"b\", \"c\": 1.5}}",
        "2024-05-06 07:08:09.123456",
        "2024-05-06 07:08:09.123456"
    };

    /** The same row after {@code UPDATE ... SET string_field = ..., numeric_field = ..., updated_at = now()}. */
    static final String[] UPDATED_ROW = {
        ROW[0],
        "eccbc87e4b5ce2fe28308fd9f2a7baf3-updated", // 40 chars
        "48214.0001",
        ROW[3],
        ROW[4],
        ROW[5],
        "2024-05-06 07:08:10.654321"
    };

    static final Instant COMMIT_TIMESTAMP = Instant.parse("2024-05-06T07:08:10.654321Z");
    static final long COMMIT_LSN = 0x16_B374_D848L;
    static final Position POSITION = new Position(COMMIT_LSN, 3);

    private BenchRow() {}

    static byte[] relationFrame() {
        return relationFrame(RELATION_ID, TABLE, 'd');
    }

    static byte[] fullRelationFrame() {
        return relationFrame(FULL_RELATION_ID, FULL_TABLE, 'f');
    }

    /** Relation: OID, namespace, name, replica identity, then per column flags, name, type OID, typmod. */
    private static byte[] relationFrame(int relationId, String table, char replicaIdentity) {
        Frame f = new Frame('R').int32(relationId).string(SCHEMA).string(table).int8(replicaIdentity);
        f.int16(COLUMNS.length);
        for (int i = 0; i < COLUMNS.length; i++) {
            // flag 1 marks replica-identity columns: the key by default, every column with FULL
            boolean key = replicaIdentity == 'f' || i == 0;
            f.int8(key ? 1 : 0).string(COLUMNS[i]).int32(TYPE_OIDS[i]).int32(-1);
        }
        return f.bytes();
    }

    /** Insert: relation OID, 'N', the new row. */
    static byte[] insertFrame() {
        return new Frame('I').int32(RELATION_ID).int8('N').tuple(ROW).bytes();
    }

    /** Update under the default replica identity (key unchanged): relation OID, 'N', the new row. */
    static byte[] updateFrame() {
        return new Frame('U').int32(RELATION_ID).int8('N').tuple(UPDATED_ROW).bytes();
    }

    /** Update under REPLICA IDENTITY FULL: relation OID, 'O', the old row, 'N', the new row. */
    static byte[] updateFullFrame() {
        return new Frame('U')
                .int32(FULL_RELATION_ID)
                .int8('O')
                .tuple(ROW)
                .int8('N')
                .tuple(UPDATED_ROW)
                .bytes();
    }

    /**
     * The frame as the replication reader hands it over: a heap buffer whose position skips the
     * 25-byte XLogData header ('w', start LSN, end LSN, send time) of the CopyData message.
     */
    static ByteBuffer asReceived(byte[] frame) {
        byte[] copyData = new byte[25 + frame.length];
        copyData[0] = 'w';
        System.arraycopy(frame, 0, copyData, 25, frame.length);
        return ByteBuffer.wrap(copyData, 25, frame.length);
    }

    /**
     * A registry for built-in OIDs only. Built-ins never reach the catalog, so the connection is a stub
     * that fails on use: a benchmark that needed a catalog lookup would say so instead of measuring it.
     */
    static TypeRegistry builtinTypes() {
        Connection noCatalog = (Connection) Proxy.newProxyInstance(
                BenchRow.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    throw new UnsupportedOperationException("benchmarks use built-in types only: " + method.getName());
                });
        return new TypeRegistry(noCatalog);
    }

    /** A relation cache that has seen both Relation frames, as the reader has after the first change. */
    static RelationCache relationCache() {
        PrimaryKeyLookup primaryKey = relationId -> List.of("id");
        RelationCache cache = new RelationCache(builtinTypes(), primaryKey);
        cache.apply((Relation) PgOutputDecoder.decode(ByteBuffer.wrap(relationFrame())));
        cache.apply((Relation) PgOutputDecoder.decode(ByteBuffer.wrap(fullRelationFrame())));
        return cache;
    }

    static MessageContext context() {
        return new MessageContext(
                "6f1c2a9e-3b7d-4e51-9a0c-2d8f4b6e1a37",
                "bench-webhook",
                "{}",
                "0b9e4d2c-7a15-4f38-b6e2-91c3d5a8f704",
                "bench",
                "{}",
                "bench",
                "localhost",
                TimestampFormat.ISO8601);
    }

    /** Big-endian writer for one pgoutput message. */
    private static final class Frame {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        private final DataOutputStream out = new DataOutputStream(bytes);

        Frame(char type) {
            int8(type);
        }

        Frame int8(int v) {
            try {
                out.writeByte(v);
                return this;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        Frame int16(int v) {
            return int8(v >>> 8).int8(v);
        }

        Frame int32(int v) {
            return int16(v >>> 16).int16(v);
        }

        /** NUL-terminated UTF-8. */
        Frame string(String s) {
            bytes.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            return int8(0);
        }

        /** TupleData: Int16 column count, then per column 't', Int32 length, the text's bytes. */
        Frame tuple(String[] values) {
            int16(values.length);
            for (String v : values) {
                byte[] b = v.getBytes(StandardCharsets.UTF_8);
                int8('t').int32(b.length);
                bytes.writeBytes(b);
            }
            return this;
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }
    }
}
