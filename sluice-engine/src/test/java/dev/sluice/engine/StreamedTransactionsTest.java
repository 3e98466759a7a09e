package dev.sluice.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.postgres.pgoutput.PgOutputMessage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk side of streamed transactions, with frames as Postgres sends them inside a stream block: read back in
 * order at the commit, cut back at a rolled back savepoint (with the savepoints begun inside it), dropped at an
 * abort, and of any size.
 */
class StreamedTransactionsTest {
    @TempDir
    Path dir;

    /** A streamed Insert of one text column: 'I', the (sub)transaction's xid, the relation, 'N', the tuple. */
    private static ByteBuffer insert(int xid, String value) {
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 4 + 4 + 1 + 2 + 1 + 4 + v.length);
        b.put((byte) 'I').putInt(xid).putInt(16385).put((byte) 'N').putShort((short) 1);
        b.put((byte) 't').putInt(v.length).put(v);
        return b.flip();
    }

    private static List<String> replay(StreamedTransactions t, int xid) throws InterruptedException {
        List<String> out = new ArrayList<>();
        t.commit(xid, m -> out.add(((PgOutputMessage.Insert) m).newTuple().text(0)));
        return out;
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void committed_readsBackEveryBlockInOrder_withoutARolledBackSavepointAndThoseBegunInsideIt() throws Exception {
        try (StreamedTransactions t = new StreamedTransactions(dir.resolve("db"))) {
            t.start(100, true);
            t.append(100, insert(100, "a"));
            t.append(101, insert(101, "in savepoint 101"));
            t.append(102, insert(102, "in savepoint 102, begun inside 101"));
            t.stop();
            // Another transaction's block between two of this one's.
            t.start(200, true);
            t.append(200, insert(200, "other"));
            t.stop();
            t.abort(100, 101);
            t.start(100, false);
            t.append(100, insert(100, "b"));
            t.append(103, insert(103, "in savepoint 103, released"));
            t.stop();
            assertThat(t.pending()).isTrue();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files().getFirst())))
                    .isEqualTo("rw-------");

            assertThat(replay(t, 100)).containsExactly("a", "b", "in savepoint 103, released");
            assertThat(replay(t, 200)).containsExactly("other");
            assertThat(t.pending()).isFalse();
            assertThat(files()).isEmpty();
        }
    }

    @Test
    void aborted_isDropped_andFramesLargerThanTheBufferRoundTrip() throws Exception {
        String big = "x".repeat(200_000);
        try (StreamedTransactions t = new StreamedTransactions(dir.resolve("db"))) {
            t.start(7, true);
            for (int i = 0; i < 50; i++) {
                t.append(7, insert(7, "row " + i));
            }
            t.append(7, insert(7, big));
            t.append(7, insert(7, "after"));
            t.stop();
            t.start(8, true);
            t.append(8, insert(8, "gone"));
            t.stop();
            t.abort(8, 8);
            assertThat(files()).hasSize(1);

            List<String> rows = replay(t, 7);
            assertThat(rows).hasSize(52);
            assertThat(rows.get(50)).isEqualTo(big);
            assertThat(rows.getLast()).isEqualTo("after");
            assertThatThrownBy(() -> replay(t, 8))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("none of its blocks");
        }
    }

    @Test
    void aLaterBlockWithoutItsFirst_isRefused_andANewSessionStartsEmpty() throws Exception {
        StreamedTransactions first = new StreamedTransactions(dir.resolve("db"));
        first.start(5, true);
        first.append(5, insert(5, "left by a killed process"));
        first.stop();
        assertThat(files()).hasSize(1);

        StreamedTransactions next = new StreamedTransactions(dir.resolve("db"));
        next.reset();
        assertThat(files()).isEmpty();
        assertThatThrownBy(() -> next.start(5, false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("without its first one");
    }
}
