package dev.sluice.server.runtime;

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
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.TerminalFailureException;

/** The packaged server ({@code target/sluice.jar}) as a child JVM, so tests can SIGKILL it. */
final class ServerProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private ServerProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    static ServerProcess start(Path home, Path config, Map<String, String> env, String... extraArgs)
            throws IOException {
        int port = FreePort.find();
        Path jar = Path.of("target", "sluice.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: run the tests through 'verify', after 'package'");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(
                java,
                "-Xmx256m",
                "-jar",
                jar.toString(),
                "start",
                "--port",
                String.valueOf(port),
                "--home",
                home.toString()));
        if (config != null) {
            cmd.add("--config");
            cmd.add(config.toString());
        }
        cmd.addAll(List.of(extraArgs));
        Path log = Files.createTempFile("sluice-server", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
        pb.environment().putAll(env);
        return new ServerProcess(pb.start(), port, log);
    }

    /** Waits until {@code /health} answers 200 (every database streaming); fails at once if the process exits. */
    ServerProcess awaitHealthy(Duration timeout) throws Exception {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        try {
            // Each poll has its own deadline: one request caught by a server still starting must not hang the wait.
            Awaitility.await("the server is healthy")
                    .atMost(timeout)
                    .pollInterval(Duration.ofMillis(100))
                    .failFast("the server exited", () -> !process.isAlive())
                    .ignoreExceptionsInstanceOf(IOException.class) // not listening yet
                    .until(() -> http.send(
                                            HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health"))
                                                    .timeout(Duration.ofSeconds(2))
                                                    .build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .statusCode()
                            == 200);
        } catch (ConditionTimeoutException | TerminalFailureException e) {
            throw new AssertionError(e.getMessage() + ":\n" + output(), e);
        }
        return this;
    }

    String health() throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    String output() throws IOException {
        return Files.readString(log);
    }

    int port() {
        return port;
    }

    Process process() {
        return process;
    }

    /** SIGKILL: no shutdown hook, no final acknowledgement. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM: the graceful path. Returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("server did not stop within 30 s of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
