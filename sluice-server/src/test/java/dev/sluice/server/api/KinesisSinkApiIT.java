package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.sink.kinesis.KinesisLocal;
import java.net.URI;
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
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.Protocol;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;
import tools.jackson.databind.JsonNode;

/**
 * Kinesis sinks created through the API against the kinesis-local emulator: every change of Postgres put with the
 * row's key as partition key, in order per key; test_connection; an emulator restart mid-stream loses nothing.
 */
class KinesisSinkApiIT {
    private static final String SECRET = "kinesis-secret-7d1e0b";
    private static final int UPDATES = 3;

    static ApiServer server;
    static ApiClient api;
    static KinesisLocal emulator;
    static KinesisAsyncClient admin;
    static final List<String[]> slots = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        server = ApiServer.start();
        api = server.client();
        emulator = KinesisLocal.start();
        admin = KinesisAsyncClient.builder()
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")))
                .httpClientBuilder(NettyNioAsyncHttpClient.builder().protocol(Protocol.HTTP1_1))
                .endpointOverride(URI.create(emulator.endpoint()))
                .build();
    }

    @AfterAll
    static void stop() {
        server.close();
        if (admin != null) {
            admin.close();
        }
        if (emulator != null) {
            emulator.close();
        }
        ApiServer.dropSlots(slots);
    }

    @Test
    void changesArrive_withTheRowKeyAsPartitionKey_inCommitOrderPerKey_secretMasked() throws Exception {
        String db = database("kinmain");
        String arn = createStream("main", 2);
        createSink("kin-main", "kinmain-db", arn, "active");
        assertThat(api.get("/api/sinks/kin-main")
                        .get("destination")
                        .get("secret_access_key")
                        .asString())
                .isEqualTo("************");
        assertThat(api.get("/api/sinks/kin-main?show_sensitive=true")
                        .get("destination")
                        .get("secret_access_key")
                        .asString())
                .isEqualTo(SECRET);
        assertThat(api.get("/api/config/export").get("yaml").asString()).doesNotContain(SECRET);
        awaitHealthy("kin-main");

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

    @Test
    void emulatorRestartedMidStream_nothingIsLost_orderPerKeyKept() throws Exception {
        String db = database("kinrestart");
        String arn = createStream("restart", 1);
        createSink("kin-restart", "kinrestart-db", arn, "active");
        awaitHealthy("kin-restart");

        // Before: read what arrived, since the restarted emulator starts empty.
        writeInsertsAndUpdates(db, 1, 10);
        Map<String, List<JsonNode>> before = flatten(awaitRecords(arn, 40));

        emulator.stop();
        try (Connection c = ApiServer.PG.connect(db);
                Statement s = c.createStatement()) {
            for (int i = 0; i < 20; i++) { // about 4 s of writes against the stopped emulator
                s.execute("UPDATE items SET seq = seq + 1 WHERE id = " + (1 + i % 10));
                Thread.sleep(200);
            }
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> "error".equals(health("kin-restart")));
        emulator.restart();
        createStream("restart", 1);
        writeInsertsAndUpdates(db, 11, 20);
        Map<String, List<JsonNode>> after = flatten(awaitRecords(arn, 20 + 40));

        Map<String, List<JsonNode>> all = new TreeMap<>();
        for (Map<String, List<JsonNode>> part : List.of(before, after)) {
            part.forEach(
                    (k, v) -> all.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
        }
        assertOrderPerRow(all, db);
        awaitHealthy("kin-restart");
    }

    @Test
    void testConnection_succeedsForTheStream_andSays422ForAMissingStream() {
        database("kincheck");
        createSink("kin-check-ok", "kincheck-db", createStream("check", 1), "disabled");
        ApiClient.Reply ok = api.post("/api/sinks/kin-check-ok/test_connection", null);
        assertThat(ok.status()).as(ok.text()).isEqualTo(200);
        assertThat(ok.get("success").asBoolean()).isTrue();

        createSink("kin-check-missing", "kincheck-db", arn("nope"), "disabled");
        ApiClient.Reply missing = api.post("/api/sinks/kin-check-missing/test_connection", null);
        assertThat(missing.status()).as(missing.text()).isEqualTo(422);
        assertThat(missing.get("success").asBoolean()).isFalse();
        assertThat(missing.get("reason").asString())
                .contains("stream does not exist")
                .doesNotContain(SECRET);
    }

    // ---- helpers ----

    /**
     * Each row's records (keyed by partition key = the row's id) hold seq 0 up to the row's final value, in order:
     * a repeated record (at-least-once) only counts at its last copy, as the Kinesis sink's docs promise.
     */
    private static void assertOrderPerRow(Map<String, List<JsonNode>> byKey, String db) throws Exception {
        Map<String, Integer> finalSeq = new TreeMap<>();
        try (Connection c = ApiServer.PG.connect(db);
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
        return "arn:aws:kinesis:us-east-1:000000000000:stream/" + name;
    }

    private static String database(String prefix) {
        String db = ApiServer.PG.createDatabase(prefix);
        ApiServer.PG.execute(db, "CREATE TABLE items (id int PRIMARY KEY, seq int NOT NULL)");
        slots.add(new String[] {db, prefix + "_slot"});
        ApiClient.Reply r =
                api.post("/api/postgres_databases", ApiServer.databaseJson(prefix + "-db", db, prefix + "_slot"));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return db;
    }

    private static void createSink(String name, String database, String arn, String status) {
        ApiClient.Reply r =
                api.post("/api/sinks", """
                {"name": "%s", "database": "%s", "batch_size": 10, "status": "%s",
                 "destination": {"type": "kinesis", "stream_arn": "%s", "endpoint_url": "%s",
                                 "access_key_id": "AKIDSLUICETEST", "secret_access_key": "%s",
                                 "request_timeout_ms": 3000}}""".formatted(name, database, status, arn, emulator.endpoint(), SECRET));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        assertThat(r.text()).doesNotContain(SECRET);
    }

    private static String health(String sink) {
        return api.get("/api/sinks/" + sink).get("health").get("status").asString();
    }

    private static void awaitHealthy(String sink) {
        await().atMost(Duration.ofSeconds(30)).until(() -> "healthy".equals(health(sink)));
    }

    /** Rows {@code from..to}: each inserted with seq 0, then {@value #UPDATES} updates each, one transaction each. */
    private static void writeInsertsAndUpdates(String db, int from, int to) throws Exception {
        try (Connection c = ApiServer.PG.connect(db);
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
        admin.createStream(r -> r.streamName(name).shardCount(shards)).join();
        String arn = arn(name);
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> admin.describeStreamSummary(r -> r.streamARN(arn))
                                .join()
                                .streamDescriptionSummary()
                                .streamStatus()
                        == StreamStatus.ACTIVE);
        return arn;
    }

    /** Reads the stream until it holds {@code distinct} distinct idempotency keys; fails after 30 s. */
    private static Map<String, Map<String, List<JsonNode>>> awaitRecords(String arn, int distinct) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            Map<String, Map<String, List<JsonNode>>> all = readAll(arn);
            long keys = all.values().stream()
                    .flatMap(m -> m.values().stream())
                    .flatMap(List::stream)
                    .map(m -> m.get("metadata").get("idempotency_key").asString())
                    .distinct()
                    .count();
            if (keys >= distinct || System.nanoTime() > deadline) {
                assertThat(keys).as("distinct records on " + arn).isEqualTo(distinct);
                return all;
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Every record of every shard: shard id to partition key to message, in shard order. */
    private static Map<String, Map<String, List<JsonNode>>> readAll(String arn) {
        Map<String, Map<String, List<JsonNode>>> out = new LinkedHashMap<>();
        for (Shard shard : admin.listShards(r -> r.streamARN(arn)).join().shards()) {
            Map<String, List<JsonNode>> keys = new LinkedHashMap<>();
            String iterator = admin.getShardIterator(r ->
                            r.streamARN(arn).shardId(shard.shardId()).shardIteratorType(ShardIteratorType.TRIM_HORIZON))
                    .join()
                    .shardIterator();
            while (iterator != null) {
                String it = iterator;
                var page = admin.getRecords(
                                r -> r.streamARN(arn).shardIterator(it).limit(1000))
                        .join();
                for (Record record : page.records()) {
                    keys.computeIfAbsent(record.partitionKey(), k -> new ArrayList<>())
                            .add(ApiClient.JSON.readTree(record.data().asString(StandardCharsets.UTF_8)));
                }
                iterator = page.records().isEmpty() ? null : page.nextShardIterator();
            }
            if (!keys.isEmpty()) {
                out.put(shard.shardId(), keys);
            }
        }
        return out;
    }

    private static Map<String, List<JsonNode>> flatten(Map<String, Map<String, List<JsonNode>>> byShard) {
        Map<String, List<JsonNode>> all = new TreeMap<>();
        byShard.values().forEach(all::putAll);
        return all;
    }
}
