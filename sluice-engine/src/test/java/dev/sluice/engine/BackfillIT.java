package dev.sluice.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TableId;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Consistency of a backfill under concurrent writes: a table receives inserts, updates and deletes (also of rows
 * not read yet) while it is backfilled; applying every message the sink received, in delivery order per row, to an
 * empty map yields exactly the table at the end.
 */
class BackfillIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final RetryPolicy FAST_RECONNECT = new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(200), 0);
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final int ROWS = 200_000;

    /** Applies what it receives to a map: id → val; a read or insert or update sets, a delete removes. */
    static final class ApplyingSink implements Sink {
        final Map<Integer, Integer> rows = new ConcurrentHashMap<>();
        final AtomicLong reads = new AtomicLong();
        final AtomicLong live = new AtomicLong();

        @Override
        public CompletionStage<Void> deliver(Batch batch) {
            for (SinkMessage m : batch.messages()) {
                JsonNode n = JSON.readTree(m.json());
                JsonNode record = n.get("record");
                int id = record.get("id").asInt();
                switch (n.get("action").asString()) {
                    case "delete" -> rows.remove(id);
                    case "read" -> {
                        reads.incrementAndGet();
                        rows.put(id, record.get("val").asInt());
                    }
                    default -> {
                        live.incrementAndGet();
                        rows.put(id, record.get("val").asInt());
                    }
                }
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {}
    }

    /** Records what the backfill reports. */
    static final class Listener implements BackfillListener {
        final AtomicReference<@Nullable String> completed = new AtomicReference<>();
        final AtomicReference<@Nullable String> failed = new AtomicReference<>();
        volatile long counted = -1;
        volatile long processed;
        volatile long ingested;

        @Override
        public void counted(String id, long rows, boolean exact) {
            if (exact) {
                counted = rows;
            }
        }

        @Override
        public void progressed(String id, List<String> cursor, long rowsProcessed, long rowsIngested) {
            processed = rowsProcessed;
            ingested = rowsIngested;
        }

        @Override
        public void completed(String id, long rowsProcessed, long rowsIngested) {
            processed = rowsProcessed;
            ingested = rowsIngested;
            completed.set(id);
        }

        @Override
        public void failed(String id, String error) {
            failed.set(error);
        }
    }

    private String db;
    private String slot;
    private @Nullable DatabasePipeline pipeline;

    @AfterEach
    void tearDown() {
        if (pipeline != null) {
            pipeline.close();
        }
        PipelineTestSupport.dropSlot(PG, db, slot);
    }

    @ParameterizedTest(name = "page size {0}")
    @ValueSource(ints = {500, 7919, 0})
    void underConcurrentWrites_theReceivedMessagesRebuildTheTableExactly(int pageSize) throws Exception {
        db = PG.createDatabase("backfill");
        slot = "slot_" + db;
        PG.execute(
                db,
                "CREATE TABLE items (id int PRIMARY KEY, val int NOT NULL, note text)",
                "INSERT INTO items SELECT g, 0, 'row ' || g FROM generate_series(1, " + ROWS + ") g",
                "ANALYZE items");
        ApplyingSink sink = new ApplyingSink();
        SourceSettings settings = new SourceSettings(
                "localhost", PG.port(), db, "postgres", null, false, false, slot, "pub_" + db, true, true);
        pipeline = new DatabasePipeline(db, settings, FAST_RECONNECT, lsn -> {});
        SinkSpec spec = PipelineTestSupport.spec("s1", "applying", 200);
        pipeline.addSink(spec, sink);
        pipeline.start();
        PipelineTestSupport.awaitTrue(
                Duration.ofSeconds(30),
                () -> pipeline.status().state() == DatabasePipeline.State.STREAMING,
                () -> "streaming");

        // Writers: updates, deletes and inserts all over the key range, read or not yet read.
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong writes = new AtomicLong();
        Thread writer = Thread.ofPlatform().start(() -> {
            Random random = new Random(pageSize);
            try (Connection c = PG.connect(db);
                    Statement st = c.createStatement()) {
                while (writing.get()) {
                    int id = 1 + random.nextInt(ROWS + 1000);
                    switch (random.nextInt(4)) {
                        case 0 -> st.execute("DELETE FROM items WHERE id = " + id);
                        // New rows beyond the original ones, in a bounded range so that the backfill can reach the end.
                        case 1 ->
                            st.execute("INSERT INTO items VALUES (" + (ROWS + 2_000 + random.nextInt(2_000))
                                    + ", 1, 'new') ON CONFLICT (id) DO NOTHING");
                        case 2 ->
                            st.execute("INSERT INTO items VALUES (" + id + ", 2, 'back') ON CONFLICT (id) DO UPDATE"
                                    + " SET val = items.val + 1");
                        default ->
                            st.execute("UPDATE items SET val = val + 1 WHERE id IN (" + id + ", " + (id + 1) + ", "
                                    + (ROWS - id) + ")");
                    }
                    writes.incrementAndGet();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        Listener listener = new Listener();
        pipeline.startBackfill(
                new BackfillSpec("b-" + pageSize, "s1", new TableId("public", "items")), listener, pageSize);
        PipelineTestSupport.awaitTrue(
                Duration.ofSeconds(120),
                () -> listener.completed.get() != null || listener.failed.get() != null,
                () -> "backfill done; processed " + listener.processed);
        writing.set(false);
        writer.join();
        assertThat(listener.failed.get()).isNull();
        assertThat(writes.get()).as("writes during the backfill").isGreaterThan(200);

        // A last write proves the sink has everything before it.
        PG.execute(db, "INSERT INTO items VALUES (-1, -1, 'sentinel')");
        PipelineTestSupport.awaitTrue(
                Duration.ofSeconds(60), () -> sink.rows.containsKey(-1), () -> "the sentinel arrived");

        Map<Integer, Integer> table = new HashMap<>();
        try (Connection c = PG.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT id, val FROM items")) {
            while (rs.next()) {
                table.put(rs.getInt(1), rs.getInt(2));
            }
        }
        assertThat(sink.rows)
                .as(
                        "processed %d, ingested %d, reads %d, live %d, counted %d",
                        listener.processed, listener.ingested, sink.reads.get(), sink.live.get(), listener.counted)
                .hasSize(table.size());
        assertThat(sink.rows).as("rebuilt from the messages").isEqualTo(table);
        // Counted exactly at the start, while the writers were already at work.
        assertThat(listener.counted).isBetween(ROWS - writes.get(), ROWS + writes.get());
        assertThat(listener.processed).isGreaterThanOrEqualTo(ROWS - writes.get());
        assertThat(listener.ingested).isEqualTo(sink.reads.get()).isPositive();
        assertThat(sink.live.get()).isPositive();
    }

    /**
     * A change the sink does not take (here: updates, which it filters out) must not drop a read: the sink would never
     * see the row. Updates hit every row many times while 200-row pages are read; every row still arrives as a read.
     */
    @org.junit.jupiter.api.Test
    void changesTheSinkDoesNotTake_doNotDropReads() throws Exception {
        db = PG.createDatabase("backfill");
        slot = "slot_" + db;
        int rows = 5_000;
        PG.execute(
                db,
                "CREATE TABLE items (id int PRIMARY KEY, val int NOT NULL)",
                "INSERT INTO items SELECT g, 0 FROM generate_series(1, " + rows + ") g");
        ApplyingSink sink = new ApplyingSink();
        SourceSettings settings = new SourceSettings(
                "localhost", PG.port(), db, "postgres", null, false, false, slot, "pub_" + db, true, true);
        pipeline = new DatabasePipeline(db, settings, FAST_RECONNECT, lsn -> {});
        SinkSpec all = PipelineTestSupport.spec("s1", "no-updates", 200);
        SinkSpec spec = new SinkSpec(
                all.id(),
                all.name(),
                all.tables(),
                java.util.EnumSet.of(dev.sluice.core.Action.INSERT, dev.sluice.core.Action.DELETE),
                all.groupColumns(),
                all.messageGrouping(),
                all.batchSize(),
                all.batchTimeout(),
                all.maxRetryCount(),
                all.state(),
                all.context(),
                all.maxQueueBytes());
        pipeline.addSink(spec, sink);
        pipeline.start();
        PipelineTestSupport.awaitTrue(
                Duration.ofSeconds(30),
                () -> pipeline.status().state() == DatabasePipeline.State.STREAMING,
                () -> "streaming");

        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong writes = new AtomicLong();
        Thread writer = Thread.ofPlatform().start(() -> {
            try (Connection c = PG.connect(db);
                    Statement st = c.createStatement()) {
                while (writing.get()) {
                    st.execute("UPDATE items SET val = val + 1");
                    writes.incrementAndGet();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Listener listener = new Listener();
        pipeline.startBackfill(new BackfillSpec("b-filtered", "s1", new TableId("public", "items")), listener, 200);
        PipelineTestSupport.awaitTrue(
                Duration.ofSeconds(60),
                () -> listener.completed.get() != null || listener.failed.get() != null,
                () -> "backfill done; processed " + listener.processed);
        writing.set(false);
        writer.join();
        assertThat(listener.failed.get()).isNull();
        assertThat(writes.get())
                .as("updates of the whole table during the backfill")
                .isGreaterThan(2);
        PipelineTestSupport.awaitTrue(
                Duration.ofSeconds(30), () -> sink.reads.get() >= rows, () -> "reads: " + sink.reads.get());
        assertThat(sink.reads.get()).isEqualTo(rows);
        assertThat(sink.rows).hasSize(rows);
        assertThat(sink.live.get()).as("no update reached the sink").isZero();
        assertThat(listener.ingested).isEqualTo(rows);
    }
}
