package dev.sluice.bench.jmh;

import dev.sluice.postgres.pgoutput.PgOutputDecoder;
import dev.sluice.postgres.pgoutput.PgOutputMessage;
import java.nio.ByteBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * {@link PgOutputDecoder#decode} of one pgoutput frame of the benchmark table's row (seven text
 * columns, 284 bytes for an Insert): the first step of every change on the reader thread. The frame
 * sits behind a 25-byte XLogData header in a heap buffer, as the replication stream hands it over, and
 * the decoder reads it with absolute gets, so one buffer serves every invocation.
 *
 * <ul>
 *   <li>{@code insert}: an Insert ('N' tuple).
 *   <li>{@code update}: an Update under the default replica identity (new tuple only), the common case.
 *   <li>{@code updateFull}: an Update under REPLICA IDENTITY FULL (old and new tuple).
 * </ul>
 *
 * <p>Run (after {@code ./mvnw -pl sluice-bench -am package -DskipTests}):
 *
 * <pre>java -cp "$(cat sluice-bench/target/classpath.txt):sluice-bench/target/classes" \
 *     org.openjdk.jmh.Main DecodeBenchmark -prof gc</pre>
 */
public class DecodeBenchmark extends Microbenchmark {
    ByteBuffer insert;
    ByteBuffer update;
    ByteBuffer updateFull;

    @Setup
    public void setUp() {
        insert = BenchRow.asReceived(BenchRow.insertFrame());
        update = BenchRow.asReceived(BenchRow.updateFrame());
        updateFull = BenchRow.asReceived(BenchRow.updateFullFrame());
    }

    @Benchmark
    public PgOutputMessage insert() {
        return PgOutputDecoder.decode(insert);
    }

    @Benchmark
    public PgOutputMessage update() {
        return PgOutputDecoder.decode(update);
    }

    @Benchmark
    public PgOutputMessage updateFull() {
        return PgOutputDecoder.decode(updateFull);
    }
}
