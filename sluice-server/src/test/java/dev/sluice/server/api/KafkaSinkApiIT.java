package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.sink.kafka.TestKafka;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Kafka sinks created through the API against a SASL/SCRAM broker and a real database: the password never shows
 * outside {@code show_sensitive} (not in responses, the metadata store or the export), every change lands in the
 * topic keyed by its row's primary key and in commit order per key, {@code test_connection} explains what is wrong,
 * and a broker outage loses nothing.
 */
class KafkaSinkApiIT {
    private static final String USER = "sluice-scram";
    // Distinctive, so that any leak is found by a plain substring search.
    private static final String PASSWORD = "kafka-Pw-9f27c1e4";
    private static final int PARTITIONS = 3;

    static TestKafka kafka;
    static ApiServer server;
    static ApiClient api;
    static String db;

    @BeforeAll
    static void start() throws Exception {
        kafka = TestKafka.sasl();
        kafka.createScramUser(USER, PASSWORD, ScramMechanism.SCRAM_SHA_256);
        for (String topic : List.of("items", "outage", "probe")) {
            kafka.createTopic(topic, PARTITIONS, Map.of());
        }
        server = ApiServer.start();
        api = server.client();
        db = ApiServer.PG.createDatabase("kafka");
        // One table per test: every sink sees every table, each test reads only its own table's records.
        ApiServer.PG.execute(
                db,
                "CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL)",
                "CREATE TABLE outage (id int PRIMARY KEY, n int NOT NULL)");
        ApiClient.Reply d = api.post("/api/postgres_databases", ApiServer.databaseJson("kafka-db", db, "kafka_slot"));
        assertThat(d.status()).as(d.text()).isEqualTo(201);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
            ApiServer.dropSlots(List.<String[]>of(new String[] {db, "kafka_slot"}));
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static String destination(String topic, String password, String extra) {
        return """
                {"type": "kafka", "hosts": "%s", "topic": "%s", "username": "%s", "password": "%s",
                 "sasl_mechanism": "SCRAM_SHA_256"%s}""".formatted(String.join(",", kafka.hosts()), topic, USER, password, extra);
    }

    private static ApiClient.Reply createSink(String name, String status, String destination) {
        return api.post("/api/sinks", """
                {"name": "%s", "database": "kafka-db", "batch_size": 20, "status": "%s", "destination": %s}""".formatted(name, status, destination));
    }

    @Test
    void credentials_neverShownOrStoredInClear_andAMaskedPatchKeepsThem_whileEveryChangeArrivesInKeyOrder()
            throws Exception {
        ApiClient.Reply created = createSink("to-kafka", "active", destination("items", PASSWORD, ""));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.text()).doesNotContain(PASSWORD);
        JsonNode dest = created.get("destination");
        assertThat(dest.get("type").asString()).isEqualTo("kafka");
        assertThat(dest.get("password").asString()).isEqualTo(Obfuscate.MASK);
        assertThat(dest.get("username").asString()).isEqualTo(USER);
        assertThat(dest.get("sasl_mechanism").asString()).isEqualToIgnoringCase("scram_sha_256");
        assertThat(api.get("/api/sinks/to-kafka").text()).doesNotContain(PASSWORD);
        assertThat(api.get("/api/sinks").text()).doesNotContain(PASSWORD);
        assertThat(api.get("/api/sinks/to-kafka?show_sensitive=true")
                        .get("destination")
                        .get("password")
                        .asString())
                .isEqualTo(PASSWORD);
        // At rest: sealed, neither in the spec JSON nor readable in the sealed column.
        assertThat(metadataRows("SELECT concat_ws(' ', spec::text, sealed_secrets) FROM sluice.sinks"))
                .isNotEmpty()
                .allSatisfy(row -> assertThat(row).doesNotContain(PASSWORD).contains(USER));
        assertThat(metadataRows("SELECT sealed_secrets FROM sluice.sinks"))
                .allSatisfy(s -> assertThat(s).isNotBlank());
        String exported = api.get("/api/config/export").get("yaml").asString();
        assertThat(exported).doesNotContain(PASSWORD).contains("kafka").contains(USER);
        // The export plans back unchanged: its masked password stands for the stored one.
        assertThat(api.send("POST", "/api/config/plan", exported, "application/yaml")
                        .get("changes"))
                .as(exported)
                .isEmpty();
        awaitHealthy("to-kafka");

        // ~50 rows: an insert and four updates each, in transactions of several rows.
        int rows = 50;
        int changesPerRow = 5;
        for (int round = 0; round < changesPerRow; round++) {
            ApiServer.PG.execute(
                    db,
                    round == 0
                            ? "INSERT INTO items SELECT g, 0 FROM generate_series(1, " + rows + ") g"
                            : "UPDATE items SET n = " + round + " WHERE id % 2 = 0",
                    round == 0 ? "SELECT 1" : "UPDATE items SET n = " + round + " WHERE id % 2 = 1");
        }
        Map<String, List<Integer>> byKey = awaitChanges("items", rows * changesPerRow);
        assertThat(byKey).hasSize(rows);
        for (int id = 1; id <= rows; id++) {
            // Nothing failed: exactly once each, in commit order.
            assertThat(byKey.get(String.valueOf(id))).as("row %d", id).containsExactly(0, 1, 2, 3, 4);
        }
        assertThat(partitionsUsed("items"))
                .as("keys spread over the topic's partitions")
                .hasSize(PARTITIONS);

        // A PATCH sending back the destination as the API showed it (password masked), with another compression:
        // the sink is rebuilt with the stored password and goes on delivering.
        ObjectNode masked = (ObjectNode) api.get("/api/sinks/to-kafka").get("destination");
        assertThat(masked.get("password").asString()).isEqualTo(Obfuscate.MASK);
        masked.put("compression", "lz4");
        ApiClient.Reply patched = api.patch("/api/sinks/to-kafka", "{\"destination\": " + masked + "}");
        assertThat(patched.status()).as(patched.text()).isEqualTo(200);
        assertThat(patched.text()).doesNotContain(PASSWORD);
        JsonNode shown = api.get("/api/sinks/to-kafka?show_sensitive=true").get("destination");
        assertThat(shown.get("password").asString()).isEqualTo(PASSWORD);
        assertThat(shown.get("compression").asString()).isEqualToIgnoringCase("lz4");
        assertThat(metadataRows("SELECT concat_ws(' ', spec::text, sealed_secrets) FROM sluice.sinks"))
                .allSatisfy(row -> assertThat(row).doesNotContain(PASSWORD));
        awaitHealthy("to-kafka");
        ApiServer.PG.execute(db, "UPDATE items SET n = 5");
        Map<String, List<Integer>> after = awaitChanges("items", rows * (changesPerRow + 1));
        for (int id = 1; id <= rows; id++) {
            // The rebuild may resend what was in flight: first occurrences in order.
            assertThat(firstOccurrences(after.get(String.valueOf(id))))
                    .as("row %d", id)
                    .containsExactly(0, 1, 2, 3, 4, 5);
        }
        awaitHealthy("to-kafka");
    }

    @Test
    void testConnection_passes_namesAMissingTopic_andAWrongPasswordWithoutShowingIt() {
        assertThat(createSink("probe-ok", "disabled", destination("probe", PASSWORD, ""))
                        .status())
                .isEqualTo(201);
        assertThat(createSink("probe-no-topic", "disabled", destination("no-such-topic", PASSWORD, ""))
                        .status())
                .isEqualTo(201);
        String wrong = "wrong-Pw-5b1d0a";
        assertThat(createSink("probe-bad-pw", "disabled", destination("probe", wrong, ""))
                        .status())
                .isEqualTo(201);

        ApiClient.Reply ok = api.post("/api/sinks/probe-ok/test_connection", null);
        assertThat(ok.status()).as(ok.text()).isEqualTo(200);
        assertThat(ok.get("success").asBoolean()).isTrue();

        ApiClient.Reply noTopic = api.post("/api/sinks/probe-no-topic/test_connection", null);
        assertThat(noTopic.status()).as(noTopic.text()).isEqualTo(422);
        assertThat(noTopic.get("success").asBoolean()).isFalse();
        assertThat(noTopic.get("reason").asString()).contains("no-such-topic").contains("does not exist");

        ApiClient.Reply badPw = api.post("/api/sinks/probe-bad-pw/test_connection", null);
        assertThat(badPw.status()).as(badPw.text()).isEqualTo(422);
        assertThat(badPw.get("success").asBoolean()).isFalse();
        assertThat(badPw.get("reason").asString()).containsIgnoringCase("authentication");
        assertThat(badPw.text()).doesNotContain(wrong).doesNotContain(PASSWORD);
    }

    @Test
    void brokerDownThenBack_whileWritesGoOn_everyChangeArrivesInKeyOrder_andTheSinkIsHealthyAgain() throws Exception {
        int rows = 20;
        int updates = 600;
        // A short request timeout, so that the outage shows as failed deliveries rather than long waits.
        ApiClient.Reply created =
                createSink("outage", "active", destination("outage", PASSWORD, ", \"request_timeout_ms\": 3000"));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        awaitHealthy("outage");
        ApiServer.PG.execute(db, "INSERT INTO outage SELECT g, 0 FROM generate_series(1, " + rows + ") g");

        // n + 1 on row (i mod rows) + 1, one small transaction each, spread over about 12 s.
        AtomicBoolean done = new AtomicBoolean();
        Thread writer = Thread.ofPlatform().name("outage-writer").start(() -> {
            try (Connection c = ApiServer.PG.connect(db);
                    PreparedStatement ps = c.prepareStatement("UPDATE outage SET n = n + 1 WHERE id = ?")) {
                for (int i = 0; i < updates; i++) {
                    ps.setInt(1, 1 + i % rows);
                    ps.executeUpdate();
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                done.set(true);
            }
        });
        Thread.sleep(2_000);
        kafka.stopBroker();
        boolean sawError = false;
        long downSince = System.nanoTime();
        while (System.nanoTime() - downSince < Duration.ofSeconds(8).toNanos()) {
            JsonNode health = api.get("/api/sinks/outage").get("health");
            sawError |=
                    health != null && !"healthy".equals(health.path("status").asString());
            Thread.sleep(500);
        }
        kafka.startBroker();
        writer.join(Duration.ofSeconds(60));
        assertThat(done).isTrue();
        assertThat(sawError).as("the sink's health showed the outage").isTrue();

        int perRow = updates / rows;
        Map<String, List<Integer>> byKey = awaitChanges("outage", rows * (perRow + 1), true);
        assertThat(byKey).hasSize(rows);
        List<Integer> expected = new ArrayList<>();
        for (int n = 0; n <= perRow; n++) {
            expected.add(n);
        }
        for (int id = 1; id <= rows; id++) {
            // Duplicates allowed (a batch cut short by the outage is sent again), order of first occurrences kept.
            assertThat(firstOccurrences(byKey.get(String.valueOf(id))))
                    .as("row %d", id)
                    .isEqualTo(expected);
        }
        awaitHealthy("outage");
    }

    /** The {@code record.n} values of a table's records in the topic, by record key, each in offset order. */
    private static Map<String, List<Integer>> byKey(String topic, String table) {
        Map<String, List<Integer>> out = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : kafka.readAll(topic)) {
            JsonNode m = ApiClient.JSON.readTree(r.value());
            if (!table.equals(m.at("/metadata/table_name").asString())) {
                continue;
            }
            String key = new String(r.key(), StandardCharsets.UTF_8);
            // The key is the row's group id: its primary key.
            assertThat(key).isEqualTo(m.at("/record/id").asString());
            out.computeIfAbsent(key, k -> new ArrayList<>())
                    .add(m.at("/record/n").asInt());
        }
        return out;
    }

    private static Map<String, List<Integer>> awaitChanges(String table, int distinct) {
        return awaitChanges(table, distinct, false);
    }

    /** Waits until the topic holds {@code distinct} different (key, n) changes of the table. */
    private static Map<String, List<Integer>> awaitChanges(String table, int distinct, boolean afterOutage) {
        List<Map<String, List<Integer>>> last = new ArrayList<>(List.of(Map.of()));
        await().atMost(Duration.ofSeconds(afterOutage ? 60 : 30))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> {
                            last.set(0, byKey(table, table));
                            return last.get(0);
                        },
                        m -> m.values().stream()
                                        .mapToInt(l -> firstOccurrences(l).size())
                                        .sum()
                                >= distinct);
        return last.get(0);
    }

    private static List<Integer> firstOccurrences(List<Integer> values) {
        List<Integer> out = new ArrayList<>();
        for (int v : values) {
            if (!out.contains(v)) {
                out.add(v);
            }
        }
        return out;
    }

    private static Map<Integer, Integer> partitionsUsed(String topic) {
        Map<Integer, Integer> counts = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : kafka.readAll(topic)) {
            counts.merge(r.partition(), 1, Integer::sum);
        }
        return counts;
    }

    private static void awaitHealthy(String sink) {
        await().atMost(Duration.ofSeconds(45)).until(() -> {
            JsonNode health = api.get("/api/sinks/" + sink).get("health");
            return health != null && "healthy".equals(health.path("status").asString());
        });
    }

    private static List<String> metadataRows(String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = ApiServer.PG.connect(server.metaDb);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
