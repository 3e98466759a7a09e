package dev.sluice.bench.e2e;

import dev.sluice.testkit.FreePort;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The packaged Sluice server ({@code sluice-server/target/sluice.jar}) running as a child JVM. */
final class LiveServer implements AutoCloseable {
    private static final List<Path> JAR_CANDIDATES =
            List.of(Path.of("sluice-server/target/sluice.jar"), Path.of("../sluice-server/target/sluice.jar"));

    private final Process process;
    private final int port;
    private final Path log;

    private LiveServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** The jar, looked up from the repository root or a module directory. */
    static Path locateJar() {
        // To compare builds side by side in one session: -Dsluice.bench.serverJar=/path/to/sluice.jar
        String override = System.getProperty("sluice.bench.serverJar", "");
        if (!override.isBlank()) {
            return Path.of(override).toAbsolutePath().normalize();
        }
        for (Path p : JAR_CANDIDATES) {
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("sluice-server/target/sluice.jar not found (looked in "
                + Path.of("").toAbsolutePath() + " and its parent): run ./mvnw package first");
    }

    /**
     * Starts {@code java -Xmx512m -jar sluice.jar start} with {@code config}, its home under {@code workDir}
     * and its metadata in the Postgres at {@code metadataUrl}; the output goes to {@code workDir/sluice.log},
     * the GC log to {@code workDir/gc.log}.
     */
    static LiveServer start(Path config, Path workDir, String metadataUrl) throws IOException {
        return start(locateJar(), config, workDir, metadataUrl);
    }

    /** As {@link #start(Path, Path, String)}, running {@code jar} (another build of the server). */
    static LiveServer start(Path jar, Path config, Path workDir, String metadataUrl) throws IOException {
        int port = FreePort.find();
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = workDir.resolve("sluice.log");
        List<String> command = new ArrayList<>(List.of(
                java,
                "-Xmx512m",
                // GC pauses are the usual suspect for a latency spike: keep them next to the output
                "-Xlog:gc:file=" + workDir.resolve("gc.log")));
        command.addAll(extraJvmOptions(workDir));
        command.addAll(List.of(
                "-jar",
                jar.toString(),
                "start",
                "--config",
                config.toString(),
                "--port",
                Integer.toString(port),
                "--home",
                workDir.resolve("home").toString()));
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("SLUICE_"));
        env.put("SLUICE_DATABASE_URL", metadataUrl);
        return new LiveServer(pb.start(), port, log);
    }

    /**
     * Extra JVM options for the server from the {@code sluice.bench.serverJvmOpts} system property (space-separated,
     * off by default), e.g. {@code -XX:StartFlightRecording=filename=%w/sluice.jfr,settings=profile} to profile the
     * live path; {@code %w} becomes the run's directory.
     */
    private static List<String> extraJvmOptions(Path workDir) {
        String opts = System.getProperty("sluice.bench.serverJvmOpts", "").trim();
        if (opts.isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String opt : opts.split("\\s+")) {
            out.add(opt.replace("%w", workDir.toString()));
        }
        return out;
    }

    long pid() {
        return process.pid();
    }

    /** The HTTP port of its API. */
    int port() {
        return port;
    }

    /** Waits until {@code GET /health} answers 200: the slot exists and the database is streaming. */
    void awaitHealthy(Duration timeout) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .timeout(Duration.ofSeconds(2))
                    .build();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(
                            "sluice exited with " + process.exitValue() + " before it was healthy:\n" + tail());
                }
                try {
                    if (http.send(request, HttpResponse.BodyHandlers.discarding())
                                    .statusCode()
                            == 200) {
                        return;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("sluice not healthy within " + timeout + ":\n" + tail());
    }

    /** The last lines of the server's output, for error messages. */
    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM, the graceful stop; SIGKILL after 30 s. */
    @Override
    public void close() throws InterruptedException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
