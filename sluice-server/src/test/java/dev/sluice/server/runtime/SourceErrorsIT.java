package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static dev.sluice.server.fixture.ServerFixture.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.fixture.Logs;
import dev.sluice.server.fixture.Messages;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.server.fixture.SluiceYaml;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.TestPostgres;
import dev.sluice.testkit.WebhookReceiver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bad source setups against real Postgres: the server keeps running, says what is wrong and how to fix
 * it (in {@code status()} and {@code /health}), and recovers by itself once the operator fixes it.
 */
class SourceErrorsIT {
    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    private WebhookReceiver receiver;
    private Logs logs;

    @BeforeEach
    void setUp() {
        receiver = sluice.receiver();
        logs = sluice.closeAfter(Logs.capture());
    }

    /** Attempts to reach the source that failed so far, as logged: one line per attempt. */
    private long failedConnects() {
        return logs.count(m -> m.contains("cannot reach Postgres") && m.contains("retrying"));
    }

    /** The settings of the one source database in the yaml. */
    private record Source(
            int port,
            String database,
            String username,
            @Nullable String password,
            String slot,
            boolean createSlot,
            boolean createPublication) {
        String publication() {
            return slot + "_pub";
        }
    }

    private String yaml(Source s, String sinkExtra) {
        String connection = """
                hostname: localhost
                port: %d
                database: %s
                username: %s
                """.formatted(s.port(), s.database(), s.username())
                + (s.password() == null ? "" : "password: \"" + s.password() + "\"\n");
        return SluiceYaml.webhook(
                connection, s.slot(), s.createSlot(), s.createPublication(), receiver.url(), "", sinkExtra);
    }

    private void start(Source s) {
        sluice.start(yaml(s, ""));
    }

    /** A fresh database on the shared server with one keyed table; its slot is dropped after the test. */
    private Source sharedSource(boolean createSlot, boolean createPublication) {
        String db = sluice.database("src", "CREATE TABLE items (id int PRIMARY KEY, name text)");
        return new Source(PG.port(), db, "postgres", null, sluice.slot(db).name(), createSlot, createPublication);
    }

    private ServerProcess startProcess(Source src) throws Exception {
        return sluice.closeAfter(ServerProcess.start(
                sluice.home(),
                sluice.writeConfig(yaml(src, "")),
                Map.of("SLUICE_DATABASE_URL", PG.jdbcUrl(sluice.metaDb()))));
    }

    private DatabasePipeline.Status awaitRetrying() {
        return sluice.awaitStatus(
                s -> s.state() == DatabasePipeline.State.RETRYING && s.lastError() != null,
                "the pipeline retries with an error");
    }

    private void awaitStreaming() {
        sluice.awaitStreaming();
    }

    private TestPostgres privateServer(TestPostgres pg) {
        return sluice.closeAfter(pg);
    }

    private HttpResponse<String> health() throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(
                                        "http://localhost:" + sluice.server().port() + "/health"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    /** A single-line, operator-readable message: no stack trace, no exception class dump. */
    private static void assertNoStackTrace(String error) {
        assertThat(error).doesNotContain("\n").doesNotContain("\tat ").doesNotContain("Exception:");
    }

    /** Inserts a row and waits until the receiver got it: the pipeline really delivers. */
    private void assertDelivers(TestPostgres pg, String db, int id) {
        pg.execute(db, "INSERT INTO items VALUES (" + id + ", 'after fix')");
        receiver.awaitAccepted(
                got -> got.stream().anyMatch(m -> m.get("record").get("id").asInt() == id), WAIT, "row " + id);
    }

    @Test
    void unreachableSourceIsRetriedWithAClearErrorAndPicksUpWhenPostgresAppears() throws Exception {
        int port = FreePort.find();
        start(new Source(port, "app", "postgres", null, "slot_unreachable", true, true));

        DatabasePipeline.Status s = awaitRetrying();
        assertThat(s.lastError())
                .contains("cannot reach Postgres")
                .contains("localhost:" + port)
                .contains("Check the hostname and port");
        assertNoStackTrace(s.lastError());
        HttpResponse<String> h = health();
        assertThat(h.statusCode()).isEqualTo(503);
        assertThat(h.body()).contains("\"state\":\"retrying\"").contains("cannot reach Postgres");

        // Still failing after more attempts: retried, not crashed (each failed attempt logs a line).
        long failedBefore = failedConnects();
        await().atMost(WAIT).until(() -> failedConnects() > failedBefore);
        assertThat(sluice.server().status().getFirst().state()).isEqualTo(DatabasePipeline.State.RETRYING);

        // Postgres appears on that port: the pipeline connects on its next attempt without a restart.
        TestPostgres late = privateServer(TestPostgres.startPrivate(Map.of(), port));
        late.execute("postgres", "CREATE DATABASE app");
        late.execute("app", "CREATE TABLE items (id int PRIMARY KEY, name text)");
        awaitStreaming();
        assertThat(sluice.server().status().getFirst().lastError()).isNull();
        assertDelivers(late, "app", 1);
        assertThat(health().statusCode()).isEqualTo(200);
    }

    @Test
    void walLevelNotLogicalSaysToSetItAndRestart() throws Exception {
        TestPostgres replica = privateServer(TestPostgres.startPrivate(Map.of("wal_level", "replica")));
        start(new Source(replica.port(), "postgres", "postgres", null, "slot_wal", true, true));

        DatabasePipeline.Status s = awaitRetrying();
        assertThat(s.lastError())
                .contains("wal_level is 'replica'")
                .contains("wal_level = logical")
                .contains("restart");
        assertNoStackTrace(s.lastError());
    }

    @Test
    void missingPublicationNamesTheStatementAndRecoversOnceItIsCreated() throws Exception {
        Source src = sharedSource(true, false);
        start(src);

        String create = "CREATE PUBLICATION \"" + src.publication()
                + "\" FOR ALL TABLES WITH (publish_via_partition_root = true)";
        DatabasePipeline.Status s = awaitRetrying();
        assertThat(s.lastError())
                .contains("publication '" + src.publication() + "' does not exist")
                .contains(create);
        assertNoStackTrace(s.lastError());

        PG.execute(src.database(), create); // the operator runs what the error said
        awaitStreaming();
        assertDelivers(PG, src.database(), 1);
    }

    @Test
    void missingSlotNamesTheStatementAndRecoversOnceItIsCreated() throws Exception {
        Source src = sharedSource(false, true);
        start(src);

        String create = "SELECT pg_create_logical_replication_slot('" + src.slot() + "', 'pgoutput')";
        DatabasePipeline.Status s = awaitRetrying();
        assertThat(s.lastError())
                .contains("replication slot '" + src.slot() + "' does not exist")
                .contains(create);
        assertNoStackTrace(s.lastError());

        PG.execute(src.database(), create);
        awaitStreaming();
        assertDelivers(PG, src.database(), 1);
    }

    @Test
    void wrongPasswordSaysTheLoginWasRejectedWithoutShowingThePassword() throws Exception {
        TestPostgres secured = privateServer(TestPostgres.startPrivate(Map.of()));
        secured.requirePassword("sluice_user", "the-right-one");
        String wrong = "wr0ng-S3cret-pw";
        start(new Source(secured.port(), "postgres", "sluice_user", wrong, "slot_pw", true, true));

        DatabasePipeline.Status s = awaitRetrying();
        assertThat(s.lastError())
                .contains("Postgres rejected the login")
                .contains("sluice_user")
                .contains("Check the username and password")
                .doesNotContain(wrong);
        assertNoStackTrace(s.lastError());
        assertThat(health().body()).contains("rejected the login").doesNotContain(wrong);
    }

    @Test
    void keylessPublishedTableIsReportedWithReplicaIdentityAdvice() throws Exception {
        Source src = sharedSource(true, true);
        PG.execute(src.database(), "CREATE TABLE audit_log (at timestamptz, line text)");
        try (ServerProcess p = startProcess(src)) {
            p.awaitHealthy(WAIT); // the check runs before streaming starts
            String log = p.output();
            List<String> advice =
                    log.lines().filter(l -> l.contains("REPLICA IDENTITY FULL")).toList();
            assertThat(advice)
                    .as("one warning for the keyless table in:%n%s", log)
                    .singleElement()
                    .satisfies(l -> assertThat(l)
                            .contains("WARN")
                            .contains("public.audit_log has no primary key")
                            .contains("ALTER TABLE \"public\".\"audit_log\" REPLICA IDENTITY FULL"));
            assertThat(log).doesNotContain("public.items has no primary key");
            // inserts into it are still delivered
            PG.execute(src.database(), "INSERT INTO audit_log VALUES (now(), 'hello')");
            receiver.awaitMessages(1, WAIT);
            assertThat(receiver.messages().getFirst().get("record").get("line").asString())
                    .isEqualTo("hello");
            p.stop();
        }
    }

    @Test
    void webhookOutageLogsOneLinePerAttemptAndDeliversEverythingInOrder() throws Exception {
        Source src = sharedSource(true, true);
        int changes = 50;
        try (ServerProcess p = startProcess(src)) {
            p.awaitHealthy(WAIT);
            receiver.unavailable();
            for (int i = 0; i < changes; i++) {
                PG.execute(src.database(), "INSERT INTO items VALUES (" + i + ", 'row " + i + "')");
            }
            // Down for several failed attempts: the first, then the retries that probe the outage.
            receiver.awaitRequests(4, WAIT);
            receiver.available();

            receiver.awaitAccepted(changes, WAIT);
            // Rows are independent groups: each arrives once; the order across rows is the retries' order.
            List<Integer> ids = Messages.inCommitOrder(receiver.acceptedMessages()).stream()
                    .map(m -> m.get("record").get("id").asInt())
                    .toList();
            assertThat(ids).hasSize(changes);
            for (int i = 0; i < changes; i++) {
                assertThat(ids.get(i)).as("message %d", i).isEqualTo(i);
            }

            // The recovery line follows the last acknowledgement, and the process' output arrives a moment later.
            await().atMost(WAIT).until(() -> p.output().contains("delivery recovered after"));
            String log = p.output();
            long failedAttempts =
                    receiver.requests().stream().filter(r -> !r.accepted()).count();
            List<String> warnings = log.lines()
                    .filter(l -> l.contains("delivery of") && l.contains("failed (attempt"))
                    .toList();
            // Rows retry in parallel: the first failure is logged, then one summary at most every 10 s.
            assertThat(warnings).hasSizeBetween(1, 3).hasSizeLessThanOrEqualTo((int) failedAttempts);
            assertThat(warnings.getFirst())
                    .contains("WARN")
                    .contains("sink hook")
                    .contains("503");
            assertThat(log).contains("delivery recovered after " + failedAttempts + " failed attempts");
            p.stop();
        }
    }
}
