package dev.sluice.engine;

import static dev.sluice.engine.PipelineTestSupport.await;
import static dev.sluice.engine.PipelineTestSupport.awaitStatusUpdate;
import static dev.sluice.engine.PipelineTestSupport.awaitStreaming;
import static dev.sluice.engine.PipelineTestSupport.ids;
import static dev.sluice.engine.PipelineTestSupport.idsOf;
import static dev.sluice.engine.PipelineTestSupport.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.Batch;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.testkit.TestPostgres;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sinks added, paused, reconfigured and removed while a real slot streams and a writer commits one row per
 * transaction (staying at most {@value #AHEAD} rows ahead of one of the sinks): the other sinks lose and repeat
 * nothing, and the slot keeps advancing.
 */
class DatabasePipelineReconfigureIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final RetryPolicy FAST_RECONNECT = new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(200), 0);
    private static final int AHEAD = 20;

    private String db;
    private String slot;
    private @Nullable DatabasePipeline pipeline;
    private @Nullable PacedWriter writer;

    @BeforeEach
    void setUp() {
        db = PG.createDatabase("reconf");
        slot = "slot_" + db;
        PG.execute(db, "CREATE TABLE events (id serial PRIMARY KEY, note text)");
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (writer != null) {
            writer.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        PipelineTestSupport.dropSlot(PG, db, slot);
    }

    @Test
    void addSink_whileStreaming_newSinkGetsEveryLaterChangeAndTheFirstLosesNothing() throws Exception {
        FakeSink first = new FakeSink();
        start(spec("a", "first", SinkState.ACTIVE, 10), first);
        PacedWriter writer = write(first);
        await("the first sink to receive changes").until(() -> first.deliveredMessages() >= 20);

        FakeSink second = new FakeSink();
        pipeline.addSink(spec("b", "second", SinkState.ACTIVE, 7), second);
        int committedBeforeAddReturned = writer.written();
        await("more writes").until(() -> writer.written() >= committedBeforeAddReturned + 50);
        List<Integer> written = writer.stop();

        await("the first sink to catch up").until(() -> first.deliveredMessages() >= written.size());
        await("the second sink to catch up").until(() -> last(ids(second)) == last(written));
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
        PacedWriter writer = write(other);
        await("deliveries before the pause").until(() -> paused.deliveredMessages() >= 20);

        pipeline.updateSink(spec("p", "pausable", SinkState.PAUSED, 10), paused);
        int deliveredAtPause = paused.deliveredMessages();
        int writtenAtPause = writer.written();
        // 50 rows written after the pause have reached the paused sink's queue, and the other sink (alike, but
        // active) has delivered them.
        await("writes while paused, held by the paused sink and delivered by the other")
                .until(() -> other.deliveredMessages() >= writtenAtPause + 50
                        && status("pausable").queued() >= 50);
        assertThat(ids(paused)).as("nothing delivered while paused").hasSize(deliveredAtPause);
        assertThat(status("pausable").state()).isEqualTo(SinkState.PAUSED);

        pipeline.updateSink(spec("p", "pausable", SinkState.ACTIVE, 10), paused);
        List<Integer> written = writer.stop();

        await("the resumed sink to catch up").until(() -> paused.deliveredMessages() >= written.size());
        await("the other sink to catch up").until(() -> other.deliveredMessages() >= written.size());
        assertThat(ids(paused)).containsExactlyElementsOf(written);
        assertThat(ids(other)).containsExactlyElementsOf(written);
        assertThat(paused.closed).as("same instance: kept open").isFalse();
    }

    @Test
    void updateSink_swappingFailingSinkDeliversEveryMessageIncludingTheRetriedOneOnceInOrder() throws Exception {
        FakeSink failing = new FakeSink().failTimes(1_000_000);
        FakeSink replacement = new FakeSink();
        start(spec("s", "flaky", SinkState.ACTIVE, 10), failing);
        // Paced by the replacement: AHEAD rows at first, more once the swap has taken place.
        PacedWriter writer = write(replacement);
        await("a batch in retry").until(() -> failing.attempts.size() >= 2);
        Batch retried = failing.attempts.getFirst();

        pipeline.updateSink(spec("s", "flaky", SinkState.ACTIVE, 3), replacement);
        int writtenAtSwap = writer.written();
        await("more writes").until(() -> writer.written() >= writtenAtSwap + 30);
        List<Integer> written = writer.stop();

        await("the new sink to catch up").until(() -> replacement.deliveredMessages() >= written.size());
        assertThat(failing.closed).isTrue();
        assertThat(failing.delivered).isEmpty();
        assertThat(ids(replacement)).containsExactlyElementsOf(written);
        assertThat(ids(replacement)).startsWith(idsOf(retried).toArray(Integer[]::new));
        assertThat(replacement.delivered).allSatisfy(b -> assertThat(b.size()).isBetween(1, 3));
        assertThat(replacement.startedWith).isNotNull();
        long afterLastWrite = currentWal();
        await("the slot to reach the last write").until(() -> confirmedFlush() >= afterLastWrite);
    }

    @Test
    void removeSink_stopsItsDeliveriesAndTheSlotAdvancesDespiteItsUndeliveredMessages() throws Exception {
        FakeSink healthy = new FakeSink();
        FakeSink broken = new FakeSink().failTimes(1_000_000);
        start(spec("h", "healthy", SinkState.ACTIVE, 10), healthy);
        pipeline.addSink(spec("x", "broken", SinkState.ACTIVE, 10), broken);
        PacedWriter writer = write(healthy);
        await("the broken sink to retry").until(() -> broken.attempts.size() >= 2 && healthy.deliveredMessages() >= 20);
        // The healthy sink has resolved 20 rows; a status update sent after that still stops before the first.
        long firstRow = healthy.deliveredPositions().getFirst().commitLsn();
        awaitStatusUpdate(PG, db, slot);
        long heldAt = confirmedFlush();
        assertThat(heldAt).as("the broken sink holds the slot").isLessThan(firstRow);

        assertThat(pipeline.removeSink("x")).isTrue();
        int attemptsAtRemoval = broken.attempts.size();
        assertThat(broken.closed).isTrue();
        assertThat(pipeline.removeSink("x")).isFalse();
        long walAfterRemove = currentWal();
        await("the slot to advance past the removal").until(() -> confirmedFlush() >= walAfterRemove);
        assertThat(confirmedFlush()).isGreaterThan(heldAt);
        List<Integer> written = writer.stop();

        await("the healthy sink to catch up").until(() -> healthy.deliveredMessages() >= written.size());
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
        await("the first change").until(() -> first.deliveredMessages() == 1);
        long afterFirst = currentWal();
        await("the slot to reach the first change").until(() -> confirmedFlush() >= afterFirst);

        FakeSink added = new FakeSink();
        pipeline.addSink(spec("b", "added", SinkState.ACTIVE, 10), added);
        // WAL that no transaction carries: only keepalives tell the pipeline about it.
        PG.execute(db, "SELECT pg_logical_emit_message(false, 'test', 'nothing to route')");
        long target = currentWal();
        await("the slot to advance on keepalives").until(() -> confirmedFlush() >= target);

        PG.execute(db, "INSERT INTO events (note) VALUES ('after')");
        await("the added sink to get the next change").until(() -> added.deliveredMessages() == 1);
        assertThat(ids(first)).hasSize(2);
    }

    @Test
    void updateSink_disableThenEnable_disabledSinkGetsNothingAndDoesNotHoldTheSlot() throws Exception {
        FakeSink first = new FakeSink();
        FakeSink toggled = new FakeSink();
        start(spec("a", "first", SinkState.ACTIVE, 10), first);
        pipeline.addSink(spec("t", "toggled", SinkState.ACTIVE, 10), toggled);
        PG.execute(db, "INSERT INTO events (note) VALUES ('one')");
        await("the toggled sink to get a change").until(() -> toggled.deliveredMessages() == 1);

        pipeline.updateSink(spec("t", "toggled", SinkState.DISABLED, 10), toggled);
        assertThat(toggled.closed).isTrue();
        assertThat(status("toggled").state()).isEqualTo(SinkState.DISABLED);
        PG.execute(db, "INSERT INTO events (note) VALUES ('two')");
        long afterTwo = currentWal();
        await("the slot to advance without the disabled sink").until(() -> confirmedFlush() >= afterTwo);
        // The slot's position can move ahead of routing on a keepalive; wait until 'two' has been routed, so the
        // sink enabled next starts after it.
        await("the first sink to get 'two'").until(() -> first.deliveredMessages() == 2);

        FakeSink enabled = new FakeSink();
        pipeline.updateSink(spec("t", "toggled", SinkState.ACTIVE, 10), enabled);
        PG.execute(db, "INSERT INTO events (note) VALUES ('three')");
        await("the re-enabled sink to get 'three'")
                .until(() -> first.deliveredMessages() == 3 && enabled.deliveredMessages() == 1);
        assertThat(ids(enabled)).containsExactly(ids(first).getLast());
        assertThat(ids(toggled)).hasSize(1);
    }

    // ---- helpers ----

    private void start(SinkSpec spec, FakeSink sink) {
        SourceSettings settings = new SourceSettings(
                "localhost", PG.port(), db, "postgres", null, false, false, slot, "pub_" + db, true, true);
        pipeline = new DatabasePipeline(db, settings, FAST_RECONNECT, lsn -> {});
        pipeline.addSink(spec, sink);
        pipeline.start();
        awaitStreaming(pipeline);
    }

    /** Starts writing rows, at most {@value #AHEAD} ahead of the rows {@code pacer} has received. */
    private PacedWriter write(FakeSink pacer) {
        PacedWriter w = PacedWriter.events(PG, db, AHEAD, Long.MAX_VALUE, pacer::deliveredMessages);
        writer = w;
        return w;
    }

    private DatabasePipeline.SinkStatus status(String name) {
        return pipeline.status().sinks().stream()
                .filter(s -> s.name().equals(name))
                .findFirst()
                .orElseThrow();
    }

    private static int last(List<Integer> l) {
        return l.isEmpty() ? -1 : l.getLast();
    }

    private long confirmedFlush() throws SQLException {
        return PipelineTestSupport.confirmedFlush(PG, db, slot);
    }

    private long currentWal() throws SQLException {
        return PipelineTestSupport.currentWal(PG, db);
    }
}
