package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * The first fault scenario: the sink answers 500 for about 30 s, then recovers, while 20,000 changes flow over
 * 1,000 rows. Every change arrives, each row's changes in order, and the failing period shows in the
 * failed-messages API and in the sink's health.
 */
class SinkOutageIT {
    private static final int ROWS = 1000;
    private static final int CHANGES = 20_000;
    // The outage lasts while this many changes are written: about 30 s at the writer's pace.
    private static final int OUTAGE_CHANGES = 13_000;

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
        db = sluice.database(
                "outage",
                "CREATE TABLE items (id int PRIMARY KEY, seq int NOT NULL)",
                "INSERT INTO items SELECT g, 0 FROM generate_series(1, " + ROWS + ") g");
    }

    @Test
    void fiveHundredsForThirtySeconds_thenEveryChangeArrivesInRowOrder_andTheOutageWasVisible() throws Exception {
        assertThat(api.post("/api/postgres_databases", sluice.databaseJson("outage-db", db))
                        .status())
                .isEqualTo(201);
        assertThat(api.post("/api/sinks", """
                        {"name": "outage", "database": "outage-db", "batch_size": 50,
                         "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(receiver.url())).status())
                .isEqualTo(201);
        sluice.awaitSinkHealthy("outage");

        // 20,000 updates (seq + 1 on a random row), small transactions, spread over about 45 s.
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger written = new AtomicInteger();
        Thread writer = Thread.ofPlatform().start(() -> {
            Random random = new Random(7);
            try (Connection c = ServerFixture.PG.connect(db);
                    PreparedStatement ps = c.prepareStatement("UPDATE items SET seq = seq + 1 WHERE id = ?")) {
                for (int i = 0; i < CHANGES; i++) {
                    ps.setInt(1, 1 + random.nextInt(ROWS));
                    ps.executeUpdate();
                    written.incrementAndGet();
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

        receiver.awaitAccepted(1000, ServerFixture.WAIT); // flowing before the outage
        receiver.respondWith(500);
        int outageFrom = written.get();
        AtomicBoolean sawFailedMessages = new AtomicBoolean();
        AtomicBoolean sawErrorHealth = new AtomicBoolean();
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    JsonNode failed = api.get("/api/sinks/outage/messages?state=failed&limit=5")
                            .get("data");
                    if (!failed.isEmpty()
                            && failed.get(0).get("last_error").asString().contains("500")) {
                        sawFailedMessages.set(true);
                    }
                    if ("error"
                            .equals(api.get("/api/sinks/outage")
                                    .get("health")
                                    .get("status")
                                    .asString())) {
                        sawErrorHealth.set(true);
                    }
                    return written.get() - outageFrom >= OUTAGE_CHANGES;
                });
        receiver.respondWith(200);
        assertThat(sawFailedMessages)
                .as("failed messages listed during the outage")
                .isTrue();
        assertThat(sawErrorHealth).as("health in error during the outage").isTrue();

        writer.join(Duration.ofMinutes(2));
        assertThat(done).isTrue();
        Map<Integer, Integer> finalSeq = new TreeMap<>();
        try (Connection c = ServerFixture.PG.connect(db);
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
        sluice.awaitSinkHealthy("outage");
    }

    private static long distinct() {
        return receiver.acceptedMessages().stream()
                .map(m -> m.get("metadata").get("idempotency_key").asString())
                .distinct()
                .count();
    }
}
