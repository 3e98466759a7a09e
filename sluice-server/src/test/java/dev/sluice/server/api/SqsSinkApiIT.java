package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.FreePort;
import java.net.URI;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import tools.jackson.databind.JsonNode;

/**
 * SQS sinks created through the API against ElasticMQ in this JVM: credentials sealed and masked, every change of
 * Postgres arriving (FIFO: grouped by row and in commit order), an outage of the queue survived, test_connection.
 */
class SqsSinkApiIT {
    private static final String SECRET = "sqs-secret-4f9c2a7e";
    private static final String MASK = "************";
    private static final int ROWS = 40;
    private static final int UPDATES = 3;

    static ApiServer server;
    static ApiClient api;
    static SQSRestServer sqs;
    static int sqsPort;
    static SqsAsyncClient admin;
    static final List<String[]> slots = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() {
        server = ApiServer.start();
        api = server.client();
        sqs = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().start();
        sqsPort = sqs.waitUntilStarted().localAddress().getPort();
        admin = SqsAsyncClient.builder()
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")))
                .endpointOverride(URI.create(endpoint()))
                .build();
    }

    @AfterAll
    static void stop() {
        server.close();
        admin.close();
        sqs.stopAndWait();
        ApiServer.dropSlots(slots);
    }

    @Test
    void fifoAndStandardQueues_receiveEveryChange_fifoGroupedByRowInCommitOrder_secretNeverShown() throws Exception {
        String db = database("sqsmain");
        String fifo = createQueue("main.fifo", true);
        String standard = createQueue("main", false);
        createSink("sqs-fifo", "sqsmain-db", fifo, "active");
        createSink("sqs-standard", "sqsmain-db", standard, "active");
        awaitHealthy("sqs-fifo");
        awaitHealthy("sqs-standard");

        // The secret: masked in responses, shown on request, sealed in the metadata store, masked in the export.
        JsonNode shown = api.get("/api/sinks/sqs-fifo").get("destination");
        assertThat(shown.get("secret_access_key").asString()).isEqualTo(MASK);
        assertThat(shown.get("access_key_id").asString()).isEqualTo("AKIDSLUICETEST");
        assertThat(shown.get("queue_url").asString()).isEqualTo(fifo);
        assertThat(api.get("/api/sinks").text()).doesNotContain(SECRET).contains(MASK);
        assertThat(api.get("/api/sinks/sqs-fifo?show_sensitive=true")
                        .get("destination")
                        .get("secret_access_key")
                        .asString())
                .isEqualTo(SECRET);
        assertThat(metadataRows("SELECT concat_ws(' ', spec::text, sealed_secrets) FROM sluice.sinks"
                        + " WHERE name IN ('sqs-fifo', 'sqs-standard')"))
                .hasSize(2)
                .allSatisfy(row -> assertThat(row).doesNotContain(SECRET).contains("queue_url"));
        assertThat(metadataRows("SELECT coalesce(sealed_secrets, '') FROM sluice.sinks WHERE name = 'sqs-fifo'"))
                .allSatisfy(s -> assertThat(s).isNotBlank());
        String exported = api.get("/api/config/export").get("yaml").asString();
        assertThat(exported).doesNotContain(SECRET).contains("secret_access_key: \"" + MASK + "\"");

        writeInsertsAndUpdates(db, 1, ROWS);

        // FIFO: exactly the row's changes, in commit order, in the row's group.
        Map<String, List<Integer>> expected = new TreeMap<>();
        for (int id = 1; id <= ROWS; id++) {
            List<Integer> seqs = new ArrayList<>();
            for (int s = 0; s <= UPDATES; s++) {
                seqs.add(s);
            }
            expected.put(Integer.toString(id), seqs);
        }
        List<Message> fifoMessages = receive(fifo, ROWS * (UPDATES + 1));
        Map<String, List<Integer>> byGroup = new TreeMap<>();
        for (Message m : fifoMessages) {
            JsonNode body = ApiClient.JSON.readTree(m.body());
            String group = m.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID);
            assertThat(group).isEqualTo(body.get("record").get("id").asString());
            byGroup.computeIfAbsent(group, g -> new ArrayList<>())
                    .add(body.get("record").get("seq").asInt());
        }
        assertThat(byGroup).isEqualTo(expected);

        // Standard: every change, in any order (each row's seq values all there).
        Map<String, Set<Integer>> standardSeqs = new TreeMap<>();
        for (Message m : receive(standard, ROWS * (UPDATES + 1))) {
            JsonNode body = ApiClient.JSON.readTree(m.body());
            standardSeqs
                    .computeIfAbsent(body.get("record").get("id").asString(), k -> new TreeSet<>())
                    .add(body.get("record").get("seq").asInt());
        }
        Map<String, Set<Integer>> expectedSets = new TreeMap<>();
        expected.forEach((k, v) -> expectedSets.put(k, new TreeSet<>(v)));
        assertThat(standardSeqs).isEqualTo(expectedSets);
    }

    @Test
    void queueDownThenBack_everyChangeArrives_andHealthReturnsToHealthy() throws Exception {
        String db = database("sqsdown");
        String queue = createQueue("down", false);
        createSink("sqs-down", "sqsdown-db", queue, "active");
        awaitHealthy("sqs-down");
        Map<String, JsonNode> received = new LinkedHashMap<>(); // by idempotency key: duplicates collapse

        // Before the outage: what arrives is drained, since the stopped server forgets its messages.
        writeInsertsAndUpdates(db, 1, 10);
        collect(queue, received, 40);

        sqs.stopAndWait();
        boolean sawError = false;
        try (Connection c = ApiServer.PG.connect(db);
                Statement s = c.createStatement()) {
            for (int i = 0; i < 20; i++) { // about 4 s of writes against the stopped queue
                s.execute("UPDATE items SET seq = seq + 1 WHERE id = " + (1 + i % 10));
                sawError |= "error".equals(health("sqs-down"));
                Thread.sleep(200);
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!sawError && System.nanoTime() < deadline) {
            sawError = "error".equals(health("sqs-down"));
            Thread.sleep(200);
        }
        assertThat(sawError).as("health in error while the queue is down").isTrue();

        sqs = SQSRestServerBuilder.withInterface("127.0.0.1").withPort(sqsPort).start();
        sqs.waitUntilStarted();
        assertThat(createQueue("down", false)).isEqualTo(queue);
        writeInsertsAndUpdates(db, 11, 20);
        collect(queue, received, 40 + 20 + 40);

        Map<Integer, Set<Integer>> seqs = new TreeMap<>();
        for (JsonNode m : received.values()) {
            seqs.computeIfAbsent(m.get("record").get("id").asInt(), k -> new TreeSet<>())
                    .add(m.get("record").get("seq").asInt());
        }
        Map<Integer, Integer> finalSeq = new TreeMap<>();
        for (String row : metadataRowsOf(db, "SELECT id || ' ' || seq FROM items")) {
            String[] p = row.split(" ");
            finalSeq.put(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
        }
        assertThat(finalSeq).hasSize(20);
        for (var e : finalSeq.entrySet()) {
            Set<Integer> all = new TreeSet<>();
            for (int s = 0; s <= e.getValue(); s++) {
                all.add(s);
            }
            assertThat(seqs.get(e.getKey())).as("row %d", e.getKey()).isEqualTo(all);
        }
        assertThat(received).hasSize(100);
        awaitHealthy("sqs-down");
    }

    @Test
    void testConnection_succeedsForTheQueue_andSays422WithAReasonForAMissingQueueOrUnreachableEndpoint() {
        database("sqscheck");
        String queue = createQueue("check.fifo", true);
        createSink("sqs-check-ok", "sqscheck-db", queue, "disabled");
        ApiClient.Reply ok = api.post("/api/sinks/sqs-check-ok/test_connection", null);
        assertThat(ok.status()).as(ok.text()).isEqualTo(200);
        assertThat(ok.get("success").asBoolean()).isTrue();
        // An update that sends the mask back keeps the stored secret; so does applying the export.
        ApiClient.Reply updated = api.patch("/api/sinks/sqs-check-ok", """
                {"destination": {"type": "sqs", "queue_url": "%s", "region": "us-east-1", "endpoint_url": "%s",
                                 "access_key_id": "AKIDSLUICETEST", "secret_access_key": "%s",
                                 "request_timeout_ms": 4000}}""".formatted(queue, endpoint(), MASK));
        assertThat(updated.status()).as(updated.text()).isEqualTo(200);
        JsonNode stored = api.get("/api/sinks/sqs-check-ok?show_sensitive=true").get("destination");
        assertThat(stored.get("secret_access_key").asString()).isEqualTo(SECRET);
        assertThat(stored.get("request_timeout_ms").asInt()).isEqualTo(4000);
        String exported = api.get("/api/config/export").get("yaml").asString();
        assertThat(api.send("POST", "/api/config/plan", exported, "application/yaml")
                        .get("changes"))
                .as(exported)
                .isEmpty();

        createSink("sqs-check-missing", "sqscheck-db", endpoint() + "/000000000000/nope", "disabled");
        ApiClient.Reply missing = api.post("/api/sinks/sqs-check-missing/test_connection", null);
        assertThat(missing.status()).as(missing.text()).isEqualTo(422);
        assertThat(missing.get("success").asBoolean()).isFalse();
        assertThat(missing.get("reason").asString()).contains("queue does not exist");

        int closed = FreePort.find();
        String unreachable = "http://127.0.0.1:" + closed;
        ApiClient.Reply created = api.post(
                "/api/sinks",
                sinkJson(
                        "sqs-check-unreachable",
                        "sqscheck-db",
                        unreachable + "/000000000000/q",
                        unreachable,
                        "disabled"));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        ApiClient.Reply down = api.post("/api/sinks/sqs-check-unreachable/test_connection", null);
        assertThat(down.status()).as(down.text()).isEqualTo(422);
        assertThat(down.get("success").asBoolean()).isFalse();
        assertThat(down.get("reason").asString())
                .contains("unreachable")
                .contains(unreachable)
                .doesNotContain(SECRET);
    }

    // ---- helpers ----

    private static String endpoint() {
        return "http://127.0.0.1:" + sqsPort;
    }

    /** A database with table items(id, seq) registered through the API as {@code <prefix>-db}. */
    private static String database(String prefix) {
        String db = ApiServer.PG.createDatabase(prefix);
        ApiServer.PG.execute(db, "CREATE TABLE items (id int PRIMARY KEY, seq int NOT NULL)");
        slots.add(new String[] {db, prefix + "_slot"});
        ApiClient.Reply r =
                api.post("/api/postgres_databases", ApiServer.databaseJson(prefix + "-db", db, prefix + "_slot"));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return db;
    }

    private static String sinkJson(String name, String database, String queueUrl, String endpointUrl, String status) {
        return """
                {"name": "%s", "database": "%s", "batch_size": 10, "status": "%s",
                 "destination": {"type": "sqs", "queue_url": "%s", "region": "us-east-1", "endpoint_url": "%s",
                                 "access_key_id": "AKIDSLUICETEST", "secret_access_key": "%s",
                                 "request_timeout_ms": 3000}}""".formatted(name, database, status, queueUrl, endpointUrl, SECRET);
    }

    private static void createSink(String name, String database, String queueUrl, String status) {
        ApiClient.Reply r = api.post("/api/sinks", sinkJson(name, database, queueUrl, endpoint(), status));
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

    private static String createQueue(String name, boolean fifo) {
        Map<QueueAttributeName, String> attributes = fifo ? Map.of(QueueAttributeName.FIFO_QUEUE, "true") : Map.of();
        return admin.createQueue(r -> r.queueName(name).attributes(attributes))
                .join()
                .queueUrl();
    }

    /** Receives and deletes until {@code expected} messages arrived; fails after 30 s. */
    private static List<Message> receive(String queue, int expected) {
        List<Message> all = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (all.size() < expected && System.nanoTime() < deadline) {
            all.addAll(poll(queue));
        }
        assertThat(all).as("messages on " + queue).hasSize(expected);
        return all;
    }

    /** Adds messages to {@code into} by idempotency key until it holds {@code expected}; fails after 30 s. */
    private static void collect(String queue, Map<String, JsonNode> into, int expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (into.size() < expected && System.nanoTime() < deadline) {
            for (Message m : poll(queue)) {
                JsonNode body = ApiClient.JSON.readTree(m.body());
                into.put(body.get("metadata").get("idempotency_key").asString(), body);
            }
        }
        assertThat(into).as("distinct messages on " + queue).hasSize(expected);
    }

    private static List<Message> poll(String queue) {
        List<Message> got = admin.receiveMessage(r -> r.queueUrl(queue)
                        .maxNumberOfMessages(10)
                        .waitTimeSeconds(1)
                        .messageSystemAttributeNames(MessageSystemAttributeName.ALL))
                .join()
                .messages();
        for (Message m : got) {
            admin.deleteMessage(r -> r.queueUrl(queue).receiptHandle(m.receiptHandle()))
                    .join();
        }
        return got;
    }

    private static List<String> metadataRows(String sql) throws Exception {
        return metadataRowsOf(server.metaDb, sql);
    }

    private static List<String> metadataRowsOf(String db, String sql) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = ApiServer.PG.connect(db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
