package dev.sluice.sink.nats;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.testkit.FreePort;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A real {@code nats-server} (Debian's, found on the PATH or in /usr/sbin) on a free port with a temporary directory:
 * JetStream with file storage there (so a restart keeps the streams), {@code max_payload} {@value #MAX_PAYLOAD}, and
 * users: {@link #USER} (password), {@link #LIMITED_USER} (may publish to {@code allowed.>} and use JetStream's API
 * only), {@code nojs} (may publish to {@code allowed.>} only) and an nkey user ({@link #nkeySeed()}). Stopped by PID with SIGTERM, which nats-server takes as a clean shutdown.
 *
 * <p>When no nats-server is installed, {@link #start()} skips the test with a notice, except with {@code CI=true},
 * where it fails: CI installs it.
 */
final class NatsServer implements AutoCloseable {
    static final String USER = "sluice";
    static final String PASSWORD = "nats-conformance-secret-3f8a";
    static final String LIMITED_USER = "limited";
    static final String LIMITED_PASSWORD = "nats-limited-secret-91d0";
    /** User {@code nojs} may publish to {@code allowed.>} only: not to JetStream's API. */
    static final String NO_JETSTREAM_PASSWORD = "nats-nojs-secret-27bb";

    static final int MAX_PAYLOAD = 64 * 1024;

    private final int port = FreePort.find();
    private final NKey nkeyUser;
    private final String extraConfig;
    private Path dir;
    private Process process;

    NatsServer() {
        this("");
    }

    /** With {@code extraConfig} added to the configuration file (a {@code tls} block, say). */
    NatsServer(String extraConfig) {
        this.extraConfig = extraConfig;
        try {
            nkeyUser = NKey.createUser(null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The nats-server binary on the PATH or in /usr/sbin; null when neither has one. */
    static Path binary() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(d, "nats-server");
            if (!d.isEmpty() && Files.isExecutable(p)) {
                return p;
            }
        }
        Path sbin = Path.of("/usr/sbin/nats-server");
        return Files.isExecutable(sbin) ? sbin : null;
    }

    /** Skips (or, with {@code CI=true}, fails) the calling test when nats-server is not installed. */
    static Path requireBinary() {
        Path binary = binary();
        if (binary == null) {
            String why = "nats-server is not installed (apt-get install nats-server; .ci/run installs it)";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("CI: " + why);
            }
            System.out.println("NOTICE: " + why + "; skipping the NATS tests");
            assumeTrue(false, why);
        }
        return binary;
    }

    void start() throws IOException {
        Path binary = requireBinary();
        dir = Files.createTempDirectory("sluice-nats-");
        Files.writeString(dir.resolve("nats.conf"), config());
        launch(binary);
    }

    int port() {
        return port;
    }

    String nkeySeed() {
        return new String(seedChars());
    }

    /** A connection as {@link #USER}, for making streams and reading back. */
    Connection client() throws IOException, InterruptedException {
        return Nats.connect(new Options.Builder()
                .server((extraConfig.contains("tls {") ? "opentls" : "nats") + "://127.0.0.1:" + port)
                .userInfo(USER, PASSWORD)
                .connectionTimeout(Duration.ofSeconds(5))
                .errorListener(new io.nats.client.ErrorListener() {})
                .build());
    }

    /** Deletes every stream, then makes {@code name} capturing {@code subjects}, stored in files. */
    void onlyStream(String name, String... subjects) throws Exception {
        try (Connection c = client()) {
            JetStreamManagement jsm = c.jetStreamManagement();
            for (String s : jsm.getStreamNames()) {
                jsm.deleteStream(s);
            }
            jsm.addStream(StreamConfiguration.builder()
                    .name(name)
                    .subjects(subjects)
                    .storageType(StorageType.File)
                    .build());
        } catch (JetStreamApiException e) {
            throw new IllegalStateException(e);
        }
    }

    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy(); // SIGTERM: nats-server shuts down cleanly, JetStream files flushed
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    void restart() throws IOException {
        launch(requireBinary());
    }

    @Override
    public void close() throws Exception {
        stop();
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private char[] seedChars() {
        try {
            return nkeyUser.getSeed();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private String config() {
        String nkey;
        try {
            nkey = new String(nkeyUser.getPublicKey());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return """
                listen: "127.0.0.1:%d"
                max_payload: %d
                jetstream {
                  store_dir: "%s"
                }
                authorization {
                  users = [
                    {user: "%s", password: "%s"}
                    {user: "%s", password: "%s", permissions: {
                      publish: ["allowed.>", "$JS.API.>"], subscribe: ["_INBOX.>"]}}
                    {user: "nojs", password: "%s", permissions: {publish: ["allowed.>"], subscribe: ["_INBOX.>"]}}
                    {nkey: "%s"}
                  ]
                }
                %s
                """.formatted(
                        port,
                        MAX_PAYLOAD,
                        dir.resolve("js"),
                        USER,
                        PASSWORD,
                        LIMITED_USER,
                        LIMITED_PASSWORD,
                        NO_JETSTREAM_PASSWORD,
                        nkey,
                        extraConfig);
    }

    private void launch(Path binary) throws IOException {
        process = new ProcessBuilder(List.of(
                        binary.toString(), "-c", dir.resolve("nats.conf").toString()))
                .redirectErrorStream(true)
                .redirectOutput(
                        ProcessBuilder.Redirect.appendTo(dir.resolve("nats.log").toFile()))
                .start();
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .ignoreExceptions()
                .until(() -> {
                    try (Connection c = client()) {
                        return c.jetStreamManagement().getAccountStatistics() != null;
                    }
                });
    }
}
