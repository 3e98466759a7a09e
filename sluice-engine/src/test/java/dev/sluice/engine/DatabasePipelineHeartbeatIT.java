package dev.sluice.engine;

import static dev.sluice.engine.PipelineTestSupport.awaitTrue;
import static dev.sluice.engine.PipelineTestSupport.confirmedFlush;
import static dev.sluice.engine.PipelineTestSupport.currentWal;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Heartbeats move the slot of a database that has no writes of its own while another database writes. */
class DatabasePipelineHeartbeatIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final String db = PG.createDatabase("hb");
    private final String other = PG.createDatabase("hbother");
    private final String slot = "slot_" + db;
    private @Nullable DatabasePipeline pipeline;
    private volatile boolean writing = true;
    private @Nullable Thread writer;

    @AfterEach
    void tearDown() throws InterruptedException {
        writing = false;
        if (writer != null) {
            writer.join(Duration.ofSeconds(10));
        }
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
        pipeline = new DatabasePipeline(
                db,
                settings,
                RetryPolicy.RECONNECT,
                lsn -> {},
                PipelineMetrics.NONE,
                DatabasePipeline.Options.heartbeatEvery(Duration.ofSeconds(1)));
        pipeline.addSink(PipelineTestSupport.spec("s", "sink", 10), sink);
        pipeline.start();
        awaitTrue(WAIT, () -> pipeline.status().state() == DatabasePipeline.State.STREAMING, () -> "streaming");
        assertThat(pipeline.status().lastHeartbeatAt()).isNull();

        AtomicInteger noise = new AtomicInteger();
        writer = Thread.ofPlatform().start(() -> {
            try (Connection c = PG.connect(other);
                    Statement st = c.createStatement()) {
                while (writing) {
                    st.execute("INSERT INTO noise (note) VALUES (repeat('x', 200))");
                    noise.incrementAndGet();
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });

        Instant started = Instant.now();
        awaitTrue(WAIT, () -> pipeline.status().lastHeartbeatAt() != null, () -> "a heartbeat to come back");
        Instant first = pipeline.status().lastHeartbeatAt();
        assertThat(first).isAfter(started);

        long before = confirmedFlush(PG, db, slot);
        long walNow = currentWal(PG, db);
        awaitTrue(
                Duration.ofSeconds(10),
                () -> confirmedFlush(PG, db, slot) >= walNow,
                () -> "the slot to pass " + walNow + " (at " + before + ")");
        long walLater = currentWal(PG, db);
        awaitTrue(
                Duration.ofSeconds(10),
                () -> confirmedFlush(PG, db, slot) >= walLater,
                () -> "the slot to keep moving");
        awaitTrue(
                Duration.ofSeconds(5),
                () -> pipeline.status().lastHeartbeatAt().isAfter(first),
                () -> "further heartbeats");

        DatabasePipeline.Status status = pipeline.status();
        assertThat(status.heartbeatWarning(Instant.now())).isNull();
        assertThat(status.heartbeatInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(noise.get()).as("the other database wrote").isPositive();
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
}
