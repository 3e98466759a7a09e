package dev.sluice.server.jobs;

import java.sql.SQLException;
import java.util.Arrays;
import java.util.function.LongConsumer;
import org.postgresql.copy.CopyOut;

/**
 * Verify's digest of one side of a table, read from {@code COPY (SELECT range, columns…) TO STDOUT (FORMAT binary)}:
 * per key range, the number of rows and the sum (mod 2⁶⁴) of each row's {@link Hash64} over its fields as sent. A
 * field's bytes are preceded by their length, which is -1 for NULL and 0 for an empty value, so the two differ. A sum
 * needs no order: the two sides may return rows in any order.
 *
 * <p>The server sends one row per CopyData message (the header with the first); rows split across messages are
 * joined all the same, as the protocol does not promise that alignment.
 */
final class CopyDigest {
    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0};
    /** Rows between progress reports (which may also cancel the read). */
    static final int REPORT_EVERY = 65_536;

    final long[] rows;
    final long[] sums;

    private CopyDigest(int ranges) {
        rows = new long[ranges];
        sums = new long[ranges];
    }

    /**
     * Reads {@code copy} to its end. The first field of each row is its range (an {@code int4} below {@code ranges});
     * {@code progress} gets the rows read since its last call, every {@value #REPORT_EVERY} rows and at the end, and
     * may throw to stop the read (the copy is then cancelled).
     */
    static CopyDigest read(CopyOut copy, int ranges, LongConsumer progress) throws SQLException {
        CopyDigest d = new CopyDigest(ranges);
        byte[] carry = new byte[0];
        int carried = 0;
        boolean header = true;
        boolean ended = false;
        long unreported = 0;
        try {
            byte[] message;
            while ((message = copy.readFromCopy()) != null) {
                byte[] buf = message;
                int end = message.length;
                if (carried > 0) {
                    if (carry.length < carried + message.length) {
                        carry = Arrays.copyOf(carry, Math.max(carried + message.length, carry.length * 2));
                    }
                    System.arraycopy(message, 0, carry, carried, message.length);
                    buf = carry;
                    end = carried + message.length;
                }
                int pos = 0;
                if (header) {
                    // Signature, flags, the length of the header extension, and that extension.
                    int fixed = SIGNATURE.length + 8;
                    int seen = Math.min(end, SIGNATURE.length);
                    if (!Arrays.equals(buf, 0, seen, SIGNATURE, 0, seen)) {
                        throw new IllegalStateException("the server's COPY output is not in the binary format");
                    }
                    if (end < fixed || end < fixed + int32(buf, SIGNATURE.length + 4)) {
                        carry = keep(carry, buf, 0, end);
                        carried = end;
                        continue;
                    }
                    pos = fixed + int32(buf, SIGNATURE.length + 4);
                    header = false;
                }
                while (!ended && pos + 2 <= end) {
                    int fields = int16(buf, pos);
                    if (fields == -1) {
                        ended = true;
                        pos += 2;
                        break;
                    }
                    int p = pos + 2;
                    if (p + 4 > end) {
                        break;
                    }
                    int length = int32(buf, p);
                    p += 4;
                    if (p + Math.max(length, 0) > end) {
                        break;
                    }
                    int range = length == 4 ? int32(buf, p) : 0;
                    p += Math.max(length, 0);
                    int start = p;
                    for (int i = 1; i < fields && p <= end; i++) {
                        p = p + 4 > end ? end + 1 : p + 4 + Math.max(int32(buf, p), 0);
                    }
                    if (p > end) {
                        break;
                    }
                    if (range < 0 || range >= ranges) {
                        throw new IllegalStateException("row in range " + range + " of " + ranges);
                    }
                    d.rows[range]++;
                    d.sums[range] += Hash64.hash(buf, start, p - start);
                    pos = p;
                    if (++unreported == REPORT_EVERY) {
                        progress.accept(unreported);
                        unreported = 0;
                    }
                }
                carried = end - pos;
                if (carried > 0) {
                    carry = keep(carry, buf, pos, end);
                }
            }
        } catch (RuntimeException | SQLException e) {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
            throw e;
        }
        if (carried > 0 || !ended) {
            throw new IllegalStateException("the server's COPY output ended inside a row");
        }
        progress.accept(unreported);
        return d;
    }

    /** The bytes {@code from}–{@code end} of {@code buf}, moved to the start of {@code carry} (grown when needed). */
    private static byte[] keep(byte[] carry, byte[] buf, int from, int end) {
        byte[] out = carry.length >= end - from ? carry : new byte[Math.max(end - from, 2 * carry.length)];
        System.arraycopy(buf, from, out, 0, end - from);
        return out;
    }

    private static int int16(byte[] b, int p) {
        return (short) ((b[p] & 0xFF) << 8 | (b[p + 1] & 0xFF));
    }

    private static int int32(byte[] b, int p) {
        return (b[p] & 0xFF) << 24 | (b[p + 1] & 0xFF) << 16 | (b[p + 2] & 0xFF) << 8 | (b[p + 3] & 0xFF);
    }
}
