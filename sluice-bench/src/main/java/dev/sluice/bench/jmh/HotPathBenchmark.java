package dev.sluice.bench.jmh;

import dev.sluice.core.Change;
import dev.sluice.core.MessageContext;
import dev.sluice.core.MessageEncoder;
import dev.sluice.core.Position;
import dev.sluice.postgres.capture.ChangeAssembler;
import dev.sluice.postgres.pgoutput.PgOutputDecoder;
import dev.sluice.postgres.pgoutput.PgOutputMessage.RowChange;
import java.nio.ByteBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * The whole per-change CPU cost from pgoutput bytes to message JSON: {@link PgOutputDecoder#decode}
 * of one frame, {@link ChangeAssembler#assemble} against the relation cache (with a new {@link
 * Position}, as the reader builds one per change), and {@link MessageEncoder#encode}. This is the
 * number to hold against the architecture's budget of about 10 µs per change.
 *
 * <p>Not included: reading the socket (pgjdbc), routing (a few ns per sink, see {@link
 * RouteBenchmark}), the queue hand-off between the reader and a sink's delivery thread, and the sink's
 * own work (an HTTP request per batch for the webhook sink). Those are what the end-to-end benchmark
 * measures.
 *
 * <ul>
 *   <li>{@code insert}: an Insert of the benchmark row.
 *   <li>{@code update}: an Update under the default replica identity (new row only, {@code "changes":
 *       {}}), the update the end-to-end workload produces.
 *   <li>{@code assembleInsert}: the middle step alone, {@code ChangeAssembler.assemble} of an already
 *       decoded Insert, so that {@code insert} splits into {@code DecodeBenchmark.insert}, this and
 *       {@code EncodeBenchmark.insert}.
 * </ul>
 *
 * <p>Run (after {@code ./mvnw -pl sluice-bench -am package -DskipTests}):
 *
 * <pre>java -cp "$(cat sluice-bench/target/classpath.txt):sluice-bench/target/classes" \
 *     org.openjdk.jmh.Main HotPathBenchmark -prof gc</pre>
 */
public class HotPathBenchmark extends Microbenchmark {
    ByteBuffer insertFrame;
    ByteBuffer updateFrame;
    RowChange decodedInsert;
    ChangeAssembler assembler;
    MessageContext context;
    MessageEncoder encoder;
    int commitIdx;

    @Setup
    public void setUp() {
        insertFrame = BenchRow.asReceived(BenchRow.insertFrame());
        updateFrame = BenchRow.asReceived(BenchRow.updateFrame());
        assembler = new ChangeAssembler(BenchRow.relationCache());
        context = BenchRow.context();
        encoder = new MessageEncoder(context);
        decodedInsert = (RowChange) PgOutputDecoder.decode(insertFrame);
    }

    @Benchmark
    public byte[] insert() {
        return toMessage(insertFrame);
    }

    @Benchmark
    public byte[] update() {
        return toMessage(updateFrame);
    }

    @Benchmark
    public Change assembleInsert() {
        int idx = commitIdx++ & 0xFFF;
        return assembler.assemble(
                decodedInsert, new Position(BenchRow.COMMIT_LSN, idx), BenchRow.COMMIT_TIMESTAMP, null);
    }

    private byte[] toMessage(ByteBuffer frame) {
        RowChange row = (RowChange) PgOutputDecoder.decode(frame);
        // commit_idx grows within a transaction; wrapping keeps the key's length steady
        int idx = commitIdx++ & 0xFFF;
        Change change =
                assembler.assemble(row, new Position(BenchRow.COMMIT_LSN, idx), BenchRow.COMMIT_TIMESTAMP, null);
        return encoder.encode(change);
    }
}
