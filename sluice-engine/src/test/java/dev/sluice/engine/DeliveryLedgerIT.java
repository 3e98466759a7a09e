package dev.sluice.engine;

import static dev.sluice.engine.PipelineTestSupport.await;
import static dev.sluice.engine.PipelineTestSupport.awaitAcknowledged;
import static dev.sluice.engine.PipelineTestSupport.awaitStreaming;
import static dev.sluice.engine.PipelineTestSupport.currentWal;
import static dev.sluice.engine.PipelineTestSupport.ids;
import static dev.sluice.engine.PipelineTestSupport.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.testkit.TestPostgres;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two sinks on one slot, one of them behind: after a restart the slot replays from the slower sink's position,
 * and the saved progress makes each sink skip what it already had, including messages resolved out of order
 * (other groups delivered while one group was failing).
 */
class DeliveryLedgerIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final RetryPolicy FAST_RECONNECT = new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(200), 0);

    /** The ledger a store would keep, in memory. */
    static final class MemoryLedger implements DeliveryLedger {
        final Map<String, Progress> saved = new ConcurrentHashMap<>();

        @Override
        public Progress load(String sinkId) {
            return saved.getOrDefault(sinkId, Progress.NONE);
        }

        @Override
        public void save(String sinkId, Progress progress) {
            saved.put(sinkId, progress);
        }
    }

    private String db;
    private String slot;
    private @Nullable DatabasePipeline pipeline;
    private final MemoryLedger ledger = new MemoryLedger();

    @BeforeEach
    void setUp() {
        db = PG.createDatabase("ledger");
        slot = "slot_" + db;
        PG.execute(db, "CREATE TABLE events (id int PRIMARY KEY, note text)");
    }

    @AfterEach
    void tearDown() {
        if (pipeline != null) {
            pipeline.close();
        }
        PipelineTestSupport.dropSlot(PG, db, slot);
    }

    @Test
    void afterARestart_eachSinkGetsOnlyWhatItLacked_evenWhenItHadResolvedOutOfOrder() throws Exception {
        FakeSink fast = new FakeSink();
        FakeSink behind = new FakeSink();
        // Row 5 keeps failing for the second sink: rows 6..100 (other groups) are delivered around it.
        behind.poison = m -> FakeSink.column(m, "id").equals("5");
        start(fast, behind);
        insertRows(1, 100);
        await("every row at the fast sink").until(() -> fast.deliveredMessages() == 100);
        await("every row but the held one at the other").until(() -> behind.deliveredMessages() == 99);
        assertThat(ids(behind)).doesNotContain(5);
        pipeline.close();
        pipeline = null;
        assertThat(ledger.saved.get("b").resolvedAfter())
                .as("rows 6..100, resolved after the held row")
                .hasSize(95);

        // The slot replays from before row 5; neither sink receives what it already had.
        FakeSink fast2 = new FakeSink();
        FakeSink behind2 = new FakeSink();
        start(fast2, behind2);
        insertRows(101, 110);
        // Both sinks have resolved everything up to the last row: a replay by mistake would have been delivered.
        awaitAcknowledged(pipeline, currentWal(PG, db));
        assertThat(ids(fast2)).containsExactlyElementsOf(range(101, 110));
        List<Integer> expected = new ArrayList<>(List.of(5));
        expected.addAll(range(101, 110));
        assertThat(ids(behind2)).containsExactlyElementsOf(expected);
    }

    @Test
    void withoutALedger_theReplayRepeatsWhatTheFasterSinkHad() throws Exception {
        // The contrast that shows the ledger is what prevents the duplicates above.
        FakeSink fast = new FakeSink();
        FakeSink behind = new FakeSink();
        behind.poison = m -> FakeSink.column(m, "id").equals("3");
        start(fast, behind, DeliveryLedger.NONE);
        insertRows(1, 10);
        await("every row at the fast sink").until(() -> fast.deliveredMessages() == 10);
        pipeline.close();

        FakeSink fast2 = new FakeSink();
        start(fast2, new FakeSink(), DeliveryLedger.NONE);
        awaitAcknowledged(pipeline, currentWal(PG, db));
        // At least everything from the held row on comes again, though the fast sink had it all.
        assertThat(ids(fast2)).containsAll(range(3, 10));
    }

    private void start(FakeSink a, FakeSink b) throws Exception {
        start(a, b, ledger);
    }

    private void start(FakeSink a, FakeSink b, DeliveryLedger l) throws Exception {
        SourceSettings settings = new SourceSettings(
                "localhost", PG.port(), db, "postgres", null, false, false, slot, "pub_" + db, true, true);
        pipeline = new DatabasePipeline(
                db,
                settings,
                FAST_RECONNECT,
                lsn -> {},
                PipelineMetrics.NONE,
                DatabasePipeline.Options.DEFAULT,
                l,
                MessageStore.NONE);
        pipeline.addSink(spec("a", "fast", 10), a);
        pipeline.addSink(spec("b", "behind", 10), b);
        pipeline.start();
        awaitStreaming(pipeline);
    }

    private void insertRows(int from, int to) throws Exception {
        try (Connection c = PG.connect(db);
                var st = c.createStatement()) {
            for (int i = from; i <= to; i++) {
                st.execute("INSERT INTO events VALUES (" + i + ", 'row " + i + "')");
            }
        }
    }

    private static List<Integer> range(int from, int to) {
        return IntStream.rangeClosed(from, to).boxed().toList();
    }
}
