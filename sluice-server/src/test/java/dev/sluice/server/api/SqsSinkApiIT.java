package dev.sluice.server.api;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import java.net.URI;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import tools.jackson.databind.JsonNode;

/**
 * SQS sinks created through the API against ElasticMQ in this JVM: every change of Postgres arrives, on a FIFO queue
 * grouped by row and in commit order. (The sink itself is covered by the conformance suite in its module, secrets in
 * responses and exports by {@link SinkSecretsIT}.)
 */
class SqsSinkApiIT {
    private static final int ROWS = 40;
    private static final int UPDATES = 3;

    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;
    static SQSRestServer sqs;
    static int sqsPort;
    static SqsAsyncClient admin;

    @BeforeAll
    static void start() {
        sluice.start();
        api = sluice.api();
        sqs = SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort().start();
        sluice.closeAfter(sqs::stopAndWait);
        sqsPort = sqs.waitUntilStarted().localAddress().getPort();
        admin = sluice.closeAfter(SqsAsyncClient.builder()
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")))
                .endpointOverride(URI.create(endpoint()))
                .build());
    }

    @Test
    void fifoAndStandardQueues_receiveEveryChange_fifoGroupedByRowInCommitOrder() throws Exception {
        String db = database("sqsmain");
        String fifo = createQueue("main.fifo", true);
        String standard = createQueue("main", false);
        createSink("sqs-fifo", "sqsmain-db", fifo, "active");
        createSink("sqs-standard", "sqsmain-db", standard, "active");
        sluice.awaitSinkHealthy("sqs-fifo");
        sluice.awaitSinkHealthy("sqs-standard");

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

    // ---- helpers ----

    private static String endpoint() {
        return "http://127.0.0.1:" + sqsPort;
    }

    /** A database with table items(id, seq) registered through the API as {@code <prefix>-db}. */
    private static String database(String prefix) {
        String db = sluice.database(prefix, "CREATE TABLE items (id int PRIMARY KEY, seq int NOT NULL)");
        ApiClient.Reply r = api.post("/api/postgres_databases", sluice.databaseJson(prefix + "-db", db));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return db;
    }

    private static String sinkJson(String name, String database, String queueUrl, String endpointUrl, String status) {
        return """
                {"name": "%s", "database": "%s", "batch_size": 10, "status": "%s",
                 "destination": {"type": "sqs", "queue_url": "%s", "region": "us-east-1", "endpoint_url": "%s",
                                 "access_key_id": "AKIDSLUICETEST", "secret_access_key": "sqs-secret",
                                 "request_timeout_ms": 3000}}""".formatted(name, database, status, queueUrl, endpointUrl);
    }

    private static void createSink(String name, String database, String queueUrl, String status) {
        ApiClient.Reply r = api.post("/api/sinks", sinkJson(name, database, queueUrl, endpoint(), status));
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

    private static String createQueue(String name, boolean fifo) {
        Map<QueueAttributeName, String> attributes = fifo ? Map.of(QueueAttributeName.FIFO_QUEUE, "true") : Map.of();
        return admin.createQueue(r -> r.queueName(name).attributes(attributes))
                .join()
                .queueUrl();
    }

    /** Receives and deletes until {@code expected} messages arrived; fails after 30 s. */
    private static List<Message> receive(String queue, int expected) {
        List<Message> all = new ArrayList<>();
        await("messages on " + queue)
                .atMost(ServerFixture.WAIT)
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(1)) // each poll waits up to a second for messages itself
                .until(() -> {
                    all.addAll(poll(queue));
                    return all.size() >= expected;
                });
        assertThat(all).as("messages on " + queue).hasSize(expected);
        return all;
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
}
