package dev.sluice.server.api;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.sink.kafka.TestKafka;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * A Kafka sink created through the API against a SASL/SCRAM broker and a real database: every change lands in the
 * topic keyed by its row's primary key, in commit order per key, spread over the topic's partitions. (The sink itself
 * is covered by the conformance suite in its module, secrets in responses and exports by {@link SinkSecretsIT}.)
 */
class KafkaSinkApiIT {
    private static final String USER = "sluice-scram";
    private static final String PASSWORD = "kafka-Pw-9f27c1e4";
    private static final int PARTITIONS = 3;

    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static TestKafka kafka;
    static ApiClient api;
    static String db;

    @BeforeAll
    static void start() throws Exception {
        kafka = sluice.closeAfter(TestKafka.sasl());
        kafka.createScramUser(USER, PASSWORD, ScramMechanism.SCRAM_SHA_256);
        kafka.createTopic("items", PARTITIONS, Map.of());
        kafka.createTopic("items.even", 1, Map.of());
        kafka.createTopic("items.odd", 1, Map.of());
        sluice.start();
        api = sluice.api();
        db = sluice.database(
                "kafka",
                "CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL)",
                "CREATE TABLE parcels (id int PRIMARY KEY, n int NOT NULL)");
        ApiClient.Reply d = api.post("/api/postgres_databases", sluice.databaseJson("kafka-db", db));
        assertThat(d.status()).as(d.text()).isEqualTo(201);
    }

    @Test
    void everyChangeArrivesKeyedByItsRow_inCommitOrderPerKey_overEveryPartition() {
        ApiClient.Reply created =
                api.post("/api/sinks", """
                {"name": "to-kafka", "database": "kafka-db", "batch_size": 20, "destination":
                 {"type": "kafka", "hosts": "%s", "topic": "items", "username": "%s", "password": "%s",
                  "sasl_mechanism": "SCRAM_SHA_256"}}""".formatted(String.join(",", kafka.hosts()), USER, PASSWORD));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.get("destination").get("sasl_mechanism").asString()).isEqualToIgnoringCase("scram_sha_256");
        sluice.awaitSinkHealthy("to-kafka");

        // 50 rows: an insert and four updates each, in transactions of several rows.
        int rows = 50;
        int changesPerRow = 5;
        for (int round = 0; round < changesPerRow; round++) {
            PG.execute(
                    db,
                    round == 0
                            ? "INSERT INTO items SELECT g, 0 FROM generate_series(1, " + rows + ") g"
                            : "UPDATE items SET n = " + round + " WHERE id % 2 = 0",
                    round == 0 ? "SELECT 1" : "UPDATE items SET n = " + round + " WHERE id % 2 = 1");
        }
        sluice.slot(db).awaitCaughtUp(); // every change delivered, so the topic holds all of them

        Map<String, List<Integer>> byKey = new TreeMap<>();
        Set<Integer> partitions = new TreeSet<>();
        for (ConsumerRecord<byte[], byte[]> r : kafka.readAll("items")) {
            JsonNode m = ApiClient.JSON.readTree(r.value());
            String key = new String(r.key(), StandardCharsets.UTF_8);
            // The key is the row's group id: its primary key.
            assertThat(key).isEqualTo(m.at("/record/id").asString());
            byKey.computeIfAbsent(key, k -> new ArrayList<>())
                    .add(m.at("/record/n").asInt());
            partitions.add(r.partition());
        }
        assertThat(byKey).hasSize(rows);
        for (int id = 1; id <= rows; id++) {
            // Nothing failed: exactly once each, in commit order.
            assertThat(byKey.get(String.valueOf(id))).as("row %d", id).containsExactly(0, 1, 2, 3, 4);
        }
        assertThat(partitions).as("keys spread over the topic's partitions").hasSize(PARTITIONS);
    }

    @Test
    void aRoutingFunctionSendsEachRowToItsTopic_withTheKeyItSets_inOrderPerRow() {
        ApiClient.Reply fn = api.post("/api/functions", """
                {"name": "parity", "type": "routing", "sink_type": "kafka", "code":
                 "function route(action, record, changes, metadata) { return { topic: 'items.' + (record.id %% 2 === 0 ? 'even' : 'odd'), message_key: 'p' + record.id }; }"}
                """.formatted());
        assertThat(fn.status()).as(fn.text()).isEqualTo(201);
        ApiClient.Reply created =
                api.post("/api/sinks", """
                {"name": "routed-kafka", "database": "kafka-db", "batch_size": 20, "routing": "parity",
                 "source": {"include_tables": ["public.parcels"]}, "destination":
                 {"type": "kafka", "hosts": "%s", "topic": "items", "username": "%s", "password": "%s",
                  "sasl_mechanism": "SCRAM_SHA_256"}}""".formatted(String.join(",", kafka.hosts()), USER, PASSWORD));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        sluice.awaitSinkHealthy("routed-kafka");

        PG.execute(db, "INSERT INTO parcels SELECT g, 0 FROM generate_series(1, 10) g");
        PG.execute(db, "UPDATE parcels SET n = 1", "UPDATE parcels SET n = 2");
        sluice.slot(db).awaitCaughtUp();

        for (String topic : List.of("items.even", "items.odd")) {
            Map<String, List<Integer>> byKey = new TreeMap<>();
            for (ConsumerRecord<byte[], byte[]> r : kafka.readAll(topic)) {
                JsonNode m = ApiClient.JSON.readTree(r.value());
                int id = m.at("/record/id").asInt();
                assertThat(id % 2 == 0).as("row %d in %s", id, topic).isEqualTo(topic.endsWith("even"));
                assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("p" + id);
                byKey.computeIfAbsent("p" + id, k -> new ArrayList<>())
                        .add(m.at("/record/n").asInt());
            }
            assertThat(byKey).as(topic).hasSize(5);
            byKey.values().forEach(ns -> assertThat(ns).containsExactly(0, 1, 2));
        }
    }
}
