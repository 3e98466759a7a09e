package dev.sluice.engine;

import static dev.sluice.engine.PipelineTestSupport.await;
import static dev.sluice.engine.PipelineTestSupport.awaitStreaming;
import static dev.sluice.engine.PipelineTestSupport.awaitStreamingAfter;
import static dev.sluice.engine.PipelineTestSupport.ids;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.testkit.FaultProxy;
import dev.sluice.testkit.TestPostgres;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pipeline reads through a {@link FaultProxy} while a writer commits one row per transaction (staying at most
 * {@value #AHEAD} rows ahead of the sink); the walsender is terminated, the TCP connections are reset, the path goes
 * silent. Each time the pipeline streams again promptly, with the production back-off, and the sink gets every row,
 * in order.
 */
class DatabasePipelineFaultIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final Duration RECONNECT_LIMIT = Duration.ofSeconds(5);
    // Rows the writer may be ahead of the sink: enough to keep rows coming while the pipeline reconnects.
    private static final int AHEAD = 100;

    private final String db = PG.createDatabase("fault");
    private final String slot = "slot_" + db;
    private final FaultProxy proxy = FaultProxy.start("localhost", PG.port());
    private final FakeSink sink = new FakeSink();
    private @Nullable DatabasePipeline pipeline;
    private @Nullable PacedWriter writer;

    @AfterEach
    void tearDown() throws Exception {
        if (writer != null) {
            writer.close();
        }
        proxy.restore();
        if (pipeline != null) {
            pipeline.close();
        }
        proxy.close();
        PipelineTestSupport.dropSlot(PG, db, slot);
    }

    @Test
    void walsenderTerminatedAndConnectionsReset_reconnectsWithin5sAndLosesNothing() throws Exception {
        start(DatabasePipeline.Options.DEFAULT);
        PacedWriter writer = write(2000);

        await("500 rows written").until(() -> writer.written() >= 500);
        Instant terminated = Instant.now();
        long pid = PipelineTestSupport.queryLong(
                PG, db, "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
        assertThat(PipelineTestSupport.queryLong(PG, db, "SELECT pg_terminate_backend(" + pid + ")::int"))
                .isEqualTo(1);
        Duration afterTerminate = awaitStreamingAfter(pipeline, terminated);

        await("1200 rows written").until(() -> writer.written() >= 1200);
        Instant dropped = Instant.now();
        proxy.dropConnections();
        Duration afterDrop = awaitStreamingAfter(pipeline, dropped);

        List<Integer> written = writer.await();
        await("every row delivered").until(() -> new LinkedHashSet<>(ids(sink)).size() >= written.size());
        int duplicates = assertEveryRowOnceInOrder(written);
        // Printed: the measured times are part of what this test reports.
        System.out.printf(
                "[fault] reconnect after pg_terminate_backend: %d ms, after a TCP reset: %d ms, duplicates: %d%n",
                afterTerminate.toMillis(), afterDrop.toMillis(), duplicates);
        assertThat(afterTerminate).isLessThan(RECONNECT_LIMIT);
        assertThat(afterDrop).isLessThan(RECONNECT_LIMIT);
    }

    @Test
    void silentPath_isDetectedByTheIdleWatchdogAndRecoversAfterRestore() throws Exception {
        start(DatabasePipeline.Options.heartbeatEvery(Duration.ofSeconds(1)));
        await("a heartbeat (arms the watchdog)").until(() -> pipeline.status().lastHeartbeatAt() != null);
        PacedWriter writer = write(600);
        await("200 rows written").until(() -> writer.written() >= 200);

        Instant silenced = Instant.now();
        proxy.blackhole();
        await("the silent session to be given up", Duration.ofSeconds(30))
                .until(() -> pipeline.status().state() != DatabasePipeline.State.STREAMING);
        Duration detected = Duration.between(silenced, Instant.now());
        String error = pipeline.status().lastError();

        // A reconnect attempt reaches the proxy and hangs on the silent path before it is restored.
        long accepted = proxy.acceptedCount();
        await("a reconnect attempt on the silent path").until(() -> proxy.acceptedCount() > accepted);
        Instant restored = Instant.now();
        proxy.restore();
        Duration afterRestore = awaitStreamingAfter(pipeline, restored);

        List<Integer> written = writer.await();
        await("every row delivered").until(() -> new LinkedHashSet<>(ids(sink)).size() >= written.size());
        int duplicates = assertEveryRowOnceInOrder(written);
        System.out.printf(
                "[fault] silent path detected after %d ms (%s); streaming %d ms after restore; duplicates: %d%n",
                detected.toMillis(), error, afterRestore.toMillis(), duplicates);
        // The idle watchdog (after 3 silent heartbeat intervals), or, when the reader happened to be in the slot lag
        // query (every 5 s) as the path went silent, that query's 10 s network timeout.
        assertThat(error).containsAnyOf("nothing received from slot", "reading the slot's lag");
        assertThat(detected).isLessThan(Duration.ofSeconds(15));
        assertThat(afterRestore).isLessThan(Duration.ofSeconds(10));
    }

    // ---- helpers ----

    private void start(DatabasePipeline.Options options) {
        PG.execute(db, "CREATE TABLE events (id serial PRIMARY KEY, note text)");
        SourceSettings settings = new SourceSettings(
                "127.0.0.1", proxy.port(), db, "postgres", null, false, false, slot, "pub_" + db, true, true);
        pipeline = new DatabasePipeline(db, settings, RetryPolicy.RECONNECT, lsn -> {}, PipelineMetrics.NONE, options);
        pipeline.addSink(PipelineTestSupport.spec("s", "sink", 50), sink);
        pipeline.start();
        awaitStreaming(pipeline);
    }

    /** Commits {@code rows} rows, one per transaction, straight to Postgres (not through the proxy). */
    private PacedWriter write(int rows) {
        PacedWriter w = PacedWriter.events(PG, db, AHEAD, rows, sink::deliveredMessages);
        writer = w;
        return w;
    }

    /** Every written row was delivered, first occurrences in commit order; returns the number of repeats. */
    private int assertEveryRowOnceInOrder(List<Integer> written) {
        List<Integer> got = ids(sink);
        List<Integer> firsts = new ArrayList<>(new LinkedHashSet<>(got));
        assertThat(firsts).as("every row, in commit order").containsExactlyElementsOf(written);
        return got.size() - firsts.size();
    }
}
