package dev.sluice.functions;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.graalvm.polyglot.Context;
import org.graalvm.polyglot.Engine;
import org.graalvm.polyglot.EnvironmentAccess;
import org.graalvm.polyglot.PolyglotAccess;
import org.graalvm.polyglot.ResourceLimits;
import org.graalvm.polyglot.SandboxPolicy;
import org.graalvm.polyglot.Source;
import org.graalvm.polyglot.io.IOAccess;

/**
 * The GraalJS engine every code function shares, and the contexts made from it. Sharing one engine shares parsed
 * code and warm-up between contexts; this class is loaded only when the first code function is compiled, so a
 * server without functions never starts GraalJS (0.3 to 0.5 s and about 75 MB).
 *
 * <p>Sandbox: the engine and every context use {@link SandboxPolicy#CONSTRAINED} (GraalVM's policy for trusted but
 * possibly buggy code), which validates that the builder grants no host class lookup, IO, threads, native access,
 * processes, exit or environment, and leaves out the {@code Java}, {@code Polyglot} and {@code Packages} globals.
 * Host access and class lookup stay at the policy's defaults: setting either explicitly, even to
 * deny everything, brings back the {@code Java} and {@code java} globals. No host object is ever passed in; values
 * cross as strings. We also drop {@code load}, {@code print} and
 * {@code Graal}.
 *
 * <p>Limits: community GraalJS has no heap or CPU-time limit (those are Oracle GraalVM's {@code sandbox.*}); its
 * allocation options ({@code js.string-length-limit}, {@code js.max-typed-array-length}) are refused under
 * CONSTRAINED, so their defaults hold (strings up to 2^30 - 25 characters, typed arrays up to 2^31 - 9 elements). What
 * bounds a call is the statement limit here, the {@link Watchdog}'s wall clock, and the JVM: an allocation the heap
 * cannot hold fails that call with {@code OutOfMemoryError}, reported by GraalJS as resource exhaustion.
 */
final class Engines {
    /**
     * Statements one call may run. The statement count is cumulative per context, so every call resets it. 50
     * million is what the interpreter runs of the simplest statements in about a second on a small machine, the
     * same order as the 1 s wall-clock limit: no real function comes close, while a tight loop fails here on the
     * calling thread, deterministically, before the watchdog has to cancel it from outside.
     */
    static final long STATEMENT_LIMIT = 50_000_000;

    // One instance for every context: a shared engine takes only one statement-limit configuration.
    private static final ResourceLimits LIMITS =
            ResourceLimits.newBuilder().statementLimit(STATEMENT_LIMIT, null).build();

    private Engines() {}

    private static final class Shared {
        static final Engine ENGINE = Engine.newBuilder("js")
                .sandbox(SandboxPolicy.CONSTRAINED)
                .out(OutputStream.nullOutputStream())
                .err(OutputStream.nullOutputStream())
                // Temurin has no Graal compiler: the interpreter is expected, not worth a warning.
                .option("engine.WarnInterpreterOnly", "false")
                .option("js.load", "false")
                .option("js.print", "false")
                .option("js.graal-builtin", "false")
                .build();
        static final Source PRELUDE = loadPrelude();
    }

    /** A new context of the shared engine; the caller closes it. */
    static Context newContext() {
        return Context.newBuilder("js")
                .engine(Shared.ENGINE)
                .sandbox(SandboxPolicy.CONSTRAINED)
                .out(OutputStream.nullOutputStream())
                .err(OutputStream.nullOutputStream())
                .in(InputStream.nullInputStream())
                .allowIO(IOAccess.NONE)
                .allowCreateThread(false)
                .allowNativeAccess(false)
                .allowCreateProcess(false)
                .allowEnvironmentAccess(EnvironmentAccess.NONE)
                .allowPolyglotAccess(PolyglotAccess.NONE)
                .resourceLimits(LIMITS)
                .build();
    }

    /** The code every context runs before the user's: see {@code prelude.js}. */
    static Source prelude() {
        return Shared.PRELUDE;
    }

    private static Source loadPrelude() {
        try (InputStream in = Engines.class.getResourceAsStream("prelude.js")) {
            if (in == null) {
                throw new IllegalStateException("prelude.js is missing from the classpath");
            }
            return Source.newBuilder("js", new String(in.readAllBytes(), StandardCharsets.UTF_8), "sluice-prelude.js")
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
