package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static dev.sluice.server.fixture.ServerFixture.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.fixture.Messages;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.server.fixture.Slot;
import dev.sluice.server.fixture.SluiceYaml;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.TestPostgres;
import dev.sluice.testkit.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * Real faults while changes flow through an in-process server: the walsender is killed, the webhook
 * hangs past its timeout, Postgres restarts, the webhook is down. Every change arrives, each row's
 * changes in order, and the slot is acknowledged exactly as far as delivery got.
 */
class FaultsIT {
    // How long the source Postgres stays down: long enough for several reconnect attempts to fail.
    private static final Duration POSTGRES_DOWN = Duration.ofSeconds(1);

    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    private String db;
    private Slot slot;
    private WebhookReceiver receiver;

    @BeforeEach
    void setUp() {
        db = sluice.database(
                "faults",
                "CREATE TABLE events (id int PRIMARY KEY, seq int NOT NULL)",
                "CREATE TABLE other (id serial PRIMARY KEY, note text)");
        slot = sluice.slot(db);
        receiver = sluice.receiver();
    }

    private void start(String connection, Slot slot, String destinationExtra, String sinkExtra) {
        sluice.start(SluiceYaml.webhook(connection, slot.name(), receiver.url(), destinationExtra, sinkExtra));
        awaitStreaming();
    }

    private void start(String destinationExtra, String sinkExtra) {
        start(SluiceYaml.hostConnection(PG.port(), db), slot, destinationExtra, sinkExtra);
    }

    private void awaitStreaming() {
        sluice.awaitStatus(s -> s.state() == DatabasePipeline.State.STREAMING, "the pipeline streams");
    }

    private List<JsonNode> awaitAccepted(int n) {
        return receiver.awaitAccepted(n, WAIT);
    }

    private DatabasePipeline.SinkStatus sink() {
        return sluice.server().status().getFirst().sinks().getFirst();
    }

    private static long commitLsn(JsonNode m) {
        return m.get("metadata").get("commit_lsn").asLong();
    }

    /** Each row's sequence numbers never go back (rows may start past 0). */
    private static void assertInRowOrder(List<JsonNode> got) {
        Map<Integer, Integer> lastSeq = new HashMap<>();
        for (JsonNode m : got) {
            int id = m.get("record").get("id").asInt();
            int seq = m.get("record").get("seq").asInt();
            Integer prev = lastSeq.put(id, seq);
            assertThat(prev == null || seq >= prev)
                    .as("row %d: %s then %d", id, prev, seq)
                    .isTrue();
        }
    }

    @Test
    void walsenderTerminatedMidStreamReconnectsAtOnceWithoutLossOrDuplicates() throws Exception {
        start("", "batch_size: 25");
        EventWriter writer = new EventWriter(db);
        try (writer) {
            int pid = slot.awaitWalsender(0);
            for (int kill = 1; kill <= 4; kill++) {
                awaitAccepted(receiver.acceptedMessages().size() + 40); // changes are flowing
                long t0 = System.nanoTime();
                PG.execute(db, "SELECT pg_terminate_backend(" + pid + ")");
                pid = slot.awaitWalsender(pid);
                long tookMs = (System.nanoTime() - t0) / 1_000_000;
                // A session that streamed resets the back-off: every reconnect waits about the base
                // delay (1 s), not 2, 4, 8 s after repeated disconnects.
                assertThat(tookMs).as("reconnect %d took %d ms", kill, tookMs).isLessThan(4000);
            }
            awaitAccepted(receiver.acceptedMessages().size() + 40);
        }
        int written = writer.written.size();
        awaitAccepted(written);
        slot.awaitCaughtUp(); // a duplicate would have arrived by now
        EventWriter.assertExactlyOnceInRowOrder(receiver.acceptedMessages(), writer.written);
        assertThat(sluice.server().status().getFirst().lastError()).isNull();
        assertThat(written).isGreaterThan(200);
    }

    @Test
    void walsenderTerminatedInsideALargeTransactionRoutesEachChangeOnce() throws Exception {
        // A 1 MiB queue and a stalled receiver stop the reader in the middle of the transaction (no spilling to the
        // store, which would let the reader go on).
        start("", "batch_size: 100\nmax_memory_mb: 1\nmax_spill_mb: 0");
        int pid = slot.awaitWalsender(0);
        receiver.hang(Duration.ofSeconds(3));
        int rows = 30_000;
        PG.execute(db, "INSERT INTO events SELECT g, 0 FROM generate_series(0, " + (rows - 1) + ") g");
        receiver.awaitRequests(1, WAIT);
        // The reader routed part of the transaction and waits for room in the queue, inside the transaction.
        await().atMost(WAIT).until(() -> sink().queued() >= 100);
        // Cut the connection: Postgres replays the whole transaction, and the part already routed
        // must not be routed again.
        PG.execute(db, "SELECT pg_terminate_backend(" + pid + ")");
        receiver.hang(Duration.ZERO);
        slot.awaitWalsender(pid);
        awaitAccepted(rows);
        slot.awaitCaughtUp(); // a duplicate would have arrived by now
        List<JsonNode> got = receiver.acceptedMessages();
        assertThat(got).hasSize(rows);
        assertThat(Messages.inCommitOrder(got))
                .extracting(m -> m.get("metadata").get("commit_idx").asInt())
                .containsExactlyElementsOf(
                        java.util.stream.IntStream.range(0, rows).boxed().toList());
    }

    @Test
    void hungWebhookRequestsTimeOutAndAreRetriedUntilEveryChangeArrivedInOrder() throws Exception {
        start("request_timeout_ms: 300", "batch_size: 10");
        List<String> written = new ArrayList<>();
        for (int id = 0; id < 5; id++) {
            PG.execute(db, "INSERT INTO events VALUES (" + id + ", 0)");
            written.add(id + ":0");
        }
        awaitAccepted(5);

        receiver.hang(Duration.ofSeconds(2));
        int before = receiver.requests().size();
        for (int id = 5; id < 10; id++) {
            PG.execute(db, "INSERT INTO events VALUES (" + id + ", 0)");
            written.add(id + ":0");
        }
        for (int seq = 1; seq <= 3; seq++) {
            PG.execute(db, "UPDATE events SET seq = " + seq + " WHERE id IN (0, 7)");
            written.add("0:" + seq);
            written.add("7:" + seq);
        }
        receiver.awaitRequests(before + 2, WAIT);
        // The first attempts time out after 300 ms.
        String error = await().atMost(WAIT).until(() -> sink().lastError(), e -> e != null);
        assertThat(error).contains("no response from").contains("300");
        receiver.hang(Duration.ZERO);
        int hungRequests = receiver.requests().size() - before;

        // The receiver recorded the hung requests as accepted; the client gave up on them.
        receiver.awaitAccepted(m -> Messages.distinct(m) >= written.size(), WAIT, written.size() + " distinct changes");
        slot.awaitCaughtUp(); // every retry is answered: nothing more is on its way
        EventWriter.assertExactlyOnceInRowOrder(Messages.firstCopies(receiver.acceptedMessages()), written);

        // Requests answered after the hang carry each row's changes in order (rows go in parallel, so which
        // requests fell in the hung window is a matter of timing).
        List<JsonNode> answered = new ArrayList<>();
        for (WebhookReceiver.Request r : receiver.requests()
                .subList(before + hungRequests, receiver.requests().size())) {
            answered.addAll(r.messages());
        }
        assertInRowOrder(answered);
        assertThat(hungRequests).isGreaterThanOrEqualTo(2);
        // The receiver counted the hung requests as accepted; Sluice retries them until one is answered.
        await().atMost(WAIT).until(() -> sink().lastError() == null);
    }

    @Test
    void sourcePostgresRestartShowsRetryingWithTheReasonAndResumesWithoutLoss() throws Exception {
        int port = FreePort.find();
        Path data = sluice.home().resolve("pgdata");
        TestPostgres first = sluice.closeAfter(TestPostgres.startPrivate(Map.of(), port, data));
        first.execute("postgres", "CREATE DATABASE app");
        first.execute("app", "CREATE TABLE events (id int PRIMARY KEY, seq int NOT NULL)");
        start(SluiceYaml.hostConnection(port, "app"), new Slot(first, "app", "slot_app"), "", "");
        List<String> written = new ArrayList<>();
        for (int id = 0; id < 10; id++) {
            first.execute(
                    "app", "INSERT INTO events VALUES (" + id + ", 0)", "UPDATE events SET seq = 1 WHERE id = " + id);
            written.add(id + ":0");
            written.add(id + ":1");
        }
        awaitAccepted(20);

        long stoppedAt = System.nanoTime();
        first.close(); // a fast shutdown, as systemd or a failover does
        DatabasePipeline.Status down = sluice.awaitStatus(
                s -> s.state() == DatabasePipeline.State.RETRYING
                        && s.lastError() != null
                        && s.lastError().contains("cannot reach Postgres"),
                "the pipeline to retry because Postgres is down");
        assertThat(down.lastError()).contains("localhost:" + port).doesNotContain("\n");
        // The closed connection is noticed by the next status update (every second), and a reconnect
        // attempt follows after the base back-off.
        assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt)).isLessThan(Duration.ofSeconds(8));
        Thread.sleep(POSTGRES_DOWN); // the outage goes on: reconnect attempts keep failing meanwhile

        TestPostgres again = sluice.closeAfter(TestPostgres.startPrivate(Map.of(), port, data));
        for (int id = 10; id < 20; id++) {
            again.execute("app", "INSERT INTO events VALUES (" + id + ", 0)");
            written.add(id + ":0");
        }
        awaitStreaming();
        awaitAccepted(written.size());
        new Slot(again, "app", "slot_app").awaitCaughtUp(); // a duplicate would have arrived by now
        EventWriter.assertExactlyOnceInRowOrder(receiver.acceptedMessages(), written);
        assertThat(sluice.server().status().getFirst().lastError()).isNull();
    }

    @Test
    void slotIsAcknowledgedAsFarAsDeliveryOrStorageGotAndNoFurther() throws Exception {
        start("", "batch_size: 10");
        for (int id = 0; id < 20; id++) {
            PG.execute(db, "INSERT INTO events VALUES (" + id + ", 0)");
        }
        List<JsonNode> burst = awaitAccepted(20);
        long burstCommit = commitLsn(burst.getLast());
        // The commit LSN is where the commit record starts; its end, which is acknowledged, lies beyond.
        slot.awaitConfirmed(
                lsn -> Long.compareUnsigned(lsn, burstCommit) > 0, Duration.ofSeconds(5), "past the burst's commit");

        // The webhook fails: the undelivered rows are stored as failed messages, and only then acknowledged.
        receiver.unavailable();
        for (int id = 20; id < 30; id++) {
            PG.execute(db, "INSERT INTO events VALUES (" + id + ", 0)");
        }
        // The insert position: with synchronous_commit off, pg_current_wal_lsn() may not include them yet.
        long lastWritten = slot.walInsertLsn();
        slot.awaitConfirmed(
                lsn -> Long.compareUnsigned(lsn, lastWritten) >= 0, WAIT, "past the undelivered rows, once stored");
        assertThat(sluice.storedMessages())
                .as(
                        "rows 20..29 held in the store; requests %s; status %s",
                        receiver.requests().stream()
                                .map(r -> r.status() + ":" + r.messages().size())
                                .toList(),
                        sluice.server().status())
                .isEqualTo(10);
        assertThat(sink().failingGroups()).isPositive();
        assertThat(receiver.acceptedMessages()).hasSize(20);

        // Back: the stored rows are delivered, each once, and leave the store.
        receiver.available();
        List<JsonNode> all = Messages.inCommitOrder(awaitAccepted(30));
        assertThat(all).extracting(m -> m.get("record").get("id").asInt()).containsExactlyElementsOf(range(0, 30));
        await().atMost(WAIT).until(() -> sluice.storedMessages() == 0);
    }

    @Test
    void writesOnlyToTablesNoSinkCoversStillAdvanceTheSlot() throws Exception {
        start("", """
                source:
                  include_tables: [public.events]
                """);
        PG.execute(db, "INSERT INTO events VALUES (1, 0)");
        awaitAccepted(1);

        // Published but filtered out by the sink: the transactions are acknowledged as they pass.
        for (int i = 0; i < 5; i++) {
            PG.execute(db, "INSERT INTO other (note) VALUES ('not for the sink')");
        }
        long afterOther = slot.walInsertLsn();
        slot.awaitConfirmed(
                lsn -> Long.compareUnsigned(lsn, afterOther) >= 0,
                Duration.ofSeconds(5),
                "to the WAL end after writes to an uncovered table");

        // Nothing at all for this database: only other databases write. Keepalives move the slot.
        String noise = sluice.database("noise", "CREATE TABLE t (id int)");
        for (int i = 0; i < 5; i++) {
            PG.execute(noise, "INSERT INTO t VALUES (" + i + ")");
        }
        long afterNoise = slot.walInsertLsn();
        slot.awaitConfirmed(
                lsn -> Long.compareUnsigned(lsn, afterNoise) >= 0,
                Duration.ofSeconds(5),
                "to the WAL end after writes in another database");
        assertThat(receiver.acceptedMessages()).hasSize(1);
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            out.add(i);
        }
        return out;
    }
}
