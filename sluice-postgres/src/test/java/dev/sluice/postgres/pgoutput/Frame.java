package dev.sluice.postgres.pgoutput;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** Builds pgoutput frames byte by byte, as the protocol page lays them out. */
final class Frame {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static Frame of(char type) {
        return new Frame().int8(type);
    }

    Frame int8(int v) {
        out.write(v);
        return this;
    }

    Frame int16(int v) {
        return int8(v >>> 8).int8(v);
    }

    Frame int32(int v) {
        return int16(v >>> 16).int16(v);
    }

    Frame int64(long v) {
        return int32((int) (v >>> 32)).int32((int) v);
    }

    /** Microseconds since 2000-01-01 UTC. */
    Frame timestamp(Instant t) {
        long micros = (t.getEpochSecond() - 946_684_800L) * 1_000_000L + t.getNano() / 1_000;
        return int64(micros);
    }

    /** NUL-terminated UTF-8. */
    Frame string(String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        return int8(0);
    }

    Frame bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    /** TupleData column count. */
    Frame columns(int n) {
        return int16(n);
    }

    Frame nullValue() {
        return int8('n');
    }

    Frame unchangedToast() {
        return int8('u');
    }

    Frame text(String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        return int8('t').int32(b.length).bytes(b);
    }

    Frame binary(byte[] value) {
        return int8('b').int32(value.length).bytes(value);
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    ByteBuffer buffer() {
        return ByteBuffer.wrap(toByteArray());
    }
}
