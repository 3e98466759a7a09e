package dev.sluice.functions;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.Column;
import dev.sluice.core.MessageContext;
import dev.sluice.core.MessageEncoder;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.ValueCodec;
import dev.sluice.core.sink.ConfigProblem;
import java.time.Instant;
import java.util.List;

/**
 * Compiles and validates functions: the entry point of this module.
 *
 * <p>Concurrency: thread-safe. The first compiled code function starts the shared GraalJS engine (0.3 to 0.5 s).
 */
public final class Functions {
    // Sequin validates code by running it once on a message like this one.
    private static final byte[] SYNTHETIC_MESSAGE = syntheticMessage();

    private Functions() {}

    /**
     * Compiles {@code spec}: checks {@link FunctionSpec#problems()}, then for JavaScript loads the code (parses it,
     * runs its top level, finds the function). Blocks for that (a first call's worth, up to the time limit).
     *
     * @return a {@link PathFunction}, {@link CodeFunction} or {@link EnrichmentFunction}; the caller closes it
     * @throws InvalidFunctionException with every problem of the spec, or the code's problem (a syntax error's line
     *     and column, a missing function definition) at field {@code code}
     */
    public static Compiled compile(FunctionSpec spec) throws InvalidFunctionException {
        return compile(spec, Pool.Limits.DEFAULT);
    }

    static Compiled compile(FunctionSpec spec, Pool.Limits limits) throws InvalidFunctionException {
        List<ConfigProblem> problems = spec.problems();
        if (!problems.isEmpty()) {
            throw new InvalidFunctionException(spec.name(), problems);
        }
        return switch (spec.type()) {
            case PATH -> new PathFunction(spec, spec.path());
            case ENRICHMENT -> new EnrichmentFunction(spec, spec.code());
            case TRANSFORM, FILTER, ROUTING -> {
                try {
                    yield CodeFunction.load(spec, limits);
                } catch (FunctionError e) {
                    throw new InvalidFunctionException(spec.name(), List.of(new ConfigProblem("code", e.detail())));
                }
            }
        };
    }

    /**
     * What is wrong with {@code spec}, as Sequin checks a function on save: the static checks, compiling, and one
     * run on a synthetic insert into {@code public.example} of {@code {"id":1,"name":"example"}}. That run's
     * runtime errors are not problems (the code may well expect other tables); compile errors are. Closes what it
     * compiled. Blocks for the compilation and the run.
     *
     * @return the problems, each at its field; empty when the function can be saved
     */
    public static List<ConfigProblem> validate(FunctionSpec spec) {
        try (Compiled f = compile(spec)) {
            if (f instanceof CodeFunction code) {
                try {
                    code.call(SYNTHETIC_MESSAGE);
                } catch (FunctionError e) {
                    if (e.kind() == FunctionError.Kind.COMPILE) {
                        return List.of(new ConfigProblem("code", e.detail()));
                    }
                }
            } else if (f instanceof PathFunction path) {
                path.apply(SYNTHETIC_MESSAGE);
            }
            return List.of();
        } catch (InvalidFunctionException e) {
            return e.problems();
        }
    }

    /** The synthetic message {@link #validate} runs code on. */
    static byte[] syntheticMessage() {
        ValueCodec number = (out, text, format) -> out.writeNumber(text);
        TableSchema table = new TableSchema(
                new TableId("public", "example"),
                List.of(new Column("id", "int8", number), new Column("name", "text", ValueCodec.STRING)),
                new int[] {0});
        Change insert = new Change(
                table,
                Action.INSERT,
                new String[] {"1", "example"},
                null,
                null,
                null,
                new Position(0x1000000L, 0),
                Instant.parse("2025-01-01T00:00:00Z"),
                null);
        MessageContext context = new MessageContext(
                "00000000-0000-0000-0000-000000000001",
                "example-sink",
                "{}",
                "00000000-0000-0000-0000-000000000002",
                "example-db",
                "{}",
                "example",
                "localhost",
                TimestampFormat.ISO8601);
        return MessageEncoder.encode(insert, context);
    }
}
