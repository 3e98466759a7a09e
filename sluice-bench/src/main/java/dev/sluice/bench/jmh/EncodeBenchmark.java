package dev.sluice.bench.jmh;

import dev.sluice.core.Change;
import dev.sluice.core.ColumnSelection;
import dev.sluice.core.MessageContext;
import dev.sluice.core.MessageEncoder;
import dev.sluice.postgres.capture.ChangeAssembler;
import dev.sluice.postgres.pgoutput.PgOutputDecoder;
import dev.sluice.postgres.pgoutput.PgOutputMessage.RowChange;
import java.nio.ByteBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * {@link MessageEncoder#encode(Change)}: one change as message JSON bytes, which the sink pipeline's
 * delivery thread does for every message of a batch with the sink's own encoder. The changes are
 * assembled once from the benchmark row's frames.
 *
 * <ul>
 *   <li>{@code insert}: an insert ({@code "changes": null}), about 1 KB of JSON, with a reused encoder.
 *   <li>{@code update}: an update under REPLICA IDENTITY FULL whose {@code "changes"} holds the three
 *       columns that differ (string_field, numeric_field, updated_at).
 *   <li>{@code insertOneOff}: {@link MessageEncoder#encode(Change, MessageContext)}, which builds an
 *       encoder per call: the cost the per-sink encoder saves.
 *   <li>{@code insertSelected}: {@code insert} by a sink whose column selection drops two of the seven columns
 *       ({@code exclude_columns}); the mask is made once per table schema, each column costs a lookup in it.
 *   <li>{@code idempotencyKey}: {@code Position.idempotencyKey()}, computed once per delivered message.
 * </ul>
 *
 * <p>Run (after {@code ./mvnw -pl sluice-bench -am package -DskipTests}):
 *
 * <pre>java -cp "$(cat sluice-bench/target/classpath.txt):sluice-bench/target/classes" \
 *     org.openjdk.jmh.Main EncodeBenchmark -prof gc</pre>
 */
public class EncodeBenchmark extends Microbenchmark {
    MessageContext context;
    Change insert;
    Change update;
    MessageEncoder encoder;
    MessageEncoder selecting;

    @Setup
    public void setUp() {
        context = BenchRow.context();
        ChangeAssembler assembler = new ChangeAssembler(BenchRow.relationCache());
        insert = assemble(assembler, BenchRow.insertFrame());
        update = assemble(assembler, BenchRow.updateFullFrame());
        encoder = new MessageEncoder(context);
        ColumnSelection dropTwo = new ColumnSelection(java.util.Map.of(
                insert.table().id(), new ColumnSelection.Rule(false, java.util.Set.of("json_field", "updated_at"))));
        MessageContext c = context;
        selecting = new MessageEncoder(new MessageContext(
                c.consumerId(),
                c.consumerName(),
                c.consumerAnnotationsJson(),
                c.databaseId(),
                c.databaseName(),
                c.databaseAnnotationsJson(),
                c.databaseDbName(),
                c.databaseHostname(),
                c.timestampFormat(),
                dropTwo));
    }

    private static Change assemble(ChangeAssembler assembler, byte[] frame) {
        RowChange row = (RowChange) PgOutputDecoder.decode(ByteBuffer.wrap(frame));
        return assembler.assemble(row, BenchRow.POSITION, BenchRow.COMMIT_TIMESTAMP, null);
    }

    /** What a sink's delivery thread does: one encoder per sink, reused for every message. */
    @Benchmark
    public byte[] insert() {
        return encoder.encode(insert);
    }

    /** An insert with two columns dropped by the sink's column selection. */
    @Benchmark
    public byte[] insertSelected() {
        return selecting.encode(insert);
    }

    @Benchmark
    public byte[] update() {
        return encoder.encode(update);
    }

    /** The convenience entry point, which builds an encoder per call (tests, one-off messages). */
    @Benchmark
    public byte[] insertOneOff() {
        return MessageEncoder.encode(insert, context);
    }

    @Benchmark
    public String idempotencyKey() {
        return insert.position().idempotencyKey();
    }
}
