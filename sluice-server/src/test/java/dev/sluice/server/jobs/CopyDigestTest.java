package dev.sluice.server.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.copy.CopyOut;

/**
 * The parsing of a binary COPY stream, fed here in messages cut anywhere (the server cuts it at rows; the protocol
 * does not promise that). The server's own streams are read in the verify ITs.
 */
class CopyDigestTest {
    @Test
    void countsAndHashesEachRowInItsRangeWhereverTheMessagesAreCut() throws Exception {
        byte[] stream = stream(
                new Object[] {0, "a", null}, new Object[] {2, "", "x"}, new Object[] {2, null, "x"}, new Object[] {
                    1, "a somewhat longer value of more than thirty-two bytes", "y"
                });
        CopyDigest whole = CopyDigest.read(new Messages(List.of(stream)), 3, n -> {});
        assertThat(whole.rows).containsExactly(1, 1, 2);
        // NULL and an empty value differ.
        assertThat(whole.sums[2]).isNotEqualTo(2 * whole.sums[0]);
        for (int cut = 1; cut < stream.length; cut++) {
            for (int second = cut + 1; second <= stream.length; second += 7) {
                List<byte[]> parts = new ArrayList<>();
                parts.add(Arrays.copyOfRange(stream, 0, cut));
                parts.add(Arrays.copyOfRange(stream, cut, second));
                if (second < stream.length) {
                    parts.add(Arrays.copyOfRange(stream, second, stream.length));
                }
                CopyDigest d = CopyDigest.read(new Messages(parts), 3, n -> {});
                assertThat(d.rows).as("cut at %d and %d", cut, second).containsExactly(whole.rows);
                assertThat(d.sums).as("cut at %d and %d", cut, second).containsExactly(whole.sums);
            }
        }
    }

    @Test
    void theSameRowsInAnotherOrderGiveTheSameDigestAndAChangedValueAnother() throws Exception {
        Object[] a = {0, "k1", "v"};
        Object[] b = {0, "k2", "w"};
        CopyDigest one = CopyDigest.read(new Messages(List.of(stream(a, b))), 1, n -> {});
        CopyDigest other = CopyDigest.read(new Messages(List.of(stream(b, a))), 1, n -> {});
        CopyDigest changed = CopyDigest.read(new Messages(List.of(stream(a, new Object[] {0, "k2", "W"}))), 1, n -> {});
        assertThat(other.sums).containsExactly(one.sums);
        assertThat(changed.sums[0]).isNotEqualTo(one.sums[0]);
    }

    @Test
    void aStreamCutShortOrInAnotherFormatIsAnError() throws Exception {
        byte[] stream = stream(new Object[] {0, "a"});
        Messages shortened = new Messages(List.of(Arrays.copyOf(stream, stream.length - 3)));
        assertThatThrownBy(() -> CopyDigest.read(shortened, 1, n -> {})).hasMessageContaining("ended inside a row");
        Messages text = new Messages(List.of("1\ta\n".repeat(10).getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> CopyDigest.read(text, 1, n -> {})).hasMessageContaining("binary format");
    }

    @Test
    void progressMayStopTheReadAndTheCopyIsCancelled() throws Exception {
        Object[][] rows = new Object[2 * CopyDigest.REPORT_EVERY][];
        Arrays.fill(rows, new Object[] {0, "r"});
        byte[] stream = stream(rows);
        List<byte[]> parts = new ArrayList<>();
        for (int i = 0; i < stream.length; i += 4096) {
            parts.add(Arrays.copyOfRange(stream, i, Math.min(stream.length, i + 4096)));
        }
        Messages m = new Messages(parts);
        assertThatThrownBy(() -> CopyDigest.read(m, 1, n -> {
                    throw new java.util.concurrent.CancellationException();
                }))
                .isInstanceOf(java.util.concurrent.CancellationException.class);
        assertThat(m.cancelled).isTrue();
    }

    /** A binary COPY stream: header, then each row as an int4 range and text fields (null for NULL), then the end. */
    private static byte[] stream(Object[]... rows) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write("PGCOPY\n".getBytes(StandardCharsets.US_ASCII));
        out.write(new byte[] {(byte) 0xFF, '\r', '\n', 0});
        out.writeInt(0);
        out.writeInt(4);
        out.writeInt(0xCAFE); // a header extension, skipped
        for (Object[] row : rows) {
            out.writeShort(row.length);
            out.writeInt(4);
            out.writeInt((Integer) row[0]);
            for (int i = 1; i < row.length; i++) {
                if (row[i] == null) {
                    out.writeInt(-1);
                } else {
                    byte[] v = ((String) row[i]).getBytes(StandardCharsets.UTF_8);
                    out.writeInt(v.length);
                    out.write(v);
                }
            }
        }
        out.writeShort(-1);
        return bytes.toByteArray();
    }

    /** The stream as the driver hands it over: one message at a time. */
    private static final class Messages implements CopyOut {
        private final Deque<byte[]> left;
        boolean cancelled;

        Messages(List<byte[]> messages) {
            left = new ArrayDeque<>(messages);
        }

        @Override
        public byte[] readFromCopy() {
            return left.poll();
        }

        @Override
        public byte[] readFromCopy(boolean block) {
            return left.poll();
        }

        @Override
        public int getFieldCount() {
            return 0;
        }

        @Override
        public int getFormat() {
            return 1;
        }

        @Override
        public int getFieldFormat(int field) {
            return 1;
        }

        @Override
        public boolean isActive() {
            return !left.isEmpty();
        }

        @Override
        public void cancelCopy() {
            cancelled = true;
            left.clear();
        }

        @Override
        public long getHandledRowCount() {
            return 0;
        }
    }
}
