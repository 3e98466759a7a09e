package dev.sluice.sink.redis;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.testkit.FreePort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * A real {@code redis-server} (Debian's, from /usr/bin) on a free port with a temporary directory, append-only
 * persistence (so a restart keeps the streams) and an ACL user {@link #USER}; the {@code default} user has password
 * {@link #ADMIN_PASSWORD}. Stopped and killed by PID. When no redis-server is installed, {@link #start()} skips the
 * test with a notice (CI always has one).
 */
final class RedisServer implements AutoCloseable {
    static final String USER = "sluice";
    static final String PASSWORD = "redis-conformance-secret-51c7";
    static final String ADMIN_PASSWORD = "redis-admin-secret-0e94";
    private static final Path BINARY = Path.of("/usr/bin/redis-server");

    private final int port = FreePort.find();
    private Path dir;
    private Process process;

    void start() throws IOException {
        boolean installed = Files.isExecutable(BINARY);
        if (!installed) {
            System.out.println("NOTICE: " + BINARY + " is not installed; skipping the Redis tests"
                    + " (apt-get install redis-server; .ci/run installs it)");
        }
        assumeTrue(installed, BINARY + " is not installed");
        dir = Files.createTempDirectory("sluice-redis-");
        launch(true);
    }

    int port() {
        return port;
    }

    /** A connection as the default user, for reading back. */
    Jedis admin() {
        return new Jedis(
                new HostAndPort("127.0.0.1", port),
                DefaultJedisClientConfig.builder().password(ADMIN_PASSWORD).build());
    }

    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy(); // SIGTERM: Redis flushes its append-only file and exits
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    void restart() throws IOException {
        launch(true);
    }

    /**
     * Restarts with {@link #USER} disabled, so that nothing it sends runs until {@link #enableUser()}: for a test that
     * must watch the server (MONITOR) before the sink's commands reach it.
     */
    void restartWithUserDisabled() throws IOException {
        launch(false);
    }

    /** Enables {@link #USER} again after {@link #restartWithUserDisabled()}. */
    void enableUser() {
        try (Jedis j = admin()) {
            j.aclSetUser(USER, "on");
        }
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

    private void launch(boolean userOn) throws IOException {
        process = new ProcessBuilder(List.of(
                        BINARY.toString(),
                        "--port",
                        Integer.toString(port),
                        "--bind",
                        "127.0.0.1",
                        "--dir",
                        dir.toString(),
                        "--save",
                        "",
                        "--appendonly",
                        "yes",
                        "--appendfsync",
                        "always",
                        "--requirepass",
                        ADMIN_PASSWORD,
                        "--user",
                        USER,
                        userOn ? "on" : "off",
                        ">" + PASSWORD,
                        "~*",
                        "&*",
                        "+@all"))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            try (Jedis j = admin()) {
                return "PONG".equals(j.ping()) && j.info("persistence").contains("loading:0");
            }
        });
    }
}
