package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.WebhookReceiver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The packaged {@code sluice} command as a user runs it: exit codes, messages, the embedded store. */
class CliIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path home;

    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    private WebhookReceiver receiver;

    @BeforeEach
    void setUp() {
        receiver = sluice.receiver();
    }

    private record Result(int exitCode, String stdout, String stderr) {}

    /** Runs {@code java -jar target/sluice.jar args...} to completion, with no SLUICE_* variables set. */
    private Result run(String... args) throws Exception {
        Path jar = Path.of("target", "sluice.jar").toAbsolutePath();
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx128m", "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(home, "stdout", ".txt");
        Path err = Files.createTempFile(home, "stderr", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().keySet().removeIf(k -> k.startsWith("SLUICE_"));
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("sluice " + String.join(" ", args) + " did not exit within 60 s");
        }
        return new Result(
                p.exitValue(),
                Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    private static void assertNoStackTrace(String output) {
        assertThat(output)
                .doesNotContain("\tat ")
                .doesNotContain("Exception in thread")
                .doesNotContainPattern("\\w+Exception:");
    }

    @Test
    void invalidConfigExitsWithCode2AndPointsAtEveryProblem() throws Exception {
        Path cfg = home.resolve("sluice.yaml");
        Files.writeString(cfg, """
                databases:
                  - name: app
                    hostname: localhost
                    database: app
                    colour: blue
                    port: many
                """);
        Result r = run(
                "start",
                "--config",
                cfg.toString(),
                "--home",
                home.resolve("h").toString(),
                "--port",
                String.valueOf(FreePort.find()));

        assertThat(r.exitCode()).as("stderr: %s", r.stderr()).isEqualTo(2);
        assertThat(r.stderr())
                .contains("sluice.yaml:5:5: databases[0].colour: unknown key")
                .contains("sluice.yaml:6:11: databases[0].port: expected an integer, got 'many'");
        assertNoStackTrace(r.stderr());
        assertNoStackTrace(r.stdout());
        // Rejected before anything was started or written.
        assertThat(home.resolve("h").resolve("metadata-pg")).doesNotExist();
    }

    @Test
    void versionPrintsTheVersion() throws Exception {
        Result r = run("version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout().strip()).matches("sluice \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
        assertThat(run("--version").stdout().strip()).isEqualTo(r.stdout().strip());
    }

    @Test
    void helpListsTheCommands() throws Exception {
        Result r = run("--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout())
                .containsPattern("(?m)^\\s+start\\s+Run the Sluice server")
                .containsPattern("(?m)^\\s+demo\\s+")
                .containsPattern("(?m)^\\s+config\\s+Plan, apply and export")
                .containsPattern("(?m)^\\s+version\\s+Print the version");
    }

    @Test
    void embeddedStoreSurvivesSigkillAndLeavesNoPostgresBehind() throws Exception {
        String db = sluice.database("cli", "CREATE TABLE items (id int PRIMARY KEY, name text)");
        String password = "plain-text-Pa55word";
        // The shared test server trusts every login, so any password works.
        String yaml = sluice.yaml(db, "")
                .replace("    username: postgres\n", "    username: postgres\n    password: " + password + "\n");
        assertThat(yaml).contains("password: " + password);
        Path cfg = sluice.writeConfig(yaml);
        Path sluiceHome = home.resolve("home");
        String marker = sluiceHome.toString();
        try {
            try (ServerProcess first = ServerProcess.start(sluiceHome, cfg, Map.of())) {
                first.awaitHealthy(WAIT);
                PG.execute(db, "INSERT INTO items VALUES (1, 'before kill')");
                receiver.awaitMessages(1, WAIT);
                first.kill();
            }
            // SIGKILL left the embedded metadata Postgres running: nothing stops it but the next start.
            assertThat(postgresProcessesUnder(marker))
                    .as("orphaned embedded Postgres")
                    .isNotEmpty();
            PG.execute(db, "INSERT INTO items VALUES (2, 'while down')");

            try (ServerProcess second = ServerProcess.start(sluiceHome, cfg, Map.of())) {
                second.awaitHealthy(WAIT);
                assertThat(second.output()).contains("left running by a previous Sluice");
                PG.execute(db, "INSERT INTO items VALUES (3, 'after restart')");
                awaitIds(List.of(1, 2, 3));

                Path key = sluiceHome.resolve("secret.key");
                assertThat(key).isRegularFile();
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
                        .isEqualTo("rw-------");
                String sealed = storedPassword(sluiceHome);
                assertThat(sealed).isNotBlank().isNotEqualTo(password).doesNotContain(password);
                assertThat(second.output()).doesNotContain(password);

                assertThat(second.stop()).isIn(0, 143);
                assertThat(second.output()).contains("Sluice stopped");
                assertNoStackTrace(second.output());
            }
            await("no Postgres process left after SIGTERM")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> postgresProcessesUnder(marker).isEmpty());
        } finally {
            postgresProcessesUnder(marker).forEach(ProcessHandle::destroy);
        }
    }

    /** Live processes whose command line mentions {@code path} (the embedded Postgres' data directory). */
    private static List<ProcessHandle> postgresProcessesUnder(String path) {
        return ProcessHandle.allProcesses()
                .filter(ProcessHandle::isAlive)
                .filter(ph -> ph.pid() != ProcessHandle.current().pid())
                .filter(ph -> ph.info().commandLine().orElse("").contains(path))
                .filter(ph -> ph.info().command().orElse("").contains("postgres"))
                .toList();
    }

    private void awaitIds(List<Integer> expected) {
        receiver.awaitAccepted(got -> ids(got).containsAll(expected), WAIT, "rows " + expected);
        assertThat(ids(receiver.acceptedMessages())).containsExactlyElementsOf(expected);
        for (JsonNode m : receiver.acceptedMessages()) {
            assertThat(m.get("action").asString()).isEqualTo("insert");
        }
    }

    private static List<Integer> ids(List<JsonNode> messages) {
        return messages.stream()
                .map(m -> m.get("record").get("id").asInt())
                .distinct()
                .toList();
    }

    /** The sealed password column, read from the embedded metadata Postgres of {@code sluiceHome}. */
    private static String storedPassword(Path sluiceHome) throws Exception {
        // postmaster.pid: pid, data directory, start time, port, ...
        List<String> pid = Files.readAllLines(sluiceHome.resolve("metadata-pg").resolve("postmaster.pid"));
        int port = Integer.parseInt(pid.get(3).strip());
        try (Connection c =
                        DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/sluice?user=postgres");
                ResultSet rs = c.createStatement()
                        .executeQuery("SELECT sealed_password, spec::text FROM sluice.postgres_databases")) {
            assertThat(rs.next()).isTrue();
            String sealed = rs.getString(1);
            assertThat(rs.getString(2)).doesNotContain("password");
            return sealed;
        }
    }
}
