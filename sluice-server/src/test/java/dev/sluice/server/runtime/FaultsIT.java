package dev.sluice.server.runtime;

import static dev.sluice.server.runtime.E2e.PG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.TestPostgres;
import dev.sluice.testkit.WebhookReceiver;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Real faults while changes flow through an in-process server: the walsender is killed, the webhook
 * hangs past its timeout, Postgres restarts, the webhook is down. Every change arrives, each row's
 * changes in order, and the slot is acknowledged exactly as far as delivery got.
 */
class FaultsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path home;

    private String db;
    private String meta;
    private String slot;
    private WebhookReceiver receiver;
    private @Nullable SluiceServer server;
    private @Nullable TestPostgres privatePg;

    @BeforeEach
    void setUp() {
        db = PG.createDatabase("faults");
        meta = PG.createDatabase("meta");
        slot = "slot_" + db;
        receiver = WebhookReceiver.start();
        PG.execute(
                db,
                "CREATE TABLE events (id int PRIMARY KEY, seq int NOT NULL)",
                "CREATE TABLE other (id serial PRIMARY KEY, note text)");
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        receiver.close();
        if (privatePg != null) {
            privatePg.close();
        }
        E2e.dropSlot(db, slot);
    }

    private void start(String connection, String destinationExtra, String sinkExtra) throws Exception {
        Path cfg = E2e.write(home, E2e.yaml(connection, slot, receiver, destinationExtra, sinkExtra));
        server = SluiceServer.start(E2e.options(home, cfg, meta));
        awaitStatus(s -> s.state() == DatabasePipeline.State.STREAMING, "the pipeline to stream");
    }

    private void start(String destinationExtra, String sinkExtra) throws Exception {
        start(E2e.hostConnection(PG.port(), db), destinationExtra, sinkExtra);
    }

    private DatabasePipeline.Status awaitStatus(Predicate<DatabasePipeline.Status> p, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            DatabasePipeline.Status s = server.status().getFirst();
            if (p.test(s)) {
                return s;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("expected " + what + ", status is " + server.status());
    }

    private List<JsonNode> awaitAccepted(int n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            List<JsonNode> got = receiver.acceptedMessages();
            if (got.size() >= n) {
                return got;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("expected " + n + " accepted messages, got "
                + receiver.acceptedMessages().size());
    }

    private static String change(JsonNode m) {
        return m.get("record").get("id").asInt() + ":"
                + m.get("record").get("seq").asInt();
    }

    private static long commitLsn(JsonNode m) {
        return m.get("metadata").get("commit_lsn").asLong();
    }

    /** Every written change arrived exactly once, and each row's seq values arrived as 0, 1, 2, ... */
    private static void assertExactlyOnceInRowOrder(List<JsonNode> got, List<String> written) {
        Map<String, Integer> copies = new LinkedHashMap<>();
        Map<Integer, Integer> lastSeq = new HashMap<>();
        List<String> outOfOrder = new ArrayList<>();
        for (JsonNode m : got) {
            copies.merge(change(m), 1, Integer::sum);
            int id = m.get("record").get("id").asInt();
            int seq = m.get("record").get("seq").asInt();
            Integer prev = lastSeq.put(id, seq);
            if (seq != (prev == null ? 0 : prev + 1)) {
                outOfOrder.add("row " + id + ": " + prev + " then " + seq);
            }
        }
        assertThat(copies.entrySet().stream().filter(e -> e.getValue() > 1).toList())
                .as("duplicates")
                .isEmpty();
        assertThat(outOfOrder).as("per-row order").isEmpty();
        assertThat(copies.keySet()).containsExactlyInAnyOrderElementsOf(written);
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

    private long slotLsn(String column) throws SQLException {
        try (Connection c = PG.connect(db);
                var ps = c.prepareStatement("SELECT (" + column + " - '0/0'::pg_lsn)::bigint FROM pg_replication_slots"
                        + " WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private long confirmedFlush() throws SQLException {
        return slotLsn("confirmed_flush_lsn");
    }

    private long awaitConfirmedFlush(LongPredicate p, Duration within, String what) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        long lsn = confirmedFlush();
        while (!p.test(lsn)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("confirmed_flush_lsn " + lsn + " did not get " + what + " within " + within);
            }
            Thread.sleep(50);
            lsn = confirmedFlush();
        }
        return lsn;
    }

    private static long walInsertLsn(String database) throws SQLException {
        try (Connection c = PG.connect(database);
                var rs = c.createStatement().executeQuery("SELECT (pg_current_wal_insert_lsn() - '0/0')::bigint")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** The pid of the walsender serving the slot, waiting until one is active and is not {@code not}. */
    private int awaitWalsender(int not) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try (Connection c = PG.connect(db);
                    var ps = c.prepareStatement("SELECT active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                try (var rs = ps.executeQuery()) {
                    if (rs.next()) {
                        int pid = rs.getInt(1);
                        if (!rs.wasNull() && pid != not) {
                            return pid;
                        }
                    }
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no new walsender for slot " + slot + "; status " + server.status());
    }

    @Test
    void walsenderTerminatedMidStreamReconnectsAtOnceWithoutLossOrDuplicates() throws Exception {
        start("", "batch_size: 25");
        EventWriter writer = new EventWriter(db);
        try (writer) {
            int pid = awaitWalsender(0);
            for (int kill = 1; kill <= 4; kill++) {
                awaitAccepted(receiver.acceptedMessages().size() + 40); // changes are flowing
                long t0 = System.nanoTime();
                PG.execute(db, "SELECT pg_terminate_backend(" + pid + ")");
                pid = awaitWalsender(pid);
                long tookMs = (System.nanoTime() - t0) / 1_000_000;
                // A session that streamed resets the back-off: every reconnect waits about the base
                // delay (1 s), not 2, 4, 8 s after repeated disconnects.
                assertThat(tookMs).as("reconnect %d took %d ms", kill, tookMs).isLessThan(4000);
            }
            awaitAccepted(receiver.acceptedMessages().size() + 40);
        }
        int written = writer.written.size();
        awaitAccepted(written);
        Thread.sleep(300); // a duplicate would arrive right behind
        assertExactlyOnceInRowOrder(receiver.acceptedMessages(), writer.written);
        assertThat(server.status().getFirst().lastError()).isNull();
        assertThat(written).isGreaterThan(200);
    }

    @Test
    void walsenderTerminatedInsideALargeTransactionRoutesEachChangeOnce() throws Exception {
        // A 1 MiB queue and a stalled receiver stop the reader in the middle of the transaction (no spilling to the
        // store, which would let the reader go on).
        start("", "batch_size: 100\nmax_memory_mb: 1\nmax_spill_mb: 0");
        int pid = awaitWalsender(0);
        receiver.hang(Duration.ofSeconds(3));
        int rows = 30_000;
        PG.execute(db, "INSERT INTO events SELECT g, 0 FROM generate_series(0, " + (rows - 1) + ") g");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (receiver.requests().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(300); // the reader fills the queue and blocks inside the transaction
        // Cut the connection: Postgres replays the whole transaction, and the part already routed
        // must not be routed again.
        PG.execute(db, "SELECT pg_terminate_backend(" + pid + ")");
        receiver.hang(Duration.ZERO);
        awaitWalsender(pid);
        awaitAccepted(rows);
        Thread.sleep(300); // a duplicate would arrive right behind
        List<JsonNode> got = receiver.acceptedMessages();
        assertThat(got).hasSize(rows);
        assertThat(E2e.inCommitOrder(got))
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
        long until = System.nanoTime() + WAIT.toNanos();
        while (server.status().getFirst().sinks().getFirst().lastError() == null && System.nanoTime() < until) {
            Thread.sleep(20); // the first attempts time out after 300 ms
        }
        assertThat(server.status().getFirst().sinks().getFirst().lastError())
                .contains("no response from")
                .contains("300");
        receiver.hang(Duration.ZERO);
        int hungRequests = receiver.requests().size() - before;

        // The receiver recorded the hung requests as accepted; the client gave up on them.
        List<JsonNode> all = awaitDistinct(written.size());
        Map<String, JsonNode> firstByKey = new LinkedHashMap<>();
        for (JsonNode m : all) {
            JsonNode first = firstByKey.putIfAbsent(E2e.idempotencyKey(m), m);
            if (first != null) {
                assertThat(m).as("a retried message is the same message").isEqualTo(first);
            }
        }
        assertExactlyOnceInRowOrder(List.copyOf(firstByKey.values()), written);

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
        long settled = System.nanoTime() + WAIT.toNanos();
        while (server.status().getFirst().sinks().getFirst().lastError() != null && System.nanoTime() < settled) {
            Thread.sleep(20);
        }
        assertThat(server.status().getFirst().sinks().getFirst().lastError()).isNull();
    }

    /** Waits until {@code n} distinct idempotency keys were accepted; returns every accepted message. */
    private List<JsonNode> awaitDistinct(int n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            List<JsonNode> got = receiver.acceptedMessages();
            if (got.stream().map(E2e::idempotencyKey).distinct().count() >= n) {
                Thread.sleep(300); // anything extra would arrive right behind
                return receiver.acceptedMessages();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("expected " + n + " distinct messages, got " + receiver.acceptedMessages());
    }

    @Test
    void sourcePostgresRestartShowsRetryingWithTheReasonAndResumesWithoutLoss() throws Exception {
        int port = FreePort.find();
        Path data = home.resolve("pgdata");
        privatePg = TestPostgres.startPrivate(Map.of(), port, data);
        privatePg.execute("postgres", "CREATE DATABASE app");
        privatePg.execute("app", "CREATE TABLE events (id int PRIMARY KEY, seq int NOT NULL)");
        start(E2e.hostConnection(port, "app"), "", "");
        List<String> written = new ArrayList<>();
        for (int id = 0; id < 10; id++) {
            privatePg.execute(
                    "app", "INSERT INTO events VALUES (" + id + ", 0)", "UPDATE events SET seq = 1 WHERE id = " + id);
            written.add(id + ":0");
            written.add(id + ":1");
        }
        awaitAccepted(20);

        long stoppedAt = System.nanoTime();
        privatePg.close(); // a fast shutdown, as systemd or a failover does
        privatePg = null;
        DatabasePipeline.Status down = awaitStatus(
                s -> s.state() == DatabasePipeline.State.RETRYING
                        && s.lastError() != null
                        && s.lastError().contains("cannot reach Postgres"),
                "the pipeline to retry because Postgres is down");
        assertThat(down.lastError()).contains("localhost:" + port).doesNotContain("\n");
        // The closed connection is noticed by the next status update (every second), and a reconnect
        // attempt follows after the base back-off.
        assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt)).isLessThan(Duration.ofSeconds(8));
        Thread.sleep(1000); // still down for a while

        privatePg = TestPostgres.startPrivate(Map.of(), port, data);
        for (int id = 10; id < 20; id++) {
            privatePg.execute("app", "INSERT INTO events VALUES (" + id + ", 0)");
            written.add(id + ":0");
        }
        awaitStatus(s -> s.state() == DatabasePipeline.State.STREAMING, "the pipeline to stream again");
        awaitAccepted(written.size());
        Thread.sleep(300);
        assertExactlyOnceInRowOrder(receiver.acceptedMessages(), written);
        assertThat(server.status().getFirst().lastError()).isNull();
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
        awaitConfirmedFlush(
                lsn -> Long.compareUnsigned(lsn, burstCommit) > 0, Duration.ofSeconds(5), "past the burst's commit");

        // The webhook fails: the undelivered rows are stored as failed messages, and only then acknowledged.
        receiver.unavailable();
        for (int id = 20; id < 30; id++) {
            PG.execute(db, "INSERT INTO events VALUES (" + id + ", 0)");
        }
        // The insert position: with synchronous_commit off, pg_current_wal_lsn() may not include them yet.
        long lastWritten = slotLsn("pg_current_wal_insert_lsn()");
        awaitConfirmedFlush(
                lsn -> Long.compareUnsigned(lsn, lastWritten) >= 0, WAIT, "past the undelivered rows, once stored");
        assertThat(storedMessages())
                .as(
                        "rows 20..29 held in the store; requests %s; status %s",
                        receiver.requests().stream()
                                .map(r -> r.status() + ":" + r.messages().size())
                                .toList(),
                        server.status())
                .isEqualTo(10);
        assertThat(server.status().getFirst().sinks().getFirst().failingGroups())
                .isPositive();
        assertThat(receiver.acceptedMessages()).hasSize(20);

        // Back: the stored rows are delivered, each once, and leave the store.
        receiver.available();
        List<JsonNode> all = E2e.inCommitOrder(awaitAccepted(30));
        assertThat(all).extracting(m -> m.get("record").get("id").asInt()).containsExactlyElementsOf(range(0, 30));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (storedMessages() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(storedMessages()).isZero();
    }

    private long storedMessages() throws SQLException {
        try (Connection c = PG.connect(meta);
                var st = c.createStatement();
                var rs = st.executeQuery("SELECT count(*) FROM sluice.sink_messages")) {
            rs.next();
            return rs.getLong(1);
        }
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
        long afterOther = walInsertLsn(db);
        awaitConfirmedFlush(
                lsn -> Long.compareUnsigned(lsn, afterOther) >= 0,
                Duration.ofSeconds(5),
                "to the WAL end after writes to an uncovered table");

        // Nothing at all for this database: only other databases write. Keepalives move the slot.
        String noise = PG.createDatabase("noise");
        PG.execute(noise, "CREATE TABLE t (id int)");
        for (int i = 0; i < 5; i++) {
            PG.execute(noise, "INSERT INTO t VALUES (" + i + ")");
        }
        long afterNoise = walInsertLsn(noise);
        awaitConfirmedFlush(
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
