package dev.sluice.server.api;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.Messages;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.sink.kinesis.KinesisLocal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.kinesis.model.Record;
import tools.jackson.databind.JsonNode;

/**
 * A Kinesis sink created through the API against the kinesis-local emulator: every change of Postgres put with the
 * row's key as partition key, in order per key, each key in one shard. (The sink itself is covered by the conformance
 * suite in its module, secrets in responses and exports by {@link SinkSecretsIT}.)
 */
class KinesisSinkApiIT {
    private static final int UPDATES = 3;

    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;
    static KinesisLocal emulator;

    @BeforeAll
    static void start() {
        sluice.start();
        api = sluice.api();
        emulator = sluice.closeAfter(KinesisLocal.start());
    }

    @Test
    void changesArrive_withTheRowKeyAsPartitionKey_inCommitOrderPerKey() throws Exception {
        String db = database("kinmain");
        String arn = createStream("main", 2);
        createSink("kin-main", "kinmain-db", arn, "active");
        sluice.awaitSinkHealthy("kin-main");

        writeInsertsAndUpdates(db, 1, 40);

        Map<String, Map<String, List<JsonNode>>> byShard = awaitRecords(arn, 40 * (UPDATES + 1));
        assertThat(byShard).hasSize(2);
        Map<String, String> shardOfKey = new HashMap<>();
        byShard.forEach((shard, keys) -> keys.keySet()
                .forEach(k -> assertThat(shardOfKey.put(k, shard))
                        .as("key %s in one shard", k)
                        .isNull()));
        assertOrderPerRow(flatten(byShard), db);
    }

    // ---- helpers ----

    /**
     * Each row's records (keyed by partition key = the row's id) hold seq 0 up to the row's final value, in order:
     * a repeated record (at-least-once) only counts at its last copy, as the Kinesis sink's docs promise.
     */
    private static void assertOrderPerRow(Map<String, List<JsonNode>> byKey, String db) throws Exception {
        Map<String, Integer> finalSeq = new TreeMap<>();
        try (Connection c = PG.connect(db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT id, seq FROM items")) {
            while (rs.next()) {
                finalSeq.put(rs.getString(1), rs.getInt(2));
            }
        }
        assertThat(byKey.keySet()).containsExactlyInAnyOrderElementsOf(finalSeq.keySet());
        for (var e : finalSeq.entrySet()) {
            LinkedHashSet<String> lastCopies = new LinkedHashSet<>();
            Map<String, Integer> seqOf = new HashMap<>();
            for (JsonNode m : byKey.get(e.getKey())) {
                assertThat(m.get("record").get("id").asString()).isEqualTo(e.getKey());
                String key = m.get("metadata").get("idempotency_key").asString();
                seqOf.put(key, m.get("record").get("seq").asInt());
                lastCopies.remove(key);
                lastCopies.add(key);
            }
            List<Integer> seqs = lastCopies.stream().map(seqOf::get).toList();
            List<Integer> expected = new ArrayList<>();
            for (int s = 0; s <= e.getValue(); s++) {
                expected.add(s);
            }
            assertThat(seqs).as("row %s", e.getKey()).isEqualTo(expected);
        }
    }

    private static String arn(String name) {
        return KinesisLocal.arn(name);
    }

    private static String database(String prefix) {
        String db = sluice.database(prefix, "CREATE TABLE items (id int PRIMARY KEY, seq int NOT NULL)");
        ApiClient.Reply r = api.post("/api/postgres_databases", sluice.databaseJson(prefix + "-db", db));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return db;
    }

    private static void createSink(String name, String database, String arn, String status) {
        ApiClient.Reply r = api.post("/api/sinks", """
                {"name": "%s", "database": "%s", "batch_size": 10, "status": "%s",
                 "destination": {"type": "kinesis", "stream_arn": "%s", "endpoint_url": "%s",
                                 "access_key_id": "AKIDSLUICETEST", "secret_access_key": "kinesis-secret",
                                 "request_timeout_ms": 3000}}""".formatted(name, database, status, arn, emulator.endpoint()));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
    }

    /** Rows {@code from..to}: each inserted with seq 0, then {@value #UPDATES} updates each, one transaction each. */
    private static void writeInsertsAndUpdates(String db, int from, int to) throws Exception {
        try (Connection c = PG.connect(db);
                Statement s = c.createStatement()) {
            for (int id = from; id <= to; id++) {
                s.execute("INSERT INTO items VALUES (" + id + ", 0)");
            }
            for (int u = 0; u < UPDATES; u++) {
                for (int id = from; id <= to; id++) {
                    s.execute("UPDATE items SET seq = seq + 1 WHERE id = " + id);
                }
            }
        }
    }

    private static String createStream(String name, int shards) {
        return emulator.createStream(name, shards);
    }

    /** Reads the stream until it holds {@code distinct} distinct idempotency keys; fails after 30 s. */
    private static Map<String, Map<String, List<JsonNode>>> awaitRecords(String arn, int distinct) {
        Map<String, Map<String, List<JsonNode>>> all = await("distinct records on " + arn)
                .atMost(ServerFixture.WAIT)
                .pollInterval(Duration.ofMillis(300))
                .until(() -> readAll(arn), read -> distinctRecords(read) >= distinct);
        assertThat(distinctRecords(all)).as("distinct records on " + arn).isEqualTo(distinct);
        return all;
    }

    private static long distinctRecords(Map<String, Map<String, List<JsonNode>>> byShard) {
        List<JsonNode> all = new ArrayList<>();
        byShard.values().forEach(keys -> keys.values().forEach(all::addAll));
        return Messages.distinct(all);
    }

    /** Every record of every shard: shard id to partition key to message, in shard order. */
    private static Map<String, Map<String, List<JsonNode>>> readAll(String arn) {
        Map<String, Map<String, List<JsonNode>>> out = new LinkedHashMap<>();
        emulator.records(arn).forEach((shard, records) -> {
            Map<String, List<JsonNode>> keys = new LinkedHashMap<>();
            for (Record record : records) {
                keys.computeIfAbsent(record.partitionKey(), k -> new ArrayList<>())
                        .add(ApiClient.JSON.readTree(record.data().asString(StandardCharsets.UTF_8)));
            }
            if (!keys.isEmpty()) {
                out.put(shard, keys);
            }
        });
        return out;
    }

    private static Map<String, List<JsonNode>> flatten(Map<String, Map<String, List<JsonNode>>> byShard) {
        Map<String, List<JsonNode>> all = new TreeMap<>();
        byShard.values().forEach(all::putAll);
        return all;
    }
}
