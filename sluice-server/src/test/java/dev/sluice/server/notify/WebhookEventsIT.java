package dev.sluice.server.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.api.ApiClient;
import dev.sluice.server.fixture.Jobs;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.FaultProxy;
import dev.sluice.testkit.WebhookReceiver;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * Real events end to end: a sink whose destination goes down and comes back, jobs ending, a backfill completing,
 * filtering by sink and event type, and retries of a failing endpoint with the same event id. Back-off and the
 * watcher's interval are shortened through their settings.
 */
class WebhookEventsIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;
    static WebhookReceiver hooks;
    static String db;

    @BeforeAll
    static void start() {
        System.setProperty("SLUICE_WEBHOOKS_RETRY_INITIAL", "PT0.1S");
        System.setProperty("SLUICE_WEBHOOKS_RETRY_MAX", "PT0.4S");
        System.setProperty("SLUICE_WEBHOOKS_WATCH_INTERVAL", "PT0.2S");
        sluice.start();
        api = sluice.api();
        hooks = sluice.newReceiver();
        db = sluice.database(
                "hookev",
                "CREATE TABLE items (id int PRIMARY KEY, note text)",
                "INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 20) g");
        ApiClient.Reply database = api.post("/api/postgres_databases", sluice.databaseJson("hook-db", db));
        assertThat(database.status()).as(database.text()).isEqualTo(201);
    }

    @AfterAll
    static void clear() {
        System.clearProperty("SLUICE_WEBHOOKS_RETRY_INITIAL");
        System.clearProperty("SLUICE_WEBHOOKS_RETRY_MAX");
        System.clearProperty("SLUICE_WEBHOOKS_WATCH_INTERVAL");
    }

    private static void sink(String name, WebhookReceiver destination) {
        ApiClient.Reply r = api.post("/api/sinks", """
                {"name": "%s", "database": "hook-db", "batch_size": 10,
                 "retry_backoff_ms": 50, "max_retry_backoff_ms": 200,
                 "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(name, destination.url()));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
    }

    private static String subscribe(String name, String path, String events, String extra) {
        ApiClient.Reply r = api.post("/api/webhooks", """
                {"name": "%s", "url": "%s", "events": %s%s}""".formatted(name, hooks.url(path), events, extra));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.get("secret").asString();
    }

    /** The events delivered (answered 2xx) to {@code path}, in arrival order. */
    private static List<JsonNode> events(String path) {
        return hooks.requests().stream()
                .filter(r -> r.path().equals(path) && r.accepted())
                .map(WebhookReceiver.Request::json)
                .toList();
    }

    private static JsonNode awaitEvent(String path, String type, String field, String value) {
        return await(type + " with " + field + "=" + value + " at " + path)
                .atMost(ServerFixture.WAIT)
                .until(
                        () -> events(path).stream()
                                .filter(e -> e.get("type").asString().equals(type)
                                        && e.get("data").path(field).asString().equals(value))
                                .findFirst(),
                        java.util.Optional::isPresent)
                .orElseThrow();
    }

    @Test
    void aSinkWhoseDestinationFails_sendsFailingThenRecovered_onlyToItsSubscriptions() throws Exception {
        WebhookReceiver down = sluice.newReceiver();
        WebhookReceiver fine = sluice.newReceiver();
        sink("flaky", down);
        sink("steady", fine);
        sluice.awaitSinkHealthy("flaky");
        sluice.awaitSinkHealthy("steady");
        String secret =
                subscribe("flaky-watch", "/flaky", "[\"sink.failing\", \"sink.recovered\"]", ", \"sink\": \"flaky\"");
        subscribe("steady-watch", "/steady", "[\"*\"]", ", \"sink\": \"steady\"");
        subscribe("health-only", "/health", "[\"sink.health_changed\"]", "");

        down.respondWith(500);
        ServerFixture.PG.execute(db, "UPDATE items SET note = 'changed' WHERE id = 1");
        JsonNode failing = awaitEvent("/flaky", "sink.failing", "sink_name", "flaky");
        assertThat(failing.get("id").asString()).startsWith("evt_");
        assertThat(failing.get("data").get("status").asString()).isEqualTo("error");
        assertThat(failing.get("data").get("previous_status").asString()).isEqualTo("healthy");
        assertThat(failing.get("data").get("message").asString()).contains("500");
        assertThat(failing.get("data").get("sink_id").asString())
                .isEqualTo(api.get("/api/sinks/flaky").get("id").asString());
        WebhookReceiver.Request signed = hooks.requests().stream()
                .filter(r -> r.path().equals("/flaky"))
                .findFirst()
                .orElseThrow();
        WebhooksApiIT.assertSigned(signed, secret);
        assertThat(signed.header("Sluice-Event-Type")).contains("sink.failing");
        awaitEvent("/health", "sink.health_changed", "status", "error");

        down.respondWith(200);
        JsonNode recovered = awaitEvent("/flaky", "sink.recovered", "sink_name", "flaky");
        assertThat(recovered.get("data").get("status").asString()).isEqualTo("healthy");
        assertThat(recovered.get("data").get("previous_status").asString()).isEqualTo("error");
        awaitEvent("/health", "sink.health_changed", "status", "healthy");

        // The subscription for the other sink heard nothing of this one; flaky's got only what it asked for.
        assertThat(events("/steady"))
                .noneMatch(e -> e.path("data").path("sink_name").asString().equals("flaky"));
        assertThat(events("/flaky"))
                .extracting(e -> e.get("type").asString())
                .containsOnly("sink.failing", "sink.recovered");
        assertThat(api.get("/api/webhooks/flaky-watch")
                        .get("last_delivery")
                        .get("status")
                        .asInt())
                .isEqualTo(200);
    }

    @Test
    void jobsEnding_sendCompletedAndFailed() {
        subscribe("jobs-watch", "/jobs", "[\"job.completed\", \"job.failed\"]", "");
        Jobs jobs = new Jobs(api);
        String pg = Jobs.url(ServerFixture.PG.port(), "postgres");
        String good = jobs.create(Jobs.spec("validate", pg, pg, ""));
        assertThat(jobs.awaitEnd(good).get("status").asString()).isEqualTo("completed");
        JsonNode completed = awaitEvent("/jobs", "job.completed", "job_id", good);
        assertThat(completed.get("data").get("command").asString()).isEqualTo("validate");
        assertThat(completed.get("data").get("status").asString()).isEqualTo("completed");
        assertThat(completed.get("data").get("error").isNull()).isTrue();

        String bad = jobs.create(Jobs.spec("validate", Jobs.url(dev.sluice.testkit.FreePort.find(), "x"), pg, ""));
        assertThat(jobs.awaitEnd(bad).get("status").asString()).isEqualTo("failed");
        JsonNode failed = awaitEvent("/jobs", "job.failed", "job_id", bad);
        assertThat(failed.get("data").get("error").asString()).isNotBlank();
        assertThat(events("/jobs")).allMatch(e -> e.get("type").asString().startsWith("job."));
    }

    @Test
    void aFailingEndpoint_getsTheSameEventAgain_untilItAccepts() {
        WebhookReceiver flaky = sluice.newReceiver().respondNext(500, 503);
        ApiClient.Reply r = api.post("/api/webhooks", """
                {"name": "retried", "url": "%s", "events": ["job.completed"]}""".formatted(flaky.url()));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        String pg = Jobs.url(ServerFixture.PG.port(), "postgres");
        Jobs jobs = new Jobs(api);
        String id = jobs.create(Jobs.spec("validate", pg, pg, ""));
        jobs.awaitEnd(id);

        List<WebhookReceiver.Request> got = flaky.awaitRequests(3, ServerFixture.WAIT);
        List<WebhookReceiver.Request> mine = got.stream()
                .filter(q -> q.json() != null
                        && q.json().at("/data/job_id").asString().equals(id))
                .toList();
        assertThat(mine).extracting(WebhookReceiver.Request::status).containsExactly(500, 503, 200);
        assertThat(mine)
                .extracting(q -> q.header("Sluice-Event-Id").orElseThrow())
                .containsOnly(mine.getFirst().json().get("id").asString());
        assertThat(mine)
                .extracting(WebhookReceiver.Request::body)
                .containsOnly(mine.getFirst().body());
        await().atMost(ServerFixture.WAIT)
                .until(
                        () -> api.get("/api/webhooks/retried").get("last_delivery"),
                        d -> !d.isNull() && d.get("status").asInt() == 200);
    }

    @Test
    void aBackfillCompleting_sendsBackfillCompleted() {
        WebhookReceiver destination = sluice.newReceiver();
        sink("filled", destination);
        sluice.awaitSinkHealthy("filled");
        subscribe(
                "backfill-watch",
                "/backfills",
                "[\"backfill.completed\", \"backfill.failed\"]",
                ", \"sink\": \"filled\"");
        ApiClient.Reply created = api.post("/api/sinks/filled/backfills", "{\"table\": \"public.items\"}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        JsonNode done = awaitEvent(
                "/backfills",
                "backfill.completed",
                "backfill_id",
                created.get("id").asString());
        assertThat(done.get("data").get("sink_name").asString()).isEqualTo("filled");
        assertThat(done.get("data").get("table").asString()).isEqualTo("public.items");
        assertThat(done.get("data").get("state").asString()).isEqualTo("completed");
        assertThat(done.get("data").get("rows_processed").asLong()).isEqualTo(20);
    }

    @Test
    void aDatabaseFallingBehind_sendsLagExceededOncePerCrossing() {
        String lagDb = sluice.database("hooklag", "CREATE TABLE big (id int PRIMARY KEY, pad text)");
        ApiClient.Reply database = api.post("/api/postgres_databases", sluice.databaseJson("lag-db", lagDb));
        assertThat(database.status()).as(database.text()).isEqualTo(201);
        WebhookReceiver stuck = sluice.newReceiver();
        ApiClient.Reply sink = api.post("/api/sinks", """
                {"name": "lagging", "database": "lag-db", "retry_backoff_ms": 50, "max_retry_backoff_ms": 200,
                 "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(stuck.url()));
        assertThat(sink.status()).as(sink.text()).isEqualTo(201);
        sluice.awaitSinkHealthy("lagging");
        subscribe(
                "lag-watch",
                "/lag",
                "[\"database.lag_exceeded\"]",
                ", \"database\": \"lag-db\", \"lag_threshold_bytes\": 4096");

        stuck.respondWith(500); // nothing is acknowledged: the slot falls behind
        ServerFixture.PG.execute(lagDb, "INSERT INTO big SELECT g, repeat('x', 1000) FROM generate_series(1, 100) g");
        JsonNode exceeded = awaitEvent("/lag", "database.lag_exceeded", "database_name", "lag-db");
        assertThat(exceeded.get("data").get("lag_bytes").asLong()).isGreaterThan(4096);
        assertThat(exceeded.get("data").get("threshold_bytes").asLong()).isEqualTo(4096);
        assertThat(exceeded.get("data").get("threshold_seconds").isNull()).isTrue();
        // Still behind for many looks of the watcher: no second event for the same crossing.
        ServerFixture.PG.execute(lagDb, "INSERT INTO big SELECT g, 'y' FROM generate_series(101, 110) g");
        await().during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(5))
                .until(() -> events("/lag").size() == 1);
        stuck.respondWith(200);
    }

    @Test
    void aDatabaseLosingItsConnection_sendsDisconnected() {
        String discDb = sluice.database("hookdisc", "CREATE TABLE t (id int PRIMARY KEY)");
        FaultProxy proxy = sluice.closeAfter(FaultProxy.start("127.0.0.1", ServerFixture.PG.port()));
        String json = sluice.databaseJson("disc-db", discDb)
                .replace("\"port\": " + ServerFixture.PG.port(), "\"port\": " + proxy.port());
        ApiClient.Reply database = api.post("/api/postgres_databases", json);
        assertThat(database.status()).as(database.text()).isEqualTo(201);
        ApiClient.Reply sink =
                api.post("/api/sinks", """
                {"name": "disc-sink", "database": "disc-db",
                 "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(sluice.newReceiver().url()));
        assertThat(sink.status()).as(sink.text()).isEqualTo(201);
        sluice.awaitSinkHealthy("disc-sink");
        await("disc-db streams")
                .atMost(ServerFixture.WAIT)
                .until(() -> sluice.server().status().stream()
                        .anyMatch(st -> st.database().equals("disc-db")
                                && st.state() == dev.sluice.engine.DatabasePipeline.State.STREAMING));
        subscribe("disc-watch", "/disc", "[\"database.disconnected\"]", ", \"database\": \"disc-db\"");

        proxy.refuse(true);
        proxy.dropConnections();
        JsonNode lost = awaitEvent("/disc", "database.disconnected", "database_name", "disc-db");
        assertThat(lost.get("data").get("database_id").asString())
                .isEqualTo(api.get("/api/postgres_databases/disc-db").get("id").asString());
        assertThat(lost.get("data").get("state").asString()).isEqualTo("retrying");
        proxy.refuse(false);
    }
}
