package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/** Backfills through the API against a real database: rows arrive as reads, state and counts follow. */
class BackfillsIT {
    private static final int ITEMS = 2500;

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
                "backfill",
                "CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)",
                "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, " + ITEMS + ") g",
                "CREATE TABLE small (id int PRIMARY KEY)",
                "INSERT INTO small SELECT generate_series(1, 10)",
                "CREATE TABLE big (id int PRIMARY KEY, pad text)",
                "INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 3000) g",
                "CREATE TABLE nopk (a int)",
                "CREATE TABLE many (id int PRIMARY KEY)",
                "INSERT INTO many SELECT generate_series(1, 1500)");
        ApiClient.Reply d = api.post("/api/postgres_databases", sluice.databaseJson("bf-db", db));
        assertThat(d.status()).as(d.text()).isEqualTo(201);
    }

    private static void sink(String name, String extra) {
        ApiClient.Reply r = api.post("/api/sinks", """
                {"name": "%s", "database": "bf-db", "batch_size": 100,
                 "destination": {"type": "webhook", "http_endpoint": "%s"}%s}""".formatted(name, receiver.url(), extra));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
    }

    private static JsonNode awaitState(String path, String state) {
        await().atMost(Duration.ofSeconds(60))
                .until(() -> state.equals(api.get(path).get("state").asString()));
        return api.get(path).body();
    }

    private static List<JsonNode> reads(String sinkName) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode m : receiver.acceptedMessages()) {
            if (m.get("action").asString().equals("read")
                    && m.at("/metadata/consumer/name").asString().equals(sinkName)) {
                out.add(m);
            }
        }
        return out;
    }

    @Test
    void aBackfill_deliversEveryRowAsARead_andCompletesWithTheTableCounts() {
        sink("bf-all", ", \"source\": {\"include_tables\": [\"public.items\"]}");
        ApiClient.Reply created = api.post("/api/sinks/bf-all/backfills", "{}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String id = created.get("id").asString();
        assertThat(created.get("state").asString()).isEqualTo("active");
        assertThat(created.get("table").asString()).isEqualTo("public.items");
        assertThat(created.get("sink_consumer").asString()).isEqualTo("bf-all");
        assertThat(created.get("sort_column").isNull()).isTrue();

        JsonNode done = awaitState("/api/sinks/bf-all/backfills/" + id, "completed");
        assertThat(done.get("rows_processed_count").asLong()).isEqualTo(ITEMS);
        assertThat(done.get("rows_ingested_count").asLong()).isEqualTo(ITEMS);
        assertThat(done.get("rows_initial_count").asLong()).isEqualTo(ITEMS);
        assertThat(done.get("completed_at").isNull()).isFalse();
        assertThat(done.get("eta_seconds").isNull()).isTrue();

        await().atMost(Duration.ofSeconds(30)).until(() -> reads("bf-all").size() >= ITEMS);
        List<JsonNode> reads = reads("bf-all");
        Set<Integer> ids = new TreeSet<>();
        for (JsonNode m : reads) {
            int row = m.get("record").get("id").asInt();
            ids.add(row);
            String key = Base64.getEncoder().encodeToString((id + ":" + row).getBytes(StandardCharsets.UTF_8));
            assertThat(m.at("/metadata/idempotency_key").asString())
                    .as("row " + row)
                    .isEqualTo(key);
            assertThat(m.get("record").get("label").asString()).isEqualTo("item " + row);
        }
        assertThat(ids).hasSize(ITEMS);
        assertThat(api.get("/api/sinks/bf-all/backfills").get("data")).hasSize(1);

        // A finished backfill cannot change state, and does not block a new one: a partial one by sort column.
        ApiClient.Reply resume = api.patch("/api/sinks/bf-all/backfills/" + id, "{\"state\": \"active\"}");
        assertThat(resume.status()).as(resume.text()).isEqualTo(422);
        assertThat(resume.get("summary").asString()).contains("completed");
        ApiClient.Reply partial = api.post(
                "/api/sinks/bf-all/backfills",
                "{\"table\": \"items\", \"sort_column\": \"id\", \"start_position\": \"2491\"}");
        assertThat(partial.status()).as(partial.text()).isEqualTo(201);
        assertThat(partial.get("start_position").asString()).isEqualTo("2491");
        JsonNode partialDone =
                awaitState("/api/sinks/bf-all/backfills/" + partial.get("id").asString(), "completed");
        assertThat(partialDone.get("rows_ingested_count").asLong()).isEqualTo(10);
        assertThat(api.get("/api/sinks/bf-all/backfills").get("data")).hasSize(2);
    }

    @Test
    void multiPageBackfill_readsEveryRowOnce() {
        sink("bf-many", ", \"source\": {\"include_tables\": [\"public.many\"]}");
        ApiClient.Reply created = api.post("/api/sinks/bf-many/backfills", "{}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        JsonNode done =
                awaitState("/api/sinks/bf-many/backfills/" + created.get("id").asString(), "completed");
        assertThat(done.get("rows_processed_count").asLong()).isEqualTo(1500);
        // Completed means every read is stored for delivery; delivery itself may trail a little.
        await().atMost(Duration.ofSeconds(30)).until(() -> reads("bf-many").size() >= 1500);
        sluice.slot(db).awaitCaughtUp(); // a read delivered twice would have arrived by now
        Set<Integer> ids = new TreeSet<>();
        reads("bf-many").forEach(m -> ids.add(m.get("record").get("id").asInt()));
        assertThat(reads("bf-many")).hasSize(1500);
        assertThat(ids).hasSize(1500);
    }

    @Test
    void pauseResumeCancelDelete_andOneUnfinishedBackfillPerTable() {
        // The destination refuses connections: reads cannot be delivered nor (max_spill_mb: 0) stored, so the
        // backfill stays active.
        ApiClient.Reply s = api.post("/api/sinks", """
                {"name": "bf-life", "database": "bf-db", "max_memory_mb": 1, "max_spill_mb": 0,
                 "destination": {"type": "webhook", "http_endpoint": "http://localhost:9/never"}}""");
        assertThat(s.status()).as(s.text()).isEqualTo(201);
        String base = "/api/sinks/bf-life/backfills";

        ApiClient.Reply created = api.post(base, "{\"table\": \"public.big\"}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String one = base + "/" + created.get("id").asString();
        ApiClient.Reply second = api.post(base, "{\"table\": \"big\"}");
        assertThat(second.status()).as(second.text()).isEqualTo(409);

        JsonNode listed = api.get("/api/sinks/bf-life").get("active_backfills");
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).get("id").asString())
                .isEqualTo(created.get("id").asString());

        // Metrics while it runs: the expected rows (counted exactly: a small table), and a remaining-time gauge.
        String series = "{backfill=\"" + created.get("id").asString() + "\",sink=\"bf-life\",table=\"public.big\"}";
        await().atMost(Duration.ofSeconds(30))
                .until(() -> api.get("/metrics").text().contains("sluice_backfill_rows_initial" + series + " 3000.0"));
        assertThat(api.get("/metrics").text())
                .contains("sluice_backfill_eta_seconds" + series)
                .contains("sluice_backfill_rows_processed" + series);

        ApiClient.Reply paused = api.patch(one, "{\"state\": \"paused\"}");
        assertThat(paused.status()).as(paused.text()).isEqualTo(200);
        assertThat(paused.get("state").asString()).isEqualTo("paused");
        assertThat(api.post(base, "{\"table\": \"big\"}").status())
                .as("paused still blocks")
                .isEqualTo(409);
        ApiClient.Reply bad = api.put(one, "{\"state\": \"completed\"}");
        assertThat(bad.status()).as(bad.text()).isEqualTo(422);
        assertThat(bad.get("summary").asString()).contains("active, cancelled");
        ApiClient.Reply resumed = api.put(one, "{\"state\": \"active\"}");
        assertThat(resumed.status()).as(resumed.text()).isEqualTo(200);
        assertThat(resumed.get("state").asString()).isEqualTo("active");
        assertThat(api.get("/api/sinks/bf-life")
                        .get("active_backfills")
                        .get(0)
                        .get("state")
                        .asString())
                .isEqualTo("active");
        ApiClient.Reply cancelled = api.patch(one, "{\"state\": \"cancelled\"}");
        assertThat(cancelled.status()).as(cancelled.text()).isEqualTo(200);
        assertThat(cancelled.get("state").asString()).isEqualTo("cancelled");
        assertThat(cancelled.get("canceled_at").isNull()).isFalse();
        assertThat(api.get("/metrics").text()).as("gone once cancelled").doesNotContain(series);
        assertThat(api.get("/api/sinks/bf-life").get("active_backfills")).isEmpty();
        ApiClient.Reply again = api.patch(one, "{\"state\": \"active\"}");
        assertThat(again.status()).as(again.text()).isEqualTo(422);

        ApiClient.Reply next = api.post(base, "{\"table\": \"big\"}");
        assertThat(next.status())
                .as("a cancelled one does not block: " + next.text())
                .isEqualTo(201);
        ApiClient.Reply deleted = api.delete(base + "/" + next.get("id").asString());
        assertThat(deleted.status()).as(deleted.text()).isEqualTo(200);
        assertThat(deleted.get("deleted").asBoolean()).isTrue();
        assertThat(deleted.get("id").asString()).isEqualTo(next.get("id").asString());
        assertThat(api.get(base + "/" + next.get("id").asString()).status()).isEqualTo(404);
        JsonNode list = api.get(base).get("data");
        assertThat(list).hasSize(1);
        assertThat(list.get(0).get("state").asString()).isEqualTo("cancelled");

        // Bad requests.
        assertThat(api.post(base, "{}").get("validation_errors").has("table")).isTrue();
        ApiClient.Reply unknownTable = api.post(base, "{\"table\": \"public.nope\"}");
        assertThat(unknownTable.status()).as(unknownTable.text()).isEqualTo(422);
        ApiClient.Reply unknownColumn = api.post(base, "{\"table\": \"big\", \"sort_column\": \"nope\"}");
        assertThat(unknownColumn.status()).as(unknownColumn.text()).isEqualTo(422);
        assertThat(unknownColumn.get("validation_errors").has("sort_column")).isTrue();
        ApiClient.Reply noPk = api.post(base, "{\"table\": \"nopk\"}");
        assertThat(noPk.status()).as(noPk.text()).isEqualTo(422);
        ApiClient.Reply noSort = api.post(base, "{\"table\": \"big\", \"start_position\": \"5\"}");
        assertThat(noSort.status()).as(noSort.text()).isEqualTo(422);
        assertThat(api.post(base, "{\"table\": \"big\", \"bogus\": 1}").status())
                .isEqualTo(422);
        assertThat(api.get(base + "/not-a-uuid").status()).isEqualTo(404);
        assertThat(api.get("/api/sinks/nope/backfills").status()).isEqualTo(404);
    }

    @Test
    void initialBackfill_onSinkCreate_backfillsTheSinksTable() {
        ApiClient.Reply refused = api.post("/api/sinks", """
                {"name": "bf-init-bad", "database": "bf-db", "initial_backfill": {"table": "public.nope"},
                 "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(receiver.url()));
        assertThat(refused.status()).as(refused.text()).isEqualTo(422);
        assertThat(api.get("/api/sinks/bf-init-bad").status()).isEqualTo(404);

        sink("bf-init", ", \"source\": {\"include_tables\": [\"public.small\"]}, \"initial_backfill\": true");
        JsonNode list = api.get("/api/sinks/bf-init/backfills").get("data");
        assertThat(list).hasSize(1);
        awaitState("/api/sinks/bf-init/backfills/" + list.get(0).get("id").asString(), "completed");
        await().atMost(Duration.ofSeconds(30)).until(() -> reads("bf-init").size() >= 10);
        sluice.slot(db).awaitCaughtUp();
        assertThat(reads("bf-init")).hasSize(10);
    }
}
