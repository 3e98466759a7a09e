package dev.sluice.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Action;
import dev.sluice.core.MessageContext;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sinks added, paused, reconfigured and removed while a real slot streams and a writer commits one row
 * per transaction: the other sinks lose and repeat nothing, and the slot keeps advancing.
 */
class DatabasePipelineReconfigureIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final RetryPolicy FAST_RECONNECT = new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(200), 0);

    private String db;
    private String slot;
    private @Nullable DatabasePipeline pipeline;
    private @Nullable Writer writer;

    @BeforeEach
    void setUp() {
        db = PG.createDatabase("reconf");
        slot = "slot_" + db;
        PG.execute(db, "CREATE TABLE events (id serial PRIMARY KEY, note text)", "CREATE TABLE other (id int)");
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (writer != null) {
            writer.stop();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        try (Connection c = PG.connect(db);
                var ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        + " WHERE slot_name = ? AND NOT active")) {
            ps.setString(1, slot);
            ps.execute();
        } catch (SQLException e) {
            // best effort: the database is unique to this test anyway
        }
    }

    @Test
    void addSink_whileStreaming_newSinkGetsEveryLaterChangeAndTheFirstLosesNothing() throws Exception {
        FakeSink first = new FakeSink();
        start(spec("a", "first", SinkState.ACTIVE, 10), first);
        writer = Writer.start(db);
        awaitTrue(() -> ids(first).size() >= 20, "the first sink to receive changes");

        FakeSink second = new FakeSink();
        pipeline.addSink(spec("b", "second", SinkState.ACTIVE, 7), second);
        int committedBeforeAddReturned = writer.committed.size();
        awaitTrue(() -> writer.committed.size() >= committedBeforeAddReturned + 50, "more writes");
        List<Integer> written = writer.stop();

        awaitTrue(() -> ids(first).size() >= written.size(), "the first sink to catch up");
        awaitTrue(() -> last(ids(second)) == last(written), "the second sink to catch up");
        assertThat(ids(first)).as("first sink: all, once, in order").containsExactlyElementsOf(written);
        List<Integer> got = ids(second);
        int from = written.indexOf(got.getFirst());
        assertThat(from).isBetween(0, committedBeforeAddReturned);
        assertThat(got)
                .as("second sink: a gap-free suffix")
                .containsExactlyElementsOf(written.subList(from, written.size()));
        assertThat(pipeline.status().sinks())
                .extracting(DatabasePipeline.SinkStatus::name)
                .containsExactly("first", "second");
        assertThatThrownBy(() -> pipeline.addSink(spec("b", "again", SinkState.ACTIVE, 1), new FakeSink()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pauseAndResume_holdDeliveriesThenDeliverThemInOrderOnce() throws Exception {
        FakeSink other = new FakeSink();
        FakeSink paused = new FakeSink();
        start(spec("a", "other", SinkState.ACTIVE, 10), other);
        pipeline.addSink(spec("p", "pausable", SinkState.ACTIVE, 10), paused);
        writer = Writer.start(db);
        awaitTrue(() -> ids(paused).size() >= 20, "deliveries before the pause");

        pipeline.updateSink(spec("p", "pausable", SinkState.PAUSED, 10), paused);
        int deliveredAtPause = ids(paused).size();
        int writtenAtPause = writer.committed.size();
        awaitTrue(() -> writer.committed.size() >= writtenAtPause + 50, "writes while paused");
        assertThat(ids(paused)).as("nothing delivered while paused").hasSize(deliveredAtPause);
        assertThat(status("pausable").state()).isEqualTo(SinkState.PAUSED);
        awaitTrue(() -> status("pausable").queued() > 0, "held messages");

        pipeline.updateSink(spec("p", "pausable", SinkState.ACTIVE, 10), paused);
        List<Integer> written = writer.stop();

        awaitTrue(() -> ids(paused).size() >= written.size(), "the resumed sink to catch up");
        awaitTrue(() -> ids(other).size() >= written.size(), "the other sink to catch up");
        assertThat(ids(paused)).containsExactlyElementsOf(written);
        assertThat(ids(other)).containsExactlyElementsOf(written);
        assertThat(paused.closed).as("same instance: kept open").isFalse();
    }

    @Test
    void updateSink_swappingFailingSinkDeliversEveryMessageIncludingTheRetriedOneOnceInOrder() throws Exception {
        FakeSink failing = new FakeSink().failTimes(1_000_000);
        start(spec("s", "flaky", SinkState.ACTIVE, 10), failing);
        writer = Writer.start(db);
        awaitTrue(() -> failing.attempts.size() >= 2, "a batch in retry");
        Batch retried = failing.attempts.getFirst();

        FakeSink replacement = new FakeSink();
        pipeline.updateSink(spec("s", "flaky", SinkState.ACTIVE, 3), replacement);
        int writtenAtSwap = writer.committed.size();
        awaitTrue(() -> writer.committed.size() >= writtenAtSwap + 30, "more writes");
        List<Integer> written = writer.stop();

        awaitTrue(() -> ids(replacement).size() >= written.size(), "the new sink to catch up");
        assertThat(failing.closed).isTrue();
        assertThat(failing.delivered).isEmpty();
        assertThat(ids(replacement)).containsExactlyElementsOf(written);
        assertThat(ids(replacement)).startsWith(idsOf(retried).toArray(Integer[]::new));
        assertThat(replacement.delivered).allSatisfy(b -> assertThat(b.size()).isBetween(1, 3));
        assertThat(replacement.startedWith).isNotNull();
        long afterLastWrite = currentWal();
        awaitTrue(() -> confirmedFlush() >= afterLastWrite, "the slot to reach the last write");
    }

    @Test
    void removeSink_stopsItsDeliveriesAndTheSlotAdvancesDespiteItsUndeliveredMessages() throws Exception {
        FakeSink healthy = new FakeSink();
        FakeSink broken = new FakeSink().failTimes(1_000_000);
        start(spec("h", "healthy", SinkState.ACTIVE, 10), healthy);
        pipeline.addSink(spec("x", "broken", SinkState.ACTIVE, 10), broken);
        writer = Writer.start(db);
        awaitTrue(() -> broken.attempts.size() >= 2 && ids(healthy).size() >= 20, "the broken sink to retry");
        Thread.sleep(700); // acknowledgements already sent have reached Postgres
        long heldAt = confirmedFlush();
        Thread.sleep(500);
        assertThat(confirmedFlush()).as("the broken sink holds the slot").isEqualTo(heldAt);

        assertThat(pipeline.removeSink("x")).isTrue();
        int attemptsAtRemoval = broken.attempts.size();
        assertThat(broken.closed).isTrue();
        assertThat(pipeline.removeSink("x")).isFalse();
        long walAfterRemove = currentWal();
        awaitTrue(() -> confirmedFlush() >= walAfterRemove, "the slot to advance past the removal");
        assertThat(confirmedFlush()).isGreaterThan(heldAt);
        List<Integer> written = writer.stop();

        awaitTrue(() -> ids(healthy).size() >= written.size(), "the healthy sink to catch up");
        assertThat(ids(healthy)).containsExactlyElementsOf(written);
        assertThat(broken.attempts).hasSize(attemptsAtRemoval);
        assertThat(pipeline.status().sinks())
                .extracting(DatabasePipeline.SinkStatus::name)
                .containsExactly("healthy");
    }

    @Test
    void addSink_onIdleDatabase_keepaliveAcknowledgementsKeepFlowing() throws Exception {
        FakeSink first = new FakeSink();
        start(spec("a", "first", SinkState.ACTIVE, 10), first);
        PG.execute(db, "INSERT INTO events (note) VALUES ('before')");
        awaitTrue(() -> ids(first).size() == 1, "the first change");
        long afterFirst = currentWal();
        awaitTrue(() -> confirmedFlush() >= afterFirst, "the slot to reach the first change");

        FakeSink added = new FakeSink();
        pipeline.addSink(spec("b", "added", SinkState.ACTIVE, 10), added);
        // WAL that no transaction carries: only keepalives tell the pipeline about it.
        PG.execute(db, "SELECT pg_logical_emit_message(false, 'test', 'nothing to route')");
        long target = currentWal();
        awaitTrue(() -> confirmedFlush() >= target, "the slot to advance on keepalives");

        PG.execute(db, "INSERT INTO events (note) VALUES ('after')");
        awaitTrue(() -> ids(added).size() == 1, "the added sink to get the next change");
        assertThat(ids(first)).hasSize(2);
    }

    @Test
    void updateSink_disableThenEnable_disabledSinkGetsNothingAndDoesNotHoldTheSlot() throws Exception {
        FakeSink first = new FakeSink();
        FakeSink toggled = new FakeSink();
        start(spec("a", "first", SinkState.ACTIVE, 10), first);
        pipeline.addSink(spec("t", "toggled", SinkState.ACTIVE, 10), toggled);
        PG.execute(db, "INSERT INTO events (note) VALUES ('one')");
        awaitTrue(() -> ids(toggled).size() == 1, "the toggled sink to get a change");

        pipeline.updateSink(spec("t", "toggled", SinkState.DISABLED, 10), toggled);
        assertThat(toggled.closed).isTrue();
        assertThat(status("toggled").state()).isEqualTo(SinkState.DISABLED);
        PG.execute(db, "INSERT INTO events (note) VALUES ('two')");
        long afterTwo = currentWal();
        awaitTrue(() -> confirmedFlush() >= afterTwo, "the slot to advance without the disabled sink");
        // The slot's position can move ahead of routing on a keepalive; wait until 'two' has been routed, so the
        // sink enabled next starts after it.
        awaitTrue(() -> ids(first).size() == 2, "the first sink to get 'two'");

        FakeSink enabled = new FakeSink();
        pipeline.updateSink(spec("t", "toggled", SinkState.ACTIVE, 10), enabled);
        PG.execute(db, "INSERT INTO events (note) VALUES ('three')");
        awaitTrue(
                () -> ids(first).size() == 3 && ids(enabled).size() == 1,
                () -> "the re-enabled sink: " + ids(first) + " " + ids(enabled) + " " + pipeline.status());
        assertThat(ids(enabled)).containsExactly(ids(first).getLast());
        assertThat(ids(toggled)).hasSize(1);
    }

    // ---- helpers ----

    private void start(SinkSpec spec, FakeSink sink) throws Exception {
        SourceSettings settings = new SourceSettings(
                "localhost", PG.port(), db, "postgres", null, false, false, slot, "pub_" + db, true, true);
        pipeline = new DatabasePipeline(db, settings, FAST_RECONNECT, lsn -> {});
        pipeline.addSink(spec, sink);
        pipeline.start();
        awaitTrue(() -> pipeline.status().state() == DatabasePipeline.State.STREAMING, "streaming");
    }

    private DatabasePipeline.SinkStatus status(String name) {
        return pipeline.status().sinks().stream()
                .filter(s -> s.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    private static SinkSpec spec(String id, String name, SinkState state, int batchSize) {
        MessageContext ctx =
                new MessageContext(id, name, "{}", "d1", "shop", "{}", "shop", "localhost", TimestampFormat.ISO8601);
        return new SinkSpec(
                id,
                name,
                t -> t.name().equals("events"),
                EnumSet.allOf(Action.class),
                Map.of(),
                true,
                batchSize,
                Duration.ofMillis(20),
                null,
                state,
                ctx,
                1 << 20);
    }

    private static List<Integer> ids(FakeSink sink) {
        List<Integer> out = new ArrayList<>();
        for (Batch b : sink.delivered) {
            out.addAll(idsOf(b));
        }
        return out;
    }

    private static List<Integer> idsOf(Batch b) {
        List<Integer> out = new ArrayList<>();
        for (SinkMessage m : b.messages()) {
            out.add(Integer.parseInt(FakeSink.column(m, "id")));
        }
        return out;
    }

    private static int last(List<Integer> l) {
        return l.isEmpty() ? -1 : l.getLast();
    }

    private long confirmedFlush() throws SQLException {
        return queryLong("SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::bigint FROM pg_replication_slots"
                + " WHERE slot_name = '" + slot + "'");
    }

    private long currentWal() throws SQLException {
        return queryLong("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint");
    }

    private long queryLong(String sql) throws SQLException {
        try (Connection c = PG.connect(db);
                var st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private static void awaitTrue(Check condition, String what) throws Exception {
        awaitTrue(condition, () -> what);
    }

    private static void awaitTrue(Check condition, Supplier<String> what) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what.get());
            }
            Thread.sleep(10);
        }
    }

    /** Commits one row per transaction, a few milliseconds apart, and records each id once committed. */
    private static final class Writer {
        final List<Integer> committed = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean go = true;
        private volatile @Nullable Exception failure;

        private Writer(String db) {
            thread = Thread.ofPlatform().name("writer-" + db).start(() -> {
                try (Connection c = PG.connect(db);
                        PreparedStatement ps =
                                c.prepareStatement("INSERT INTO events (note) VALUES ('x') RETURNING id")) {
                    c.setAutoCommit(true);
                    while (go) {
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            committed.add(rs.getInt(1));
                        }
                        Thread.sleep(3);
                    }
                } catch (Exception e) {
                    failure = e;
                }
            });
        }

        static Writer start(String db) {
            return new Writer(db);
        }

        List<Integer> stop() throws InterruptedException {
            go = false;
            thread.join(Duration.ofSeconds(10));
            assertThat(failure).as("writer error").isNull();
            return List.copyOf(committed);
        }
    }
}
