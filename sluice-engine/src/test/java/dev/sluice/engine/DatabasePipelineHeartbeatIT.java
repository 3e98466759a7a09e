package dev.sluice.engine;

import static dev.sluice.engine.PipelineTestSupport.await;
import static dev.sluice.engine.PipelineTestSupport.awaitStreaming;
import static dev.sluice.engine.PipelineTestSupport.confirmedFlush;
import static dev.sluice.engine.PipelineTestSupport.currentWal;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.testkit.FakeTicker;
import dev.sluice.testkit.TestPostgres;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Heartbeats move the slot of a database that has no writes of its own while another database writes. The pipeline's
 * time is a {@link FakeTicker}: each heartbeat interval passes when the test says so.
 */
class DatabasePipelineHeartbeatIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final Duration INTERVAL = Duration.ofSeconds(1);

    private final String db = PG.createDatabase("hb");
    private final String other = PG.createDatabase("hbother");
    private final String slot = "slot_" + db;
    private final FakeTicker ticker = new FakeTicker();
    private @Nullable DatabasePipeline pipeline;

    @AfterEach
    void tearDown() {
        if (pipeline != null) {
            pipeline.close();
        }
        PipelineTestSupport.dropSlot(PG, db, slot);
    }

    @Test
    void idleDatabase_heartbeatsComeBackAndTheSlotAdvances_sinkGetsNothing() throws Exception {
        PG.execute(db, "CREATE TABLE events (id serial PRIMARY KEY, note text)");
        PG.execute(other, "CREATE TABLE noise (id serial PRIMARY KEY, note text)");
        SourceSettings settings = new SourceSettings(
                "localhost", PG.port(), db, "postgres", null, false, false, slot, "pub_" + db, true, true);
        FakeSink sink = new FakeSink();
        DatabasePipeline p = new DatabasePipeline(
                db,
                settings,
                RetryPolicy.RECONNECT,
                lsn -> {},
                PipelineMetrics.NONE,
                DatabasePipeline.Options.heartbeatEvery(INTERVAL),
                DeliveryLedger.NONE,
                MessageStore.NONE,
                ticker);
        pipeline = p;
        p.addSink(PipelineTestSupport.spec("s", "sink", 10), sink);
        p.start();
        awaitStreaming(p);
        assertThat(p.status().lastHeartbeatAt()).isNull();

        // Only the other database writes: the slot has nothing of its own to move past but the heartbeats.
        noise();
        long walBefore = currentWal(PG, db);
        awaitHeartbeatWaiting();
        ticker.advance(INTERVAL);
        Instant first = ticker.now();
        await("a heartbeat to come back one interval after the start")
                .until(() -> first.equals(p.status().lastHeartbeatAt()));
        await("the slot to pass " + walBefore).until(() -> confirmedFlush(PG, db, slot) >= walBefore);

        noise();
        awaitHeartbeatWaiting();
        ticker.advance(INTERVAL);
        Instant second = ticker.now();
        await("the next heartbeat").until(() -> second.equals(p.status().lastHeartbeatAt()));
        // Past the second heartbeat: a heartbeat routed to the sink would hold the slot before it.
        long walAfter = currentWal(PG, db);
        await("the slot to keep moving").until(() -> confirmedFlush(PG, db, slot) >= walAfter);

        DatabasePipeline.Status status = p.status();
        assertThat(status.heartbeatWarning(ticker.now())).isNull();
        assertThat(status.heartbeatInterval()).isEqualTo(INTERVAL);
        assertThat(sink.attempts).as("heartbeats are not delivered").isEmpty();
    }

    @Test
    void heartbeatWarning_whenNoneCameBackForThreeIntervals() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        DatabasePipeline.Status streaming = new DatabasePipeline.Status(
                "d",
                DatabasePipeline.State.STREAMING,
                null,
                0,
                java.util.List.of(),
                t0,
                t0.plusSeconds(10),
                0,
                Duration.ofSeconds(30));
        assertThat(streaming.heartbeatWarning(t0.plusSeconds(100))).isNull();
        assertThat(streaming.heartbeatWarning(t0.plusSeconds(101)))
                .contains("no heartbeat has come back")
                .contains("91 s");
        DatabasePipeline.Status off = new DatabasePipeline.Status(
                "d", DatabasePipeline.State.STREAMING, null, 0, java.util.List.of(), t0, null, 0, Duration.ZERO);
        assertThat(off.heartbeatWarning(t0.plusSeconds(1000))).isNull();
    }

    /** Waits until the heartbeat's thread waits for its next interval (so that moving time on starts it). */
    private void awaitHeartbeatWaiting() {
        String name = "heartbeat-" + db;
        await("the heartbeat's thread to wait for the interval")
                .until(() -> Thread.getAllStackTraces().entrySet().stream()
                        .anyMatch(e -> e.getKey().getName().equals(name)
                                && Arrays.stream(e.getValue())
                                        .anyMatch(f -> f.getClassName().equals(Sleeper.class.getName()))));
    }

    private void noise() {
        PG.execute(other, "INSERT INTO noise (note) SELECT repeat('x', 200) FROM generate_series(1, 20)");
    }
}
