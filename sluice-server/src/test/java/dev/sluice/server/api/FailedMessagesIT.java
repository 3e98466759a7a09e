package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * One row the receiver keeps refusing (issue scenario: "one group's message keeps failing"): the other rows keep
 * flowing, the slot still advances because the failing row's messages are stored, the failed-messages API shows
 * them, and discarding and redelivering through the API release the row in order.
 */
class FailedMessagesIT {
    private static final int ROWS = 40;
    private static final int ROUNDS = 3;
    private static final int BAD = 7;

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
        db = sluice.database("failed", "CREATE TABLE items (id int PRIMARY KEY, seq int NOT NULL)");
    }

    @Test
    void aRefusedRowIsStoredAndListed_othersFlow_theSlotAdvances_andDiscardThenRedeliverReleaseIt() throws Exception {
        receiver.refuseMessages(m -> m.get("record").get("id").asInt() == BAD);
        assertThat(api.post("/api/postgres_databases", sluice.databaseJson("failed-db", db))
                        .status())
                .isEqualTo(201);
        ApiClient.Reply sink = api.post("/api/sinks", """
                {"name": "refusing", "database": "failed-db", "batch_size": 10,
                 "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(receiver.url()));
        assertThat(sink.status()).as(sink.text()).isEqualTo(201);
        sluice.awaitSinkHealthy("refusing");

        // Each row: an insert (seq 0), then ROUNDS updates (seq 1..ROUNDS), one transaction per statement. The
        // updates come once the bad row's insert has failed, so they queue behind it without being attempted.
        ServerFixture.PG.execute(db, "INSERT INTO items SELECT g, 0 FROM generate_series(1, " + ROWS + ") g");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> api.get("/api/sinks/refusing/messages?state=failed")
                                .get("data")
                                .size()
                        == 1);
        for (int round = 1; round <= ROUNDS; round++) {
            ServerFixture.PG.execute(db, "UPDATE items SET seq = " + round);
        }
        long lastCommit = sluice.slot(db).walInsertLsn(); // synchronous_commit is off

        // Every other row arrives, each in order.
        int others = (ROWS - 1) * (ROUNDS + 1);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> accepted(id -> id != BAD).size() == others);
        assertRowsInOrder(accepted(id -> id != BAD));
        // The refused row's messages are stored, so the slot moves past every transaction.
        sluice.slot(db)
                .awaitConfirmed(
                        lsn -> Long.compareUnsigned(lsn, lastCommit) >= 0,
                        ServerFixture.WAIT,
                        "passes every transaction, the refused row's stored");

        // The API lists them: the insert failed, the updates wait behind it.
        JsonNode failed = api.get("/api/sinks/refusing/messages?state=failed").get("data");
        assertThat(failed).hasSize(1);
        JsonNode first = failed.get(0);
        assertThat(first.get("state").asString()).isEqualTo("failed");
        assertThat(first.get("deliver_count").asInt()).isPositive();
        assertThat(first.get("last_error").asString()).contains("500");
        assertThat(first.get("data").get("record").get("id").asInt()).isEqualTo(BAD);
        assertThat(first.get("data").get("action").asString()).isEqualTo("insert");
        assertThat(first.get("next_attempt_at").isNull()).isFalse();
        JsonNode pending = api.get("/api/sinks/refusing/messages?state=pending").get("data");
        assertThat(pending).hasSize(ROUNDS);
        assertThat(api.get("/api/sinks/refusing/messages").get("data")).hasSize(ROUNDS + 1);
        // Cursor pages.
        ApiClient.Reply page = api.get("/api/sinks/refusing/messages?limit=2");
        assertThat(page.get("data")).hasSize(2);
        ApiClient.Reply rest = api.get("/api/sinks/refusing/messages?limit=2&after="
                + page.get("next_cursor").asString());
        assertThat(rest.get("data")).hasSize(2);
        assertThat(rest.get("next_cursor").isNull()).isTrue();
        // Health says which row is failing.
        JsonNode health = api.get("/api/sinks/refusing").get("health");
        assertThat(health.get("status").asString()).isEqualTo("error");
        assertThat(health.get("checks").get(1).get("failing_groups").asInt()).isEqualTo(1);
        assertThat(java.time.Instant.parse(
                        health.get("checks").get(1).get("oldest_failure_at").asString()))
                .isBefore(java.time.Instant.now());

        // Bad requests.
        assertThat(api.post("/api/sinks/refusing/messages/1-2-3/discard", null).status())
                .isEqualTo(422);
        assertThat(api.post("/api/sinks/refusing/messages/1-0/discard", null).status())
                .isEqualTo(404);
        assertThat(api.get("/api/sinks/refusing/messages?state=lost").status()).isEqualTo(422);
        assertThat(api.post("/api/sinks/nope/messages/redeliver", null).status())
                .isEqualTo(404);
        String pendingId = pending.get(0).get("id").asString();
        assertThat(api.post("/api/sinks/refusing/messages/" + pendingId + "/discard", null)
                        .status())
                .as("a message waiting behind the failed one")
                .isEqualTo(422);

        // Discard the failed insert: the row goes on with its first update, which is refused in turn.
        ApiClient.Reply discarded =
                api.post("/api/sinks/refusing/messages/" + first.get("id").asString() + "/discard", null);
        assertThat(discarded.status()).as(discarded.text()).isEqualTo(200);
        assertThat(discarded.get("discarded").asInt()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            JsonNode f = api.get("/api/sinks/refusing/messages?state=failed").get("data");
            return f.size() == 1
                    && f.get(0).get("data").get("record").get("seq").asInt() == 1;
        });
        // The discarded insert stays listed for inspection, and cannot be acted on again.
        await().atMost(Duration.ofSeconds(10))
                .until(() -> api.get("/api/sinks/refusing/messages?state=discarded")
                                .get("data")
                                .size()
                        == 1);
        JsonNode gone = api.get("/api/sinks/refusing/messages?state=discarded")
                .get("data")
                .get(0);
        assertThat(gone.get("id").asString()).isEqualTo(first.get("id").asString());
        assertThat(gone.get("state").asString()).isEqualTo("discarded");
        assertThat(gone.get("deliver_count").asInt()).isPositive();
        assertThat(gone.get("last_error").asString()).contains("500");
        assertThat(gone.get("data").get("record").get("seq").asInt()).isZero();
        assertThat(java.time.Instant.parse(gone.get("discarded_at").asString())).isBefore(java.time.Instant.now());
        assertThat(api.get("/api/sinks/refusing/messages").get("data"))
                .as("live messages only by default")
                .noneMatch(m -> m.get("id").asString().equals(first.get("id").asString()));
        assertThat(api.post("/api/sinks/refusing/messages/" + first.get("id").asString() + "/redeliver", null)
                        .status())
                .isEqualTo(409);

        // Accept the row again and redeliver at once: its updates arrive in order, and the store empties.
        receiver.refuseMessages(null);
        ApiClient.Reply redelivered = api.post("/api/sinks/refusing/messages/redeliver", null);
        assertThat(redelivered.status()).as(redelivered.text()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> accepted(id -> id == BAD).size() == ROUNDS);
        List<Integer> badSeqs = new ArrayList<>();
        accepted(id -> id == BAD)
                .forEach(m -> badSeqs.add(m.get("record").get("seq").asInt()));
        assertThat(badSeqs).containsExactly(1, 2, 3);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> api.get("/api/sinks/refusing/messages").get("data").isEmpty());
        assertThat(api.get("/api/sinks/refusing/messages?state=discarded").get("data"))
                .hasSize(1);
        sluice.awaitSinkHealthy("refusing");
        assertThat(api.get("/api/sinks/refusing")
                        .get("health")
                        .get("checks")
                        .get(1)
                        .get("discarded")
                        .asInt())
                .isEqualTo(1);
    }

    private static List<JsonNode> accepted(java.util.function.IntPredicate row) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode m : receiver.acceptedMessages()) {
            if (row.test(m.get("record").get("id").asInt())) {
                out.add(m);
            }
        }
        return out;
    }

    private static void assertRowsInOrder(List<JsonNode> messages) {
        java.util.Map<Integer, List<Integer>> seqs = new java.util.TreeMap<>();
        for (JsonNode m : messages) {
            seqs.computeIfAbsent(m.get("record").get("id").asInt(), k -> new ArrayList<>())
                    .add(m.get("record").get("seq").asInt());
        }
        seqs.forEach((id, list) -> assertThat(list).as("row %d", id).containsExactly(0, 1, 2, 3));
    }
}
