package dev.sluice.server.api;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.Jobs;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.FaultProxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * {@code /api/jobs} against a live server: validate jobs over real databases (good ones, and ones with problems the
 * result says how to fix), the spec's errors, the active-job limit, cancellation, listing, credentials never echoed,
 * and records expiring after the TTL. One node runs one job at a time here, so a queued job stays queued while a
 * slow one (a source that accepts connections and never answers) runs.
 */
class JobsApiIT {
    private static final String PASSWORD = Jobs.PASSWORD;

    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;
    static FaultProxy silent;

    @BeforeAll
    static void start() {
        System.setProperty("SLUICE_JOBS_MAX_ACTIVE", "3");
        System.setProperty("SLUICE_JOBS_CONCURRENCY", "1");
        sluice.start();
        api = sluice.api();
        silent = sluice.closeAfter(FaultProxy.start("127.0.0.1", PG.port()));
        silent.blackhole();
    }

    @AfterAll
    static void clear() {
        System.clearProperty("SLUICE_JOBS_MAX_ACTIVE");
        System.clearProperty("SLUICE_JOBS_CONCURRENCY");
        System.clearProperty("SLUICE_JOBS_TTL");
    }

    private static String url(int port, String db) {
        return Jobs.url(port, db);
    }

    private static String spec(String command, String source, String target, String extra) {
        return Jobs.spec(command, source, target, extra);
    }

    private static String create(String body) {
        return new Jobs(api).create(body);
    }

    private static JsonNode awaitEnd(String id) {
        return new Jobs(api).awaitEnd(id);
    }

    private static List<String> checks(JsonNode job, String status) {
        List<String> out = new ArrayList<>();
        for (JsonNode c : job.get("result").get("checks")) {
            if (c.get("status").asString().equals(status)) {
                out.add(c.get("name").asString() + ": " + c.get("detail").asString()
                        + (c.has("fix") ? " | fix: " + c.get("fix").asString() : ""));
            }
        }
        return out;
    }

    @Test
    void validateOverGoodDatabasesCompletesWithEveryCheckPassing() {
        String source = sluice.database(
                "jobok",
                "CREATE TABLE orders (id int PRIMARY KEY, total numeric)",
                "CREATE TABLE notes (n text)",
                "ALTER TABLE notes REPLICA IDENTITY FULL");
        String target = sluice.database("jobokdst");
        String id = create(spec(
                "validate",
                url(PG.port(), source),
                url(PG.port(), target),
                ", \"filter\": {\"table_filters\": {\"orders\": \"total > 10\"}}"));

        JsonNode job = awaitEnd(id);
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("completed");
        assertThat(job.get("error").isNull()).isTrue();
        assertThat(job.get("result").get("ok").asBoolean()).isTrue();
        assertThat(checks(job, "error")).isEmpty();
        assertThat(checks(job, "ok"))
                .anyMatch(c -> c.startsWith("source.wal_level"))
                .anyMatch(c -> c.startsWith("source.replication_privilege"))
                .anyMatch(c -> c.startsWith("target.privileges"))
                .anyMatch(c -> c.startsWith("filter.table_filters"));
        assertThat(checks(job, "warning")).anyMatch(c -> c.contains("notes has no primary key"));
        List<String> tables = new ArrayList<>();
        job.get("result")
                .get("tables")
                .forEach(t -> tables.add(t.get("table").asString() + "/"
                        + t.get("replica_identity").asString() + "/"
                        + t.get("primary_key").asBoolean()));
        assertThat(tables).containsExactly("notes/full/false", "orders/default/true");
        assertThat(job.get("logs").size()).isGreaterThan(3);
        assertThat(job.get("started_at").isNull()).isFalse();
        assertThat(job.get("node").asString()).startsWith("node-");
        assertThat(job.toString()).doesNotContain(PASSWORD);
        assertThat(api.get("/api/jobs").text()).doesNotContain(PASSWORD);
    }

    @Test
    void validateReportsEachProblemWithItsFix() {
        String source = sluice.database("jobbad", "CREATE TABLE events (kind text, at timestamptz)");
        String id = create(spec(
                "validate",
                url(PG.port(), source),
                url(PG.port(), "jobs_not_there_yet"),
                ", \"filter\": {\"include_tables\": [\"events\", \"public.missing\"],"
                        + " \"table_filters\": {\"events\": \"no_such_column = 1\"}}"));

        JsonNode job = awaitEnd(id);
        assertThat(job.get("status").asString()).isEqualTo("failed");
        assertThat(job.get("error").asString()).contains("validation found 3 problem(s)");
        assertThat(checks(job, "error"))
                .anyMatch(c -> c.contains("events has no primary key and no replica identity")
                        && c.contains("REPLICA IDENTITY FULL"))
                .anyMatch(c -> c.contains("public.missing, which the source does not have"))
                .anyMatch(c -> c.contains("the filter of public.events is not valid") && c.contains("no_such_column"));
        assertThat(checks(job, "ok"))
                .anyMatch(c -> c.contains("jobs_not_there_yet does not exist yet; init creates it"));
    }

    @Test
    void anUnreachableSourceFailsTheJobWithTheFix() {
        String id =
                create(spec("validate", url(dev.sluice.testkit.FreePort.find(), "x"), url(PG.port(), "postgres"), ""));
        JsonNode job = awaitEnd(id);
        assertThat(job.get("status").asString()).isEqualTo("failed");
        assertThat(checks(job, "error")).anyMatch(c -> c.startsWith("source.connect") && c.contains("host and port"));
    }

    @Test
    void verifyFindsTheKeyRangeOfARowChangedBehindItsBackAndTellsNullFromEmpty() {
        String[] ddl = {
            "CREATE TABLE items (id int PRIMARY KEY, note text)",
            "CREATE TABLE pairs (a int, b text, v int, PRIMARY KEY (a, b))",
            "CREATE TABLE loose (x int, y text)",
            "INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 25000) g",
            "INSERT INTO pairs SELECT g % 7, 'k' || g, g FROM generate_series(1, 300) g",
            "INSERT INTO loose VALUES (1, NULL), (2, 'two')",
            "UPDATE items SET note = NULL WHERE id = 17"
        };
        String source = sluice.database("verifysrc", ddl);
        String target = sluice.database("verifydst", ddl);
        String same = create(
                spec("verify", url(PG.port(), source), url(PG.port(), target), ", \"options\": {\"parallelism\": 3}"));
        JsonNode ok = awaitEnd(same);
        assertThat(ok.get("status").asString()).as(ok.toString()).isEqualTo("completed");
        assertThat(ok.get("result").get("rows_compared").asLong()).isEqualTo(25000 + 300 + 2);
        List<String> states = new ArrayList<>();
        ok.get("result")
                .get("tables")
                .forEach(t -> states.add(t.get("table").asString() + "="
                        + t.get("status").asString() + "/" + t.get("chunks").asInt()));
        assertThat(states).containsExactlyInAnyOrder("items=match/3", "pairs=match/1", "loose=match/1");

        // Behind Sluice's back: one value changed, and a NULL that became an empty string.
        PG.execute(
                target,
                "UPDATE items SET note = 'changed' WHERE id = 12345",
                "UPDATE items SET note = ''" + " WHERE id = 17",
                "UPDATE pairs SET v = -1 WHERE a = 3 AND b = 'k10'");
        JsonNode diff = awaitEnd(create(spec("verify", url(PG.port(), source), url(PG.port(), target), "")));
        assertThat(diff.get("status").asString()).isEqualTo("failed");
        assertThat(diff.get("error").asString()).contains("2 table(s) that differ");
        List<String> ranges = new ArrayList<>();
        for (JsonNode t : diff.get("result").get("tables")) {
            if (t.has("mismatched_ranges")) {
                t.get("mismatched_ranges")
                        .forEach(r -> ranges.add(t.get("table").asString() + " " + r.get("from") + ".." + r.get("to")));
            }
        }
        assertThat(ranges)
                .containsExactlyInAnyOrder("items null..\"10000\"", "items \"10000\"..\"20000\"", "pairs null..null");
    }

    @Test
    void badSpecsAreRefusedAtTheirFields() {
        ApiClient.Reply r = api.post("/api/jobs", "{\"schema_version\": \"9\", \"command\": \"copy\"}");
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.text())
                .contains("schema_version")
                .contains("command")
                .contains("source_url")
                .contains("target_url");

        r = api.post("/api/jobs", spec("copy", url(PG.port(), "a"), url(PG.port(), "b"), ""));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.text()).contains("must be one of validate, init, sync, status, verify");

        r = api.post("/api/jobs", "{\"x\": \"" + "y".repeat(16 * 1024) + "\"}");
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.text()).contains("at most 15360");

        assertThat(api.post("/api/jobs", "{not json").status()).isEqualTo(400);
        assertThat(api.get("/api/jobs/" + java.util.UUID.randomUUID()).status()).isEqualTo(404);
        assertThat(api.get("/api/jobs/not-a-uuid").status()).isEqualTo(404);
        assertThat(api.get("/api/jobs?status=done").status()).isEqualTo(422);
    }

    @Test
    void theActiveLimitQueueingCancellationAndListing() {
        // One job at a time on this node: the first hangs on a silent source, the next ones wait.
        String slow = url(silent.port(), "postgres");
        String running = create(spec("validate", slow, url(PG.port(), "postgres"), ""));
        await().atMost(ServerFixture.WAIT)
                .until(() ->
                        api.get("/api/jobs/" + running).get("status").asString().equals("running"));
        String queued = create(spec("validate", slow, url(PG.port(), "postgres"), ""));
        String third = create(spec("validate", slow, url(PG.port(), "postgres"), ""));

        ApiClient.Reply refused = api.post("/api/jobs", spec("validate", slow, url(PG.port(), "postgres"), ""));
        assertThat(refused.status()).as(refused.text()).isEqualTo(429);
        assertThat(refused.text()).contains("SLUICE_JOBS_MAX_ACTIVE");

        ApiClient.Reply c = api.post("/api/jobs/" + queued + "/cancel", null);
        assertThat(c.status()).as(c.text()).isEqualTo(200);
        assertThat(c.get("status").asString()).isEqualTo("cancelled");
        assertThat(api.post("/api/jobs/" + queued + "/cancel", null).status()).isEqualTo(409);

        ApiClient.Reply page = api.get("/api/jobs?status=cancelled&limit=1");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.get("data").get(0).get("job_id").asString()).isEqualTo(queued);
        assertThat(page.body().has("next_cursor")).isTrue();

        // The running one stops once the silent source times out; then the third runs and fails the same way.
        api.post("/api/jobs/" + running + "/cancel", null);
        assertThat(awaitEnd(running).get("status").asString()).isEqualTo("cancelled");
        JsonNode last = awaitEnd(third);
        assertThat(last.get("status").asString()).isEqualTo("failed");
        assertThat(checks(last, "error")).anyMatch(c2 -> c2.startsWith("source.connect"));
    }

    @Test
    void recordsExpireAfterTheTtl() throws Exception {
        String id = create(spec("validate", url(PG.port(), "postgres"), url(PG.port(), "postgres"), ""));
        awaitEnd(id);
        System.setProperty("SLUICE_JOBS_TTL", "PT1S");
        try {
            sluice.restart(); // purges at start, and the new TTL applies to new jobs
            api = sluice.api();
            String shortLived = create(spec("validate", url(PG.port(), "postgres"), url(PG.port(), "postgres"), ""));
            awaitEnd(shortLived);
            assertThat(api.get("/api/jobs/" + id).status()).isEqualTo(200); // created under the 30-day TTL
            java.time.Instant expires = java.time.Instant.parse(
                    api.get("/api/jobs/" + shortLived).get("expires_at").asString());
            await("the short-lived job's expiry")
                    .atMost(ServerFixture.WAIT)
                    .until(() -> java.time.Instant.now().isAfter(expires));
            sluice.restart();
            api = sluice.api();
            assertThat(api.get("/api/jobs/" + shortLived).status()).isEqualTo(404);
            assertThat(api.get("/api/jobs/" + id).status()).isEqualTo(200);
        } finally {
            System.clearProperty("SLUICE_JOBS_TTL");
            sluice.restart(); // the other tests' jobs keep the default TTL
            api = sluice.api();
        }
    }
}
