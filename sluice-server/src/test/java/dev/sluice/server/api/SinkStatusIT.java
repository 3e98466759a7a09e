package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/** {@code GET /api/sinks/{id_or_name}/status} against a real server, source and destinations (issue 19). */
class SinkStatusIT {
    private static final int N = 25;

    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;
    static WebhookReceiver receiver;
    static String db;

    @BeforeAll
    static void start() {
        sluice.start();
        api = sluice.api();
        receiver = sluice.receiver();
        db = sluice.database(
                "status",
                "CREATE TABLE events (id int PRIMARY KEY, label text)",
                "CREATE TABLE jobs (id int PRIMARY KEY, label text)");
        ApiClient.Reply d = api.post("/api/postgres_databases", sluice.databaseJson("status-db", db));
        assertThat(d.status()).as(d.text()).isEqualTo(201);
        // A database of its own: the backfill's full buffer holds its pipeline's slot (pause_on_full).
        String bfDb = sluice.database(
                "status_bf",
                "CREATE TABLE big (id int PRIMARY KEY, pad text)",
                "INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 3000) g");
        ApiClient.Reply bf = api.post("/api/postgres_databases", sluice.databaseJson("status-bf-db", bfDb));
        assertThat(bf.status()).as(bf.text()).isEqualTo(201);
    }

    private static void sink(String body) {
        ApiClient.Reply r = api.post("/api/sinks", body);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
    }

    private static JsonNode status(String sink) {
        ApiClient.Reply r = api.get("/api/sinks/" + sink + "/status");
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.body();
    }

    @Test
    void afterDeliveries_lastDeliveredAtAndThroughputShowThem() {
        sink("""
                {"name": "st-ok", "database": "status-db", "batch_size": 5,
                 "source": {"include_tables": ["public.events"]},
                 "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(receiver.url()));
        sluice.awaitSinkHealthy("st-ok");
        JsonNode before = status("st-ok");
        assertThat(before.get("last_delivered_at").isNull()).isTrue();
        assertThat(before.get("throughput_per_minute").asLong()).isZero();
        Instant start = Instant.now().minusSeconds(1);

        ServerFixture.PG.execute(db, "INSERT INTO events SELECT g, 'e' || g FROM generate_series(1, " + N + ") g");
        await().atMost(ServerFixture.WAIT)
                .until(() -> status("st-ok").get("throughput_per_minute").asLong() >= N);
        JsonNode s = status("st-ok");
        assertThat(s.get("sink").get("name").asString()).isEqualTo("st-ok");
        assertThat(s.get("sink").get("id").asString())
                .isEqualTo(api.get("/api/sinks/st-ok").get("id").asString());
        assertThat(s.get("status").asString()).isEqualTo("active");
        assertThat(s.get("health").asString()).isEqualTo("healthy");
        assertThat(Instant.parse(s.get("last_delivered_at").asString())).isAfter(start);
        assertThat(s.get("messages_failing").asLong()).isZero();
        assertThat(s.get("current_backfill").isNull()).isTrue();
        assertThat(s.get("lag_seconds").isNumber()).isTrue();
        await().atMost(ServerFixture.WAIT)
                .until(() -> status("st-ok").get("messages_pending").asLong() == 0);
        await().atMost(ServerFixture.WAIT)
                .until(() -> status("st-ok").get("lag_bytes").isNumber());
    }

    @Test
    void aSinkWhoseDestinationIsDown_showsPendingAndFailingMessages() {
        sink("""
                {"name": "st-down", "database": "status-db", "batch_size": 5,
                 "source": {"include_tables": ["public.jobs"]},
                 "destination": {"type": "webhook", "http_endpoint": "http://localhost:9/never"}}""");
        sluice.awaitStreaming();
        ServerFixture.PG.execute(db, "INSERT INTO jobs SELECT g, 'j' || g FROM generate_series(1, 10) g");
        await().atMost(ServerFixture.WAIT).until(() -> {
            JsonNode s = status("st-down");
            return s.get("messages_pending").asLong() > 0
                    && s.get("messages_failing").asLong() > 0
                    && s.get("health").asString().equals("error");
        });
        JsonNode s = status("st-down");
        assertThat(s.get("last_delivered_at").isNull()).isTrue();
        assertThat(s.get("throughput_per_minute").asLong()).isZero();
        assertThat(s.get("failing_groups").asLong()).isPositive();
    }

    @Test
    void aRunningBackfill_isTheCurrentBackfill() {
        // Reads can be neither delivered nor (max_spill_mb: 0) stored: the backfill stays active.
        sink("""
                {"name": "st-bf", "database": "status-bf-db", "max_memory_mb": 1, "max_spill_mb": 0,
                 "source": {"include_tables": ["public.big"]},
                 "destination": {"type": "webhook", "http_endpoint": "http://localhost:9/never"}}""");
        ApiClient.Reply b = api.post("/api/sinks/st-bf/backfills", "{\"table\": \"public.big\"}");
        assertThat(b.status()).as(b.text()).isEqualTo(201);
        JsonNode current = status("st-bf").get("current_backfill");
        assertThat(current.get("id").asString()).isEqualTo(b.get("id").asString());
        assertThat(current.get("table").asString()).isEqualTo("public.big");
        assertThat(current.get("state").asString()).isEqualTo("active");
        assertThat(current.has("rows_processed_count")).isTrue();
        assertThat(api.get("/api/sinks/nope/status").status()).isEqualTo(404);
    }
}
