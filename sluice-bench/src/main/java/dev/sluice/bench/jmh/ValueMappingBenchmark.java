package dev.sluice.bench.jmh;

import dev.sluice.core.JsonWriter;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.ValueCodec;
import dev.sluice.postgres.types.TypeRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * Value mapping: the codecs {@link TypeRegistry#codecFor} returns for the benchmark table's built-in
 * OIDs, writing Postgres text output as JSON into one reused {@link JsonWriter}. This isolates the codecs
 * from the message envelope (see {@link
 * EncodeBenchmark} for those).
 *
 * <ul>
 *   <li>{@code row}: the seven values of one row as a JSON object with their column names, the
 *       {@code "record"} part of a message.
 *   <li>{@code int4}, {@code text}, {@code numeric}, {@code timestamptz}, {@code jsonb}: one value,
 *       written as a root-level JSON value. {@code timestamptzUnixMicros} is {@code timestamptz} with
 *       the {@code unix_microsecond} timestamp format.
 * </ul>
 *
 * <p>Every invocation empties the writer and writes; each method returns the number of bytes written.
 *
 * <p>Run (after {@code ./mvnw -pl sluice-bench -am package -DskipTests}):
 *
 * <pre>java -cp "$(cat sluice-bench/target/classpath.txt):sluice-bench/target/classes" \
 *     org.openjdk.jmh.Main ValueMappingBenchmark -prof gc</pre>
 */
public class ValueMappingBenchmark extends Microbenchmark {
    JsonWriter out;
    ValueCodec[] codecs;
    String[] columns;
    String[] row;

    @Setup
    public void setUp() {
        TypeRegistry types = BenchRow.builtinTypes();
        codecs = new ValueCodec[BenchRow.TYPE_OIDS.length];
        for (int i = 0; i < codecs.length; i++) {
            codecs[i] = types.codecFor(BenchRow.TYPE_OIDS[i]);
        }
        columns = BenchRow.COLUMNS.clone();
        row = BenchRow.ROW.clone();
        out = new JsonWriter();
    }

    @Benchmark
    public int row() {
        out.reset();
        JsonWriter g = out;
        g.writeStartObject();
        for (int i = 0; i < codecs.length; i++) {
            g.writeName(columns[i]);
            codecs[i].write(g, row[i], TimestampFormat.ISO8601);
        }
        g.writeEndObject();
        return out.size();
    }

    @Benchmark
    public int int4() {
        return writeOne(0, TimestampFormat.ISO8601);
    }

    @Benchmark
    public int text() {
        return writeOne(1, TimestampFormat.ISO8601);
    }

    @Benchmark
    public int numeric() {
        return writeOne(2, TimestampFormat.ISO8601);
    }

    @Benchmark
    public int timestamptz() {
        return writeOne(3, TimestampFormat.ISO8601);
    }

    @Benchmark
    public int timestamptzUnixMicros() {
        return writeOne(3, TimestampFormat.UNIX_MICROSECOND);
    }

    @Benchmark
    public int jsonb() {
        return writeOne(4, TimestampFormat.ISO8601);
    }

    private int writeOne(int column, TimestampFormat format) {
        out.reset();
        codecs[column].write(out, row[column], format);
        return out.size();
    }

    /** What the last invocation wrote. */
    String written() {
        return out.toString();
    }
}
