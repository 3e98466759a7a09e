package dev.sluice.bench.jmh;

import dev.sluice.postgres.pgoutput.PgOutputDecoder;
import dev.sluice.postgres.pgoutput.PgOutputMessage;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

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
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DecodeBenchmark {
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
