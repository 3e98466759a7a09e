package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static dev.sluice.server.fixture.ServerFixture.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.fixture.Messages;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** sluice.yaml → server → real Postgres → real HTTP receiver, asserting the exact messages. */
class EndToEndIT {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    private String db;
    private WebhookReceiver receiver;

    @BeforeEach
    void setUp() {
        db = sluice.database(
                "e2e",
                "CREATE TABLE users (id int PRIMARY KEY, name text, score numeric(6,2), active boolean, tags text[],"
                        + " created_at timestamptz)",
                "CREATE SCHEMA shop",
                "CREATE TABLE shop.items (sku text PRIMARY KEY, qty int NOT NULL)",
                "CREATE TABLE counters (id int PRIMARY KEY, seq int NOT NULL)");
        receiver = sluice.receiver();
    }

    private void start(String sinkExtra) {
        sluice.start(sluice.yaml(db, sinkExtra));
        sluice.awaitStreaming();
    }

    private UUID id(String table, String name) throws Exception {
        try (var c = PG.connect(sluice.metaDb());
                var ps = c.prepareStatement("SELECT id FROM sluice." + table + " WHERE name = ?")) {
            ps.setString(1, name);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getObject(1, UUID.class);
            }
        }
    }

    @Test
    void deliversInsertUpdateDeleteAsTheExactMessageJson() throws Exception {
        start("batch_size: 10");
        PG.execute(
                db,
                "INSERT INTO users VALUES (1, 'Ada', 12.50, true, '{a,\"b c\"}', '2024-10-28 21:37:01.12747+00')",
                "UPDATE users SET name = 'Ada L.' WHERE id = 1",
                "DELETE FROM users WHERE id = 1");
        List<JsonNode> got = receiver.awaitMessages(3, WAIT);

        String sinkId = id("sinks", "hook").toString();
        String dbId = id("postgres_databases", "source").toString();
        String context = """
                "consumer":{"id":"%s","name":"hook","annotations":{}},
                "database":{"id":"%s","name":"source","annotations":{},"database":"%s","hostname":"localhost"},
                "database_name":"source"
                """.formatted(sinkId, dbId, db);
        String record = "{\"id\":1,\"name\":\"Ada\",\"score\":\"12.50\",\"active\":true,\"tags\":[\"a\",\"b c\"],"
                + "\"created_at\":\"2024-10-28T21:37:01.127470Z\"}";
        assertMessage(got.get(0), record, "null", "insert", context);
        assertMessage(got.get(1), record.replace("\"Ada\"", "\"Ada L.\""), "{}", "update", context);
        // Default replica identity: the delete carries the key, other columns are null.
        assertMessage(
                got.get(2),
                "{\"id\":1,\"name\":null,\"score\":null,\"active\":null,\"tags\":null,\"created_at\":null}",
                "null",
                "delete",
                context);
        assertThat(receiver.requests().getFirst().header("X-Test")).contains("yes");
        assertThat(receiver.requests().getFirst().path()).isEqualTo("/events");
    }

    private static void assertMessage(JsonNode m, String record, String changes, String action, String context) {
        JsonNode meta = m.get("metadata");
        String expected = """
                {"record":%s,"changes":%s,"action":"%s","metadata":{
                "table_schema":"public","table_name":"users",
                "commit_timestamp":"%s","commit_lsn":%d,"commit_idx":0,"idempotency_key":"%s",
                "record_pks":["1"],"transaction_annotations":null,"enrichment":null,%s}}
                """.formatted(
                        record,
                        changes,
                        action,
                        meta.get("commit_timestamp").asString(),
                        meta.get("commit_lsn").asLong(),
                        Messages.idempotencyKey(m),
                        context);
        assertThat(m).isEqualTo(JSON.readTree(expected));
        assertThat(meta.get("commit_timestamp").asString())
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z");
        assertThat(meta.get("idempotency_key").asString()).isEqualTo(Messages.idempotencyKey(m));
    }

    @Test
    void multiStatementTransactionKeepsCommitIdxOrderAcrossTables() throws Exception {
        start("batch_size: 100");
        try (var c = PG.connect(db)) {
            c.setAutoCommit(false);
            var s = c.createStatement();
            s.execute("INSERT INTO shop.items VALUES ('sku-1', 5)");
            s.execute("INSERT INTO users (id, name) VALUES (7, 'Grace')");
            s.execute("UPDATE shop.items SET qty = 4 WHERE sku = 'sku-1'");
            c.commit();
        }
        List<JsonNode> got = receiver.awaitMessages(3, WAIT);
        assertThat(got)
                .extracting(m -> m.get("metadata").get("table_schema").asString() + "."
                        + m.get("metadata").get("table_name").asString() + ":"
                        + m.get("action").asString() + ":"
                        + m.get("metadata").get("commit_idx").asInt())
                .containsExactly("shop.items:insert:0", "public.users:insert:1", "shop.items:update:2");
        assertThat(got)
                .extracting(m -> m.get("metadata").get("commit_lsn").asLong())
                .containsOnly(got.getFirst().get("metadata").get("commit_lsn").asLong());
        assertThat(got.get(2).get("record").get("qty").asInt()).isEqualTo(4);
        // batched: one request carried the whole transaction
        assertThat(receiver.requests().getFirst().body()).startsWith("{\"data\":[");
    }

    @Test
    void actionsAndSourceFiltersHold() throws Exception {
        start("""
                actions: [insert, delete]
                source:
                  include_tables: [public.users]
                """);
        PG.execute(
                db,
                "INSERT INTO shop.items VALUES ('ignored', 1)",
                "INSERT INTO users (id, name) VALUES (1, 'a')",
                "UPDATE users SET name = 'b' WHERE id = 1",
                "INSERT INTO counters VALUES (1, 1)",
                "DELETE FROM users WHERE id = 1",
                "INSERT INTO users (id, name) VALUES (2, 'sentinel')");
        receiver.awaitMessages(3, WAIT);
        sluice.slot(db).awaitCaughtUp(); // every change was routed: anything wrongly routed has arrived
        assertThat(Messages.inCommitOrder(receiver.messages()))
                .extracting(m -> m.get("action").asString() + ":"
                        + m.get("record").get("id").asInt())
                .containsExactly("insert:1", "delete:1", "insert:2");
    }

    @Test
    void changesOfEachRowArriveInCommitOrder() throws Exception {
        start("batch_size: 50");
        int rows = 20;
        int updates = 600;
        for (int i = 0; i < rows; i++) {
            PG.execute(db, "INSERT INTO counters VALUES (" + i + ", 0)");
        }
        Random random = new Random(42);
        try (var c = PG.connect(db)) {
            c.setAutoCommit(false);
            var s = c.createStatement();
            for (int i = 0; i < updates; i++) {
                s.execute("UPDATE counters SET seq = seq + 1 WHERE id = " + random.nextInt(rows));
                if (random.nextInt(4) == 0) {
                    c.commit();
                }
            }
            c.commit();
        }
        List<JsonNode> got = receiver.awaitMessages(rows + updates, WAIT);
        Map<Integer, Integer> last = new HashMap<>();
        List<String> violations = new ArrayList<>();
        for (JsonNode m : got) {
            int id = m.get("record").get("id").asInt();
            int seq = m.get("record").get("seq").asInt();
            Integer prev = last.put(id, seq);
            if (prev != null && seq != prev + 1) {
                violations.add("row " + id + ": " + prev + " then " + seq);
            }
        }
        assertThat(violations).isEmpty();
        assertThat(last.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(updates);
    }

    @Test
    void alterTableBetweenChangesKeepsStreaming() throws Exception {
        start("");
        PG.execute(db, "INSERT INTO shop.items VALUES ('a', 1)");
        PG.execute(db, "ALTER TABLE shop.items ADD COLUMN note text DEFAULT 'n/a'");
        PG.execute(db, "INSERT INTO shop.items VALUES ('b', 2, 'hello')");
        PG.execute(db, "ALTER TABLE shop.items DROP COLUMN qty");
        PG.execute(db, "UPDATE shop.items SET note = 'bye' WHERE sku = 'a'");
        List<JsonNode> got = Messages.inCommitOrder(receiver.awaitMessages(3, WAIT));
        assertThat(got.get(0).get("record")).isEqualTo(JSON.readTree("{\"sku\":\"a\",\"qty\":1}"));
        assertThat(got.get(1).get("record")).isEqualTo(JSON.readTree("{\"sku\":\"b\",\"qty\":2,\"note\":\"hello\"}"));
        assertThat(got.get(2).get("record")).isEqualTo(JSON.readTree("{\"sku\":\"a\",\"note\":\"bye\"}"));
    }

    @Test
    void webhookOutageIsRetriedWithoutLosingTheSlotPosition() throws Exception {
        receiver.respondNext(500, 503);
        start("");
        PG.execute(
                db,
                "INSERT INTO users (id, name) VALUES (1, 'first')",
                "UPDATE users SET name = 'second' WHERE id = 1");
        receiver.awaitAccepted(2, WAIT);
        // the first message was attempted three times (500, 503, 200) and its row's next change did not overtake it
        assertThat(receiver.acceptedMessages())
                .extracting(m -> m.get("record").get("name").asString())
                .containsExactly("first", "second");
        assertThat(receiver.requests())
                .extracting(WebhookReceiver.Request::status)
                .startsWith(500, 503, 200);
    }

    @Test
    void transactionAnnotationsComeFromALogicalMessageInTheTransaction() throws Exception {
        start("");
        try (var c = PG.connect(db)) {
            c.setAutoCommit(false);
            var s = c.createStatement();
            s.execute("INSERT INTO users (id, name) VALUES (1, 'before')");
            s.execute("SELECT pg_logical_emit_message(true, 'sequin:transaction_annotations.set',"
                    + " '{\"username\": \"ada\", \"request_id\": \"r-1\"}')");
            s.execute("INSERT INTO users (id, name) VALUES (2, 'annotated')");
            c.commit();
            s.execute("INSERT INTO users (id, name) VALUES (3, 'next transaction')");
            c.commit();
        }
        List<JsonNode> got = Messages.inCommitOrder(receiver.awaitMessages(3, WAIT));
        assertThat(got.get(0).get("metadata").get("transaction_annotations").isNull())
                .isTrue();
        assertThat(got.get(1).get("metadata").get("transaction_annotations"))
                .isEqualTo(JSON.readTree("{\"username\":\"ada\",\"request_id\":\"r-1\"}"));
        assertThat(got.get(2).get("metadata").get("transaction_annotations").isNull())
                .isTrue();
    }
}
