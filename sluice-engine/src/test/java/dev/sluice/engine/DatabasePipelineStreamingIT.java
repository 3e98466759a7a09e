package dev.sluice.engine;

import static dev.sluice.engine.PipelineTestSupport.await;
import static dev.sluice.engine.PipelineTestSupport.awaitAcknowledged;
import static dev.sluice.engine.PipelineTestSupport.awaitStreaming;
import static dev.sluice.engine.PipelineTestSupport.awaitStreamingAfter;
import static dev.sluice.engine.PipelineTestSupport.currentWal;
import static dev.sluice.engine.PipelineTestSupport.queryLong;
import static dev.sluice.engine.PipelineTestSupport.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.testkit.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactions larger than the server's {@code logical_decoding_work_mem} (set to its 64 kB minimum here), which
 * Postgres 14+ streams before they commit (protocol version 2): kept on disk until their commit, then delivered
 * exactly as the same transaction sent whole would be (one commit LSN, change indexes in order, so the same
 * idempotency keys), without the changes of a rolled back savepoint; an aborted one delivers nothing; a session cut
 * while one is being streamed loses and repeats nothing.
 */
class DatabasePipelineStreamingIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final RetryPolicy FAST_RECONNECT = new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(200), 0);
    // ~250 bytes a row: a few hundred rows outgrow 64 kB.
    private static final String NOTE = "repeat(md5(g::text), 8)";

    @TempDir
    Path spill;

    private String db;
    private String slot;
    private @Nullable DatabasePipeline pipeline;
    private final FakeSink sink = new FakeSink();

    @BeforeEach
    void setUp() {
        assumeTrue(PG.majorVersion() >= 14, "streaming of in-progress transactions needs Postgres 14+");
        db = PG.createDatabase("stream");
        slot = "slot_" + db;
        PG.execute(
                db,
                "CREATE TABLE items (id int PRIMARY KEY, note text)",
                "CREATE TABLE other (id int PRIMARY KEY)",
                // Read by the walsender when it connects: every transaction over 64 kB is streamed.
                "ALTER DATABASE " + db + " SET logical_decoding_work_mem = '64kB'");
    }

    @AfterEach
    void tearDown() {
        if (pipeline != null) {
            pipeline.close();
        }
        PipelineTestSupport.dropSlot(PG, db, slot);
    }

    private void start() {
        SourceSettings settings = new SourceSettings(
                "localhost", PG.port(), db, "postgres", null, false, false, slot, "pub_" + db, true, true);
        pipeline = new DatabasePipeline(
                db,
                settings,
                FAST_RECONNECT,
                lsn -> {},
                PipelineMetrics.NONE,
                DatabasePipeline.Options.DEFAULT.withStreamedDir(spill));
        pipeline.addSink(spec("s", "all", 100), sink);
        pipeline.start();
        awaitStreaming(pipeline);
    }

    @Test
    void committedLargeTransaction_isDeliveredAsIfSentWhole_withoutItsRolledBackSavepoint() throws Exception {
        start();
        try (Connection big = PG.connect(db);
                Statement st = big.createStatement()) {
            big.setAutoCommit(false);
            st.execute("INSERT INTO items SELECT g, " + NOTE + " FROM generate_series(1, 5000) g");
            awaitSpilledFile(); // streamed while it runs
            st.execute("SAVEPOINT s");
            st.execute("INSERT INTO items SELECT g, " + NOTE + " FROM generate_series(5001, 6000) g");
            st.execute("ROLLBACK TO SAVEPOINT s");
            PG.execute(db, "INSERT INTO other VALUES (1)"); // commits while the large one runs
            st.execute("SAVEPOINT s2");
            st.execute("INSERT INTO items SELECT g, " + NOTE + " FROM generate_series(6001, 6500) g");
            st.execute("RELEASE SAVEPOINT s2");
            st.execute("UPDATE items SET note = 'u' WHERE id <= 10");
            st.execute("DELETE FROM items WHERE id = 11");
            big.commit();
        }
        awaitAcknowledged(pipeline, currentWal(PG, db));

        assertThat(queryLong(
                        PG, db, "SELECT stream_txns FROM pg_stat_replication_slots WHERE slot_name = '" + slot + "'"))
                .as("Postgres streamed the transaction")
                .isPositive();
        List<SinkMessage> items = new ArrayList<>();
        SinkMessage other = null;
        for (Batch b : sink.delivered) {
            for (SinkMessage m : b.messages()) {
                if (m.table().name().equals("items")) {
                    items.add(m);
                } else {
                    other = m;
                }
            }
        }
        assertThat(other).as("the small transaction committed meanwhile").isNotNull();
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= 5000; i++) {
            expected.add("INSERT " + i);
        }
        for (int i = 6001; i <= 6500; i++) {
            expected.add("INSERT " + i);
        }
        for (int i = 1; i <= 10; i++) {
            expected.add("UPDATE " + i);
        }
        expected.add("DELETE 11");
        List<SinkMessage> byIndex = items.stream()
                .sorted((a, b) ->
                        Integer.compare(a.position().commitIdx(), b.position().commitIdx()))
                .toList();
        assertThat(byIndex)
                .extracting(m -> m.action() + " " + FakeSink.column(m, "id"))
                .as("the committed changes, none of the rolled back savepoint, each once")
                .containsExactlyElementsOf(expected);
        long commitLsn = items.getFirst().position().commitLsn();
        for (int i = 0; i < byIndex.size(); i++) {
            assertThat(byIndex.get(i).position())
                    .as("one transaction, indexes in order as if it had been sent whole")
                    .isEqualTo(new Position(commitLsn, i));
        }
        assertThat(Long.compareUnsigned(other.position().commitLsn(), commitLsn))
                .as("the small one committed first")
                .isNegative();
        assertThat(FakeSink.column(byIndex.get(5000), "note"))
                .as("values survive the round trip through the disk")
                .isEqualTo(md5Repeated(6001));
        assertThat(spilledFiles()).as("nothing left on disk").isEmpty();
    }

    @Test
    void abortedLargeTransaction_deliversNothing_andLeavesNothingOnDisk() throws Exception {
        start();
        try (Connection big = PG.connect(db);
                Statement st = big.createStatement()) {
            big.setAutoCommit(false);
            st.execute("INSERT INTO items SELECT g, " + NOTE + " FROM generate_series(1, 5000) g");
            awaitSpilledFile();
            big.rollback();
        }
        PG.execute(db, "INSERT INTO other VALUES (7)");
        await("the row committed after the rollback").until(() -> sink.deliveredMessages() >= 1);
        awaitAcknowledged(pipeline, currentWal(PG, db));
        assertThat(sink.delivered.stream().flatMap(b -> b.messages().stream()))
                .extracting(m -> m.table().name() + " " + FakeSink.column(m, "id"))
                .containsExactly("other 7");
        await("the aborted transaction's file to be dropped")
                .until(() -> spilledFiles().isEmpty());
    }

    @Test
    void sessionCutWhileALargeTransactionIsStreamed_deliversItOnce_fromItsFirstBlock() throws Exception {
        start();
        try (Connection big = PG.connect(db);
                Statement st = big.createStatement()) {
            big.setAutoCommit(false);
            st.execute("INSERT INTO items SELECT g, " + NOTE + " FROM generate_series(1, 3000) g");
            awaitSpilledFile();
            Instant cut = Instant.now();
            PG.execute(
                    db,
                    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '" + slot
                            + "'");
            awaitStreamingAfter(pipeline, cut);
            st.execute("INSERT INTO items SELECT g, " + NOTE + " FROM generate_series(3001, 4000) g");
            big.commit();
        }
        awaitAcknowledged(pipeline, currentWal(PG, db));
        List<Integer> ids = PipelineTestSupport.ids(sink);
        assertThat(ids).doesNotHaveDuplicates().hasSize(4000);
        assertThat(sink.delivered.stream().flatMap(b -> b.messages().stream()))
                .allMatch(m -> m.action() == Action.INSERT);
        assertThat(spilledFiles()).isEmpty();
    }

    private static String md5Repeated(int g) throws Exception {
        byte[] d = java.security.MessageDigest.getInstance("MD5")
                .digest(Integer.toString(g).getBytes());
        String hex = java.util.HexFormat.of().formatHex(d);
        return hex.repeat(8);
    }

    private void awaitSpilledFile() {
        await("a streamed block on disk before the commit")
                .until(() -> !spilledFiles().isEmpty());
    }

    private List<Path> spilledFiles() throws IOException {
        if (!Files.isDirectory(spill)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(spill)) {
            return all.filter(p -> p.toString().endsWith(".frames")).toList();
        }
    }
}
