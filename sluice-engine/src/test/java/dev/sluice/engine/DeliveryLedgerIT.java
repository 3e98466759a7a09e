package dev.sluice.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Action;
import dev.sluice.core.MessageContext;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.testkit.TestPostgres;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
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
        PG.execute(
                db,
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot
                        + "' AND NOT active");
    }

    @Test
    void afterARestart_eachSinkGetsOnlyWhatItLacked_evenWhenItHadResolvedOutOfOrder() throws Exception {
        FakeSink fast = new FakeSink();
        FakeSink behind = new FakeSink();
        // Row 5 keeps failing for the second sink: rows 6..100 (other groups) are delivered around it.
        behind.poison = m -> FakeSink.column(m, "id").equals("5");
        start(fast, behind);
        insertRows(1, 100);
        await(() -> ids(fast).size() == 100);
        await(() -> ids(behind).size() == 99);
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
        await(() -> ids(fast2).size() >= 10 && ids(behind2).size() >= 11);
        Thread.sleep(200); // anything replayed by mistake would arrive by now
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
        await(() -> ids(fast).size() == 10);
        pipeline.close();

        FakeSink fast2 = new FakeSink();
        start(fast2, new FakeSink(), DeliveryLedger.NONE);
        await(() -> ids(fast2).size() >= 8);
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
        pipeline.addSink(spec("a", "fast"), a);
        pipeline.addSink(spec("b", "behind"), b);
        pipeline.start();
        await(() -> pipeline.status().state() == DatabasePipeline.State.STREAMING);
    }

    private void insertRows(int from, int to) throws Exception {
        try (Connection c = PG.connect(db);
                var st = c.createStatement()) {
            for (int i = from; i <= to; i++) {
                st.execute("INSERT INTO events VALUES (" + i + ", 'row " + i + "')");
            }
        }
    }

    private static SinkSpec spec(String id, String name) {
        MessageContext ctx =
                new MessageContext(id, name, "{}", "d1", "shop", "{}", "shop", "localhost", TimestampFormat.ISO8601);
        return new SinkSpec(
                id,
                name,
                t -> t.name().equals("events"),
                EnumSet.allOf(Action.class),
                Map.of(),
                true,
                10,
                Duration.ofMillis(20),
                null,
                SinkState.ACTIVE,
                ctx,
                1 << 20);
    }

    private static List<Integer> ids(FakeSink sink) {
        List<Integer> out = new ArrayList<>();
        for (Batch batch : sink.delivered) {
            for (SinkMessage m : batch.messages()) {
                out.add(Integer.parseInt(FakeSink.column(m, "id")));
            }
        }
        return out;
    }

    private static List<Integer> range(int from, int to) {
        return IntStream.rangeClosed(from, to).boxed().toList();
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(10))
                .until(condition);
    }
}
