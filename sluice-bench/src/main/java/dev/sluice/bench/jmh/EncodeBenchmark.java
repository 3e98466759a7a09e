package dev.sluice.bench.jmh;

import dev.sluice.core.Change;
import dev.sluice.core.MessageContext;
import dev.sluice.core.MessageEncoder;
import dev.sluice.postgres.capture.ChangeAssembler;
import dev.sluice.postgres.pgoutput.PgOutputDecoder;
import dev.sluice.postgres.pgoutput.PgOutputMessage.RowChange;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;

/**
 * {@link MessageEncoder#encode(Change, MessageContext)}: one change as message JSON bytes, which the
 * sink pipeline's delivery thread does for every message of a batch. The changes are assembled once
 * from the benchmark row's frames.
 *
 * <ul>
 *   <li>{@code insert}: an insert ({@code "changes": null}), about 1 KB of JSON.
 *   <li>{@code update}: an update under REPLICA IDENTITY FULL whose {@code "changes"} holds the three
 *       columns that differ (string_field, numeric_field, updated_at).
 *   <li>{@code insertReusedGenerator}: the insert written with {@link MessageEncoder#write} into a
 *       reused generator and buffer; the difference to {@code insert} is what creating the generator,
 *       its buffers and the result array costs per message.
 *   <li>{@code idempotencyKey}: {@code Position.idempotencyKey()}, which {@code encode} calls for the
 *       metadata and {@code SinkPipeline} calls again for the {@code SinkMessage}.
 * </ul>
 *
 * <p>Run (after {@code ./mvnw -pl sluice-bench -am package -DskipTests}):
 *
 * <pre>java -cp "$(cat sluice-bench/target/classpath.txt):sluice-bench/target/classes" \
 *     org.openjdk.jmh.Main EncodeBenchmark -prof gc</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EncodeBenchmark {
    private static final JsonFactory JSON =
            JsonFactory.builder().rootValueSeparator((String) null).build();

    MessageContext context;
    Change insert;
    Change update;
    ByteArrayOutputStream out;
    JsonGenerator generator;

    @Setup
    public void setUp() {
        context = BenchRow.context();
        ChangeAssembler assembler = new ChangeAssembler(BenchRow.relationCache());
        insert = assemble(assembler, BenchRow.insertFrame());
        update = assemble(assembler, BenchRow.updateFullFrame());
        out = new ByteArrayOutputStream(2048);
        generator = JSON.createGenerator(ObjectWriteContext.empty(), out);
    }

    private static Change assemble(ChangeAssembler assembler, byte[] frame) {
        RowChange row = (RowChange) PgOutputDecoder.decode(ByteBuffer.wrap(frame));
        return assembler.assemble(row, BenchRow.POSITION, BenchRow.COMMIT_TIMESTAMP, null);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        generator.close();
    }

    @Benchmark
    public byte[] insert() {
        return MessageEncoder.encode(insert, context);
    }

    @Benchmark
    public byte[] update() {
        return MessageEncoder.encode(update, context);
    }

    @Benchmark
    public int insertReusedGenerator() {
        out.reset();
        MessageEncoder.write(generator, insert, context, null);
        generator.flush();
        return out.size();
    }

    @Benchmark
    public String idempotencyKey() {
        return insert.position().idempotencyKey();
    }
}
