package dev.sluice.bench.jmh;

import dev.sluice.bench.e2e.BenchFunctionsCode;
import dev.sluice.core.Change;
import dev.sluice.core.MessageEncoder;
import dev.sluice.functions.CodeChain;
import dev.sluice.functions.CodeFunction;
import dev.sluice.functions.FunctionError;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.functions.FunctionType;
import dev.sluice.functions.Functions;
import dev.sluice.functions.InvalidFunctionException;
import dev.sluice.functions.PathFunction;
import dev.sluice.postgres.capture.ChangeAssembler;
import dev.sluice.postgres.pgoutput.PgOutputDecoder;
import dev.sluice.postgres.pgoutput.PgOutputMessage.RowChange;
import java.nio.ByteBuffer;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One function call on one message, as a sink's delivery thread makes it: the benchmark row's insert encoded as the
 * message JSON (about 1 KB with its metadata), then
 *
 * <ul>
 *   <li>{@code path}: a path function ({@code record.string_field}), native;
 *   <li>{@code pathRecord}: the path {@code record}, which copies the whole record out;
 *   <li>{@code filter}, {@code transform}, {@code route}: the JavaScript functions of the drains with functions
 *       (GraalJS, interpreted on a stock JDK): the message parsed in JavaScript, the function called, the result
 *       written back as JSON;
 *   <li>{@code filterAndTransform}: the filter and the transform as a sink runs them, one {@link CodeChain} call.
 * </ul>
 *
 * <p>Run: {@code sluice-bench/run jmh FunctionBenchmark}
 */
public class FunctionBenchmark extends Microbenchmark {
    byte[] message;
    PathFunction path;
    PathFunction pathRecord;
    CodeFunction filter;
    CodeFunction transform;
    CodeFunction route;
    CodeChain filterAndTransform;

    @Setup
    public void setUp() throws InvalidFunctionException {
        ChangeAssembler assembler = new ChangeAssembler(BenchRow.relationCache());
        RowChange row = (RowChange) PgOutputDecoder.decode(ByteBuffer.wrap(BenchRow.insertFrame()));
        Change insert = assembler.assemble(row, BenchRow.POSITION, BenchRow.COMMIT_TIMESTAMP, null);
        message = new MessageEncoder(BenchRow.context()).encode(insert);
        path = (PathFunction) compile(FunctionType.PATH, null, "record.string_field");
        pathRecord = (PathFunction) compile(FunctionType.PATH, null, "record");
        filter = (CodeFunction) compile(FunctionType.FILTER, BenchFunctionsCode.FILTER, null);
        transform = (CodeFunction) compile(FunctionType.TRANSFORM, BenchFunctionsCode.TRANSFORM, null);
        route = (CodeFunction) compile(FunctionType.ROUTING, BenchFunctionsCode.ROUTE, null);
        filterAndTransform = CodeChain.load(filter.spec(), null, transform.spec());
    }

    private static dev.sluice.functions.Compiled compile(FunctionType type, @Nullable String code, @Nullable String p)
            throws InvalidFunctionException {
        return Functions.compile(new FunctionSpec(
                "bench-" + type.wire(), null, type, code, p, type == FunctionType.ROUTING ? "kafka" : null));
    }

    @TearDown
    public void tearDown() {
        path.close();
        pathRecord.close();
        filter.close();
        transform.close();
        route.close();
        filterAndTransform.close();
    }

    @Benchmark
    public byte[] path() {
        return path.apply(message);
    }

    @Benchmark
    public byte[] pathRecord() {
        return pathRecord.apply(message);
    }

    @Benchmark
    public boolean filter() throws FunctionError {
        return filter.test(message);
    }

    @Benchmark
    public byte[] transform() throws FunctionError {
        return transform.call(message);
    }

    @Benchmark
    public byte[] route() throws FunctionError {
        return route.call(message);
    }

    @Benchmark
    public CodeChain.Result filterAndTransform() throws FunctionError {
        return filterAndTransform.apply(message);
    }
}
