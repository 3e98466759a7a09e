package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.WebhookReceiver;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The first fault scenario: the sink answers 500 for 30 s, then recovers, while 20,000 changes flow over
 * 1,000 rows. Every change arrives, each row's changes in order, and the failing period shows in the
 * failed-messages API and in the sink's health.
 */
class SinkOutageIT {
    private static final int ROWS = 1000;
    private static final int CHANGES = 20_000;

    static ApiServer server;
    static ApiClient api;
    static WebhookReceiver receiver;
    static String db;

    @BeforeAll
    static void start() {
        server = ApiServer.start();
        api = server.client();
        receiver = WebhookReceiver.start();
        db = ApiServer.PG.createDatabase("outage");
        ApiServer.PG.execute(db, "CREATE TABLE items (id int PRIMARY KEY, seq int NOT NULL)");
        ApiServer.PG.execute(db, "INSERT INTO items SELECT g, 0 FROM generate_series(1, " + ROWS + ") g");
    }

    @AfterAll
    static void stop() {
        server.close();
        receiver.close();
        ApiServer.dropSlots(List.<String[]>of(new String[] {db, "outage_slot"}));
    }

    @Test
    void fiveHundredsForThirtySeconds_thenEveryChangeArrivesInRowOrder_andTheOutageWasVisible() throws Exception {
        assertThat(api.post("/api/postgres_databases", ApiServer.databaseJson("outage-db", db, "outage_slot"))
                        .status())
                .isEqualTo(201);
        assertThat(api.post("/api/sinks", """
                        {"name": "outage", "database": "outage-db", "batch_size": 50,
                         "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(receiver.url())).status())
                .isEqualTo(201);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> "healthy"
                        .equals(api.get("/api/sinks/outage")
                                .get("health")
                                .get("status")
                                .asString()));

        // 20,000 updates (seq + 1 on a random row), small transactions, spread over about 45 s.
        AtomicBoolean done = new AtomicBoolean();
        Thread writer = Thread.ofPlatform().start(() -> {
            Random random = new Random(7);
            try (Connection c = ApiServer.PG.connect(db);
                    PreparedStatement ps = c.prepareStatement("UPDATE items SET seq = seq + 1 WHERE id = ?")) {
                for (int i = 0; i < CHANGES; i++) {
                    ps.setInt(1, 1 + random.nextInt(ROWS));
                    ps.executeUpdate();
                    if (i % 10 == 9) {
                        Thread.sleep(20);
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                done.set(true);
            }
        });

        Thread.sleep(5_000);
        receiver.respondWith(500);
        long outageStart = System.nanoTime();
        boolean sawFailedMessages = false;
        boolean sawErrorHealth = false;
        while (System.nanoTime() - outageStart < Duration.ofSeconds(30).toNanos()) {
            JsonNode failed =
                    api.get("/api/sinks/outage/messages?state=failed&limit=5").get("data");
            sawFailedMessages |= !failed.isEmpty()
                    && failed.get(0).get("last_error").asString().contains("500");
            sawErrorHealth |= "error"
                    .equals(api.get("/api/sinks/outage")
                            .get("health")
                            .get("status")
                            .asString());
            Thread.sleep(500);
        }
        receiver.respondWith(200);
        assertThat(sawFailedMessages)
                .as("failed messages listed during the outage")
                .isTrue();
        assertThat(sawErrorHealth).as("health in error during the outage").isTrue();

        writer.join(Duration.ofMinutes(2));
        assertThat(done).isTrue();
        Map<Integer, Integer> finalSeq = new TreeMap<>();
        try (Connection c = ApiServer.PG.connect(db);
                var rs = c.createStatement().executeQuery("SELECT id, seq FROM items")) {
            while (rs.next()) {
                finalSeq.put(rs.getInt(1), rs.getInt(2));
            }
        }
        int total = finalSeq.values().stream().mapToInt(Integer::intValue).sum();
        assertThat(total).isEqualTo(CHANGES);
        await().atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> distinct() >= CHANGES);

        // Every row: seq 1, 2, ... up to its final value, in order; a repeat only as an immediate redelivery.
        Map<Integer, List<Integer>> seqs = new TreeMap<>();
        for (JsonNode m : receiver.acceptedMessages()) {
            seqs.computeIfAbsent(m.get("record").get("id").asInt(), k -> new ArrayList<>())
                    .add(m.get("record").get("seq").asInt());
        }
        for (var e : finalSeq.entrySet()) {
            List<Integer> got = seqs.getOrDefault(e.getKey(), List.of());
            List<Integer> collapsed = new ArrayList<>();
            for (int s : got) {
                if (collapsed.isEmpty() || collapsed.getLast() != s) {
                    collapsed.add(s);
                }
            }
            List<Integer> expected = new ArrayList<>();
            for (int s = 1; s <= e.getValue(); s++) {
                expected.add(s);
            }
            assertThat(collapsed).as("row %d", e.getKey()).isEqualTo(expected);
        }
        await().atMost(Duration.ofSeconds(30))
                .until(() -> api.get("/api/sinks/outage/messages").get("data").isEmpty());
        await().atMost(Duration.ofSeconds(30))
                .until(() -> "healthy"
                        .equals(api.get("/api/sinks/outage")
                                .get("health")
                                .get("status")
                                .asString()));
    }

    private static long distinct() {
        return receiver.acceptedMessages().stream()
                .map(m -> m.get("metadata").get("idempotency_key").asString())
                .distinct()
                .count();
    }
}
