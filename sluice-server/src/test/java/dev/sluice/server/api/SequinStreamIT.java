package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * A sequin_stream sink pulled by two concurrent consumers over the API, against a real database: every change is
 * acknowledged, each row's changes are handed out in order and one at a time, and what a consumer took and never
 * acknowledged goes out again after the visibility timeout.
 */
class SequinStreamIT {
    private static final int ROWS = 60;
    private static final int CHANGES_PER_ROW = 5; // an insert and four updates

    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;
    static String db;

    @BeforeAll
    static void start() {
        sluice.start();
        api = sluice.api();
        db = sluice.database("stream", "CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL)");
        ApiClient.Reply d = api.post("/api/postgres_databases", sluice.databaseJson("st-db", db));
        assertThat(d.status()).as(d.text()).isEqualTo(201);
        ApiClient.Reply s = api.post("/api/sinks", """
                {"name": "pulled", "database": "st-db", "batch_size": 25,
                 "destination": {"type": "sequin_stream", "visibility_timeout_ms": 1500}}""");
        assertThat(s.status()).as(s.text()).isEqualTo(201);
        assertThat(s.get("destination").get("type").asString()).isEqualTo("sequin_stream");
        assertThat(s.get("destination").get("visibility_timeout_ms").asLong()).isEqualTo(1500);
        ApiClient.Reply hook = api.post("/api/sinks", """
                {"name": "hooked", "database": "st-db", "status": "disabled",
                 "destination": {"type": "webhook", "http_endpoint": "http://127.0.0.1:9/x"}}""");
        assertThat(hook.status()).as(hook.text()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(60))
                .until(() ->
                        api.post("/api/sequin_streams/pulled/receive", "{}").status() == 200);
    }

    /** One hand-out, as a consumer saw it. */
    private record Got(String consumer, String ackId, int id, int n) {}

    @Test
    void twoConsumers_everyChangeAcked_perRowInOrder_andWhatACrashedConsumerHeldComesBack() throws Exception {
        for (int round = 0; round < CHANGES_PER_ROW; round++) {
            ServerFixture.PG.execute(
                    db,
                    round == 0
                            ? "INSERT INTO items SELECT g, 0 FROM generate_series(1, " + ROWS + ") g"
                            : "UPDATE items SET n = " + round + " WHERE id <= " + ROWS);
        }
        List<Got> handedOut = Collections.synchronizedList(new ArrayList<>());
        Set<String> acked = Collections.synchronizedSet(new HashSet<>());
        Set<String> crashed = Collections.synchronizedSet(new HashSet<>());
        AtomicBoolean done = new AtomicBoolean();
        List<Thread> consumers = new ArrayList<>();
        for (String name : List.of("a", "b")) {
            consumers.add(Thread.ofVirtual()
                    .uncaughtExceptionHandler((t, e) -> e.printStackTrace())
                    .start(() -> {
                        boolean crash = name.equals("b"); // b's first batch is taken and never acknowledged
                        while (!done.get()) {
                            ApiClient.Reply r = api.post(
                                    "/api/sequin_streams/pulled/receive", "{\"batch_size\": 7, \"wait_for\": 300}");
                            if (r.status() != 200) {
                                throw new AssertionError(r.text());
                            }
                            List<String> ids = new ArrayList<>();
                            for (JsonNode item : r.get("data")) {
                                String ackId = item.get("ack_id").asString();
                                JsonNode message = item.get("data");
                                // The documented shape (fields beside ack_id) and the nested one carry the same
                                // message.
                                assertThat(item.get("record")).isEqualTo(message.get("record"));
                                if (message.at("/record/id").asInt() > ROWS) {
                                    ids.add(ackId); // the other test's row
                                    continue;
                                }
                                handedOut.add(new Got(
                                        name,
                                        ackId,
                                        message.at("/record/id").asInt(),
                                        message.at("/record/n").asInt()));
                                ids.add(ackId);
                            }
                            if (ids.isEmpty()) {
                                continue;
                            }
                            if (crash) {
                                crashed.addAll(ids);
                                crash = false;
                                continue;
                            }
                            ApiClient.Reply ack = api.post(
                                    "/api/sequin_streams/pulled/ack",
                                    "{\"ack_ids\": " + Requests.JSON.writeValueAsString(ids) + "}");
                            assertThat(ack.status()).as(ack.text()).isEqualTo(200);
                            assertThat(ack.get("success").asBoolean()).isTrue();
                            acked.addAll(ids);
                        }
                    }));
        }
        try {
            await().atMost(Duration.ofSeconds(60))
                    .failFast("a consumer stopped", () -> consumers.stream().anyMatch(t -> !t.isAlive()))
                    .until(
                            () -> "acked " + distinctAcked(handedOut, acked) + " of " + ROWS * CHANGES_PER_ROW
                                    + ", handed out " + handedOut.size() + ", by row " + byRow(handedOut),
                            t -> t.startsWith("acked " + ROWS * CHANGES_PER_ROW + " "));
        } finally {
            done.set(true);
            for (Thread t : consumers) {
                t.join(5_000);
            }
        }

        // Every change once acknowledged: each (row, n) pair, nothing else.
        Set<String> changes = new HashSet<>();
        synchronized (handedOut) {
            for (Got g : handedOut) {
                if (acked.contains(g.ackId())) {
                    changes.add(g.id() + ":" + g.n());
                }
            }
        }
        assertThat(changes).hasSize(ROWS * CHANGES_PER_ROW);
        // Per row, hand-outs follow the changes' order: a row's next change is not out while one is.
        Map<Integer, List<Integer>> perRow = new HashMap<>();
        synchronized (handedOut) {
            for (Got g : handedOut) {
                List<Integer> seq = perRow.computeIfAbsent(g.id(), k -> new ArrayList<>());
                if (seq.isEmpty() || seq.getLast() != g.n()) {
                    seq.add(g.n());
                }
            }
        }
        assertThat(perRow).hasSize(ROWS);
        perRow.forEach((id, seq) -> assertThat(seq).as("row %d", id).containsExactly(0, 1, 2, 3, 4));
        // What b took and dropped came back (same ack ids) and was acknowledged by someone.
        assertThat(crashed).isNotEmpty();
        assertThat(acked).containsAll(crashed);
        long redelivered =
                handedOut.stream().filter(g -> crashed.contains(g.ackId())).count();
        assertThat(redelivered).isGreaterThanOrEqualTo(2L * crashed.size());
    }

    @Test
    void receiveByGet_nack_andErrors() {
        ServerFixture.PG.execute(db, "INSERT INTO items VALUES (10001, 0)");
        JsonNode item = await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> api.get("/api/http_pull_consumers/pulled/receive?batch_size=1&wait_for=200")
                                .get("data"),
                        d -> d.size() == 1 && d.get(0).at("/record/id").asInt() == 10001)
                .get(0);
        String ackId = item.get("ack_id").asString();
        assertThat(api.post("/api/http_pull_consumers/pulled/nack", "{\"ack_ids\": [\"" + ackId + "\"]}")
                        .status())
                .isEqualTo(200);
        JsonNode again = api.post("/api/sequin_streams/pulled/receive", "{\"batch_size\": 5}")
                .get("data");
        assertThat(again).anySatisfy(d -> assertThat(d.get("ack_id").asString()).isEqualTo(ackId));
        assertThat(api.post("/api/sequin_streams/pulled/ack", "{\"ack_ids\": [\"" + ackId + "\"]}")
                        .status())
                .isEqualTo(200);

        assertThat(api.post("/api/sequin_streams/nope/receive", "{}").status()).isEqualTo(404);
        ApiClient.Reply notStream = api.post("/api/sequin_streams/hooked/receive", "{}");
        assertThat(notStream.status()).isEqualTo(422);
        assertThat(notStream.text()).contains("webhook").contains("sequin_stream");
        ApiClient.Reply badSize = api.post("/api/sequin_streams/pulled/receive", "{\"batch_size\": 0}");
        assertThat(badSize.status()).isEqualTo(422);
        assertThat(badSize.text()).contains("batch_size");
        assertThat(api.post("/api/sequin_streams/pulled/ack", "{}").status()).isEqualTo(422);
    }

    @Test
    void aSinkListingTablesWithoutSource_streamsExactlyThoseTables() {
        String two = sluice.database(
                "tables", "CREATE TABLE wanted (id int PRIMARY KEY)", "CREATE TABLE other (id int PRIMARY KEY)");
        ApiClient.Reply d = api.post("/api/postgres_databases", sluice.databaseJson("tables-db", two));
        assertThat(d.status()).as(d.text()).isEqualTo(201);
        // Sequin's meaning of tables (and Terraform's "tables to stream changes from"): no source, so only these.
        ApiClient.Reply s = api.post("/api/sinks", """
                {"name": "only-wanted", "database": "tables-db",
                 "tables": [{"name": "public.wanted", "group_column_names": []}],
                 "destination": {"type": "sequin_stream"}}""");
        assertThat(s.status()).as(s.text()).isEqualTo(201);
        assertThat(s.get("source").get("include_tables").toString()).isEqualTo("[\"public.wanted\"]");
        await().atMost(Duration.ofSeconds(60))
                .until(() -> api.post("/api/sequin_streams/only-wanted/receive", "{}")
                                .status()
                        == 200);
        ServerFixture.PG.execute(two, "INSERT INTO other VALUES (1)", "INSERT INTO wanted VALUES (2)");
        JsonNode got = await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> api.post("/api/sequin_streams/only-wanted/receive", "{\"batch_size\": 10}")
                                .get("data"),
                        data -> !data.isEmpty());
        assertThat(got).hasSize(1);
        assertThat(got.get(0).at("/metadata/table_name").asString()).isEqualTo("wanted");
        // The insert into other was committed first: had it been streamed, it would have come out with or before it.
        String ackId = got.get(0).get("ack_id").asString();
        assertThat(api.post("/api/sequin_streams/only-wanted/ack", "{\"ack_ids\": [\"" + ackId + "\"]}")
                        .status())
                .isEqualTo(200);
        assertThat(api.post("/api/sequin_streams/only-wanted/receive", "{\"batch_size\": 10}")
                        .get("data"))
                .isEmpty();
        assertThat(api.delete("/api/sinks/only-wanted").status()).isEqualTo(200);
        assertThat(api.delete("/api/postgres_databases/tables-db").status()).isEqualTo(200);
    }

    @Test
    void aDisabledReplicationSlot_isNotRead_andActiveAgainResumesWhereItStopped() {
        String paused = sluice.database("slotoff", "CREATE TABLE rows (id int PRIMARY KEY)");
        ApiClient.Reply d = api.post("/api/postgres_databases", sluice.databaseJson("slotoff-db", paused));
        assertThat(d.status()).as(d.text()).isEqualTo(201);
        String slotName = d.get("replication_slots").get(0).get("slot_name").asString();
        ApiClient.Reply s = api.post("/api/sinks", """
                {"name": "slotoff-stream", "database": "slotoff-db", "destination": {"type": "sequin_stream"}}""");
        assertThat(s.status()).as(s.text()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> api.post("/api/sequin_streams/slotoff-stream/receive", "{}")
                                .status()
                        == 200);

        ApiClient.Reply off = api.patch(
                "/api/postgres_databases/slotoff-db",
                "{\"replication_slots\": [{\"slot_name\": \"" + slotName + "\", \"status\": \"disabled\"}]}");
        assertThat(off.status()).as(off.text()).isEqualTo(200);
        assertThat(off.get("replication_slots").get(0).get("status").asString()).isEqualTo("disabled");
        // Not read: the slot has no reader, and the database's sink does not run.
        await().atMost(Duration.ofSeconds(30))
                .until(() -> !slotActive(paused, slotName)
                        && api.post("/api/sequin_streams/slotoff-stream/receive", "{}")
                                        .status()
                                == 409);
        ServerFixture.PG.execute(paused, "INSERT INTO rows VALUES (7)");
        assertThat(api.get("/api/postgres_databases/slotoff-db")
                        .get("replication_slots")
                        .get(0)
                        .get("status")
                        .asString())
                .isEqualTo("disabled");
        ApiClient.Reply bad = api.patch(
                "/api/postgres_databases/slotoff-db",
                "{\"replication_slots\": [{\"slot_name\": \"" + slotName + "\", \"status\": \"sleeping\"}]}");
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.get("validation_errors").has("replication_slots[0].status"))
                .as(bad.text())
                .isTrue();

        ApiClient.Reply on = api.patch(
                "/api/postgres_databases/slotoff-db",
                "{\"replication_slots\": [{\"slot_name\": \"" + slotName + "\", \"status\": \"active\"}]}");
        assertThat(on.status()).as(on.text()).isEqualTo(200);
        // The row written meanwhile comes through: the slot kept its position.
        JsonNode got = await().atMost(Duration.ofSeconds(60))
                .ignoreExceptions()
                .until(
                        () -> api.post("/api/sequin_streams/slotoff-stream/receive", "{\"batch_size\": 10}")
                                .get("data"),
                        data -> !data.isEmpty());
        assertThat(got.get(0).at("/record/id").asInt()).isEqualTo(7);
        assertThat(api.delete("/api/sinks/slotoff-stream").status()).isEqualTo(200);
        assertThat(api.delete("/api/postgres_databases/slotoff-db").status()).isEqualTo(200);
    }

    private static boolean slotActive(String database, String slot) {
        try (var c = ServerFixture.PG.connect(database);
                var ps = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (var rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void waitFor_takesSequinsDurationsUpToFiveMinutes() {
        // Sequin's "60s" / "5m" forms, in the body and in the query string; a wait ends early when nothing comes.
        assertThat(api.post("/api/http_pull_consumers/pulled/receive", "{\"wait_for\": \"1s\"}")
                        .status())
                .isEqualTo(200);
        assertThat(api.get("/api/http_pull_consumers/pulled/receive?wait_for=250ms")
                        .status())
                .isEqualTo(200);
        for (String bad : List.of("300001", "\"6m\"", "\"soon\"", "-1", "\"1h\"")) {
            ApiClient.Reply r = api.post("/api/sequin_streams/pulled/receive", "{\"wait_for\": " + bad + "}");
            assertThat(r.status()).as(bad).isEqualTo(422);
            assertThat(r.get("validation_errors").has("wait_for")).as(bad).isTrue();
        }
        assertThat(api.get("/api/sequin_streams/pulled/receive?wait_for=301s").status())
                .isEqualTo(422);
    }

    private static String byRow(List<Got> handedOut) {
        Map<Integer, List<Integer>> out = new java.util.TreeMap<>();
        synchronized (handedOut) {
            handedOut.forEach(
                    g -> out.computeIfAbsent(g.id(), k -> new ArrayList<>()).add(g.n()));
        }
        return out.toString();
    }

    private static int distinctAcked(List<Got> handedOut, Set<String> acked) {
        Set<String> changes = new HashSet<>();
        synchronized (handedOut) {
            for (Got g : handedOut) {
                if (acked.contains(g.ackId())) {
                    changes.add(g.id() + ":" + g.n());
                }
            }
        }
        return changes.size();
    }
}
