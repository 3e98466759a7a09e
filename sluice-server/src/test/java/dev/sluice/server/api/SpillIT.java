package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * A row that keeps failing while it is updated far beyond the sink's memory bound: its backlog waits in the metadata
 * store only, so the slot keeps moving and other rows keep flowing; once the row is accepted, the backlog comes back
 * from the store in chunks and arrives complete and in order.
 */
class SpillIT {
    private static final int BAD = 7;
    private static final int GOOD = 1;
    private static final int UPDATES = 5000;

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
        db = sluice.database("spill", "CREATE TABLE items (id int PRIMARY KEY, seq int NOT NULL, pad text NOT NULL)");
    }

    @Test
    void aFailingRowsBacklogBeyondTheMemoryBoundWaitsInTheStore_theSlotMoves_andItArrivesInOrderLater()
            throws Exception {
        receiver.refuseMessages(m -> m.get("record").get("id").asInt() == BAD);
        assertThat(api.post("/api/postgres_databases", sluice.databaseJson("spill-db", db))
                        .status())
                .isEqualTo(201);
        ApiClient.Reply sink = api.post("/api/sinks", """
                {"name": "spilling", "database": "spill-db", "batch_size": 50, "max_memory_mb": 1,
                 "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(receiver.url()));
        assertThat(sink.status()).as(sink.text()).isEqualTo(201);
        sluice.awaitSinkHealthy("spilling");

        ServerFixture.PG.execute(db, "INSERT INTO items SELECT g, 0, repeat('x', 500) FROM generate_series(1, 10) g");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> api.get("/api/sinks/spilling/messages?state=failed")
                                .get("data")
                                .size()
                        == 1);
        // About 1 KiB each in memory: 5,000 updates of the refused row are five times the 1 MiB bound.
        ServerFixture.PG.execute(db, """
                DO $$ BEGIN
                  FOR i IN 1..%d LOOP
                    UPDATE items SET seq = i WHERE id IN (%d, %d);
                    COMMIT;
                  END LOOP;
                END $$""".formatted(UPDATES, BAD, GOOD));
        long lastCommit = sluice.slot(db).walInsertLsn(); // synchronous_commit is off

        // The good row's updates all arrive, in order, while the bad row's wait in the store.
        await().atMost(Duration.ofSeconds(90)).until(() -> seqs(GOOD).size() == UPDATES + 1);
        assertThat(seqs(GOOD)).containsExactlyElementsOf(range(UPDATES));
        sluice.slot(db)
                .awaitConfirmed(
                        lsn -> Long.compareUnsigned(lsn, lastCommit) >= 0,
                        Duration.ofSeconds(60),
                        "passes every update, the refused row's stored");
        JsonNode check =
                api.get("/api/sinks/spilling").get("health").get("checks").get(1);
        assertThat(check.get("pending").asInt()).isEqualTo(UPDATES + 1);
        assertThat(check.get("failing_groups").asInt()).isEqualTo(1);
        int listed = 0;
        String after = "";
        while (true) {
            ApiClient.Reply page = api.get("/api/sinks/spilling/messages?limit=1000&after=" + after);
            listed += page.get("data").size();
            if (page.get("next_cursor").isNull()) {
                break;
            }
            after = page.get("next_cursor").asString();
        }
        assertThat(listed).as("stored messages").isEqualTo(UPDATES + 1);

        // Accepted again: the backlog is loaded back in chunks and arrives complete, in order, once each.
        receiver.refuseMessages(null);
        assertThat(api.post("/api/sinks/spilling/messages/redeliver", null).status())
                .isEqualTo(200);
        await().atMost(Duration.ofSeconds(120)).until(() -> seqs(BAD).size() >= UPDATES + 1);
        assertThat(seqs(BAD)).containsExactlyElementsOf(range(UPDATES));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> api.get("/api/sinks/spilling/messages").get("data").isEmpty());
        assertThat(seqs(GOOD)).hasSize(UPDATES + 1);
    }

    private static List<Integer> range(int last) {
        return IntStream.rangeClosed(0, last).boxed().toList();
    }

    /** The accepted sequence numbers of one row, in arrival order. */
    private static List<Integer> seqs(int row) {
        List<Integer> out = new ArrayList<>();
        for (JsonNode m : receiver.acceptedMessages()) {
            if (m.get("record").get("id").asInt() == row) {
                out.add(m.get("record").get("seq").asInt());
            }
        }
        return out;
    }
}
