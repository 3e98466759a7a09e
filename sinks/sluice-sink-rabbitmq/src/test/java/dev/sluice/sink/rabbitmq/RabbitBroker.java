package dev.sluice.sink.rabbitmq;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.sluice.testkit.FreePort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A real RabbitMQ broker (Debian's {@code rabbitmq-server}) as a child process, one per test JVM ({@link #shared()}):
 * a unique node name, free AMQP, distribution and epmd ports, and a temporary directory for its database, logs,
 * config and Erlang cookie ({@code HOME}), so that nothing of the machine's own RabbitMQ (if any) is used or touched.
 *
 * <p>Users and virtual hosts come from a definitions file loaded at boot: {@link #ADMIN} (administrator, all
 * permissions on {@code /}), {@link #USER} (write and read on {@code /}, nothing on {@link #OTHER_VHOST}). The
 * broker's {@code max_message_size} is {@link #MAX_MESSAGE_SIZE}. {@link #stop()} sends SIGTERM (RabbitMQ stops
 * cleanly on it) and {@link #restart()} starts it again on the same ports and data: durable exchanges and queues and
 * persistent messages survive. Closed at JVM exit, with the epmd it started.
 *
 * <p>When rabbitmq-server is not installed, {@link #shared()} skips the calling test with a notice; with {@code
 * CI=true} it fails instead (.ci/run installs it).
 */
final class RabbitBroker implements AutoCloseable {
    static final String ADMIN = "admin";
    static final String ADMIN_PASSWORD = "rabbit-admin-secret-5c1e";
    static final String USER = "sluice";
    static final String PASSWORD = "rabbit-conformance-secret-8b4d";
    static final String OTHER_VHOST = "other";
    static final int MAX_MESSAGE_SIZE = 1024 * 1024;

    private static final Path INSTALLED = Path.of("/usr/sbin/rabbitmq-server");
    /** The server script itself: /usr/sbin's wrapper switches to the rabbitmq user and its directories. */
    private static final Path SCRIPT = Path.of("/usr/lib/rabbitmq/bin/rabbitmq-server");

    private static final Path CTL = Path.of("/usr/lib/rabbitmq/bin/rabbitmqctl");

    private static RabbitBroker shared;

    private final int port = FreePort.find();
    private final int distPort = FreePort.find();
    private final int epmdPort = FreePort.find();
    private final String node = "sluice-" + UUID.randomUUID().toString().substring(0, 8) + "@localhost";
    private Path dir;
    private Process process;

    private RabbitBroker() {}

    /** The broker of this JVM, started on first use. */
    static synchronized RabbitBroker shared() throws IOException {
        boolean installed = Files.isExecutable(INSTALLED) && Files.isExecutable(SCRIPT);
        if (!installed) {
            String notice = INSTALLED + " is not installed; the RabbitMQ tests are skipped"
                    + " (apt-get install rabbitmq-server; .ci/run installs it)";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException("CI: " + notice.replace("are skipped", "cannot run"));
            }
            System.out.println("NOTICE: " + notice);
        }
        assumeTrue(installed, INSTALLED + " is not installed");
        if (shared == null) {
            RabbitBroker b = new RabbitBroker();
            b.dir = Files.createTempDirectory("sluice-rabbitmq-");
            b.writeConfig();
            b.launch();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    b.close();
                } catch (Exception ignored) {
                    // exiting anyway
                }
            }));
            shared = b;
        } else if (shared.process == null || !shared.process.isAlive()) {
            shared.launch(); // a test stopped it and failed before restarting
        }
        return shared;
    }

    int port() {
        return port;
    }

    /** A connection as {@link #ADMIN} on {@code /}, for declaring and reading back. */
    Connection admin() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setHost("127.0.0.1");
        f.setPort(port);
        f.setUsername(ADMIN);
        f.setPassword(ADMIN_PASSWORD);
        f.setAutomaticRecoveryEnabled(false);
        f.setConnectionTimeout(5000);
        return f.newConnection("test-admin");
    }

    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy(); // SIGTERM to the Erlang VM: RabbitMQ stops cleanly
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** Runs {@code rabbitmqctl} against this node; fails unless it exits with 0. */
    void ctl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(CTL.toString(), "-n", node));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("HOME", dir.toString()); // the broker's Erlang cookie
        pb.environment().put("ERL_EPMD_PORT", Integer.toString(epmdPort));
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("rabbitmqctl " + String.join(" ", args) + " failed: " + output);
        }
    }

    void restart() throws IOException {
        launch();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        stop();
        // epmd daemonised itself on our port: it is ours to stop.
        new ProcessBuilder("epmd", "-port", Integer.toString(epmdPort), "-kill")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start()
                .waitFor(10, TimeUnit.SECONDS);
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private void writeConfig() throws IOException {
        Files.writeString(dir.resolve("definitions.json"), """
                {"users": [
                   {"name": "%s", "password": "%s", "tags": "administrator"},
                   {"name": "%s", "password": "%s", "tags": ""}],
                 "vhosts": [{"name": "/"}, {"name": "%s"}],
                 "permissions": [
                   {"user": "%s", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
                   {"user": "%s", "vhost": "/", "configure": "", "write": ".*", "read": ".*"}]}
                """.formatted(
                        ADMIN, ADMIN_PASSWORD, USER, PASSWORD, OTHER_VHOST, ADMIN, USER));
        Files.writeString(
                dir.resolve("rabbitmq.conf"), """
                listeners.tcp.default = %d
                loopback_users = none
                max_message_size = %d
                load_definitions = %s
                log.file.level = warning
                """.formatted(port, MAX_MESSAGE_SIZE, dir.resolve("definitions.json")));
        Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
    }

    private void launch() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(SCRIPT.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("server.log").toFile()));
        Map<String, String> env = pb.environment();
        env.put("HOME", dir.toString()); // the Erlang cookie goes here, not in the user's home
        env.put("RABBITMQ_NODENAME", node);
        env.put("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
        env.put("RABBITMQ_NODE_PORT", Integer.toString(port));
        env.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
        env.put("ERL_EPMD_PORT", Integer.toString(epmdPort));
        env.put("RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString());
        env.put("RABBITMQ_LOG_BASE", dir.resolve("log").toString());
        env.put("RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq.conf").toString());
        env.put("RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString());
        env.put("RABBITMQ_PID_FILE", dir.resolve("rabbitmq.pid").toString());
        process = pb.start();
        Awaitility.await()
                .atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("rabbitmq-server exited; see " + dir.resolve("server.log"));
                    }
                    try (Connection c = admin()) {
                        return c.isOpen();
                    } catch (Exception notYet) {
                        return false;
                    }
                });
    }
}
