package dev.sluice.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the drains one after another, each in its own child JVM (default) or in this one.
 *
 * <p>Child JVMs get the same options ({@code --drain-jvm-opts}) and this JVM's class path; their output
 * goes to {@code <out>/logs/drain-<system>.log}.
 */
final class DrainRunner {
    private final Path out;
    private final List<String> jvmOptions;
    private final boolean inProcess;
    private final String debeziumFormat;

    DrainRunner(Path out, List<String> jvmOptions, boolean inProcess, String debeziumFormat) {
        this.out = out;
        this.jvmOptions = List.copyOf(jvmOptions);
        this.inProcess = inProcess;
        this.debeziumFormat = debeziumFormat;
    }

    /** Long enough for a slow system on a small machine, short enough that a stuck one ends the run. */
    static Duration timeout(long changes) {
        return Duration.ofSeconds(60 + changes / 2_000);
    }

    DrainRun run(DrainSystem system, Backlog backlog) throws Exception {
        Duration timeout = timeout(backlog.changes());
        if (inProcess) {
            return Drainer.of(system, debeziumFormat).drain(backlog, timeout);
        }
        Path logs = Files.createDirectories(out.resolve("logs"));
        Path log = logs.resolve("drain-" + system.label() + ".log");
        Path result = logs.resolve("drain-" + system.label() + ".result");
        Files.deleteIfExists(result);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(DrainChild.class.getName());
        cmd.add(system.letter());
        cmd.add(backlog.host());
        cmd.add(Integer.toString(backlog.port()));
        cmd.add(backlog.database());
        cmd.add(backlog.publication());
        cmd.add(backlog.slot(system));
        cmd.add(Long.toString(backlog.changes()));
        cmd.add(Long.toString(timeout.toSeconds()));
        cmd.add(debeziumFormat);
        cmd.add(result.toString());
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            if (!p.waitFor(timeout.toSeconds() + 60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(
                        system.label() + " did not finish within " + timeout.toSeconds() + " s; see " + log);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            throw e;
        }
        if (p.exitValue() != 0 || !Files.exists(result)) {
            throw new IOException(system.label() + " drain failed (exit " + p.exitValue() + "); see " + log);
        }
        return DrainRun.parse(Files.readString(result));
    }
}
