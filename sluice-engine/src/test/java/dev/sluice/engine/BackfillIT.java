package dev.sluice.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Action;
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
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 * empty map yields exactly the table at the end. Over int, uuid, collated text, enum and composite keys, a sort
 * column with ties, and several page sizes.
 *
 * <p>The writer stays a few statements ahead of the pipeline (see {@link PacedWriter}), so that its writes interleave
 * with every page on a fast machine as on a loaded one, instead of piling up in the slot ahead of the watermarks.
 */
class BackfillIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final RetryPolicy FAST_RECONNECT = new RetryPolicy(Duration.ofMillis(50), Duration.ofMillis(200), 0);
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final int ROWS = 200_000;
    private static final String SENTINEL = "-1";
    // Statements the writer may be ahead of the pipeline, for writes of a row or three.
    private static final int SMALL_WRITES = 100;
    private static final Duration BACKFILL_LIMIT = Duration.ofSeconds(120);

    /**
     * Applies what it receives to a map: key (the key columns' values joined by '|') → val; a read, insert or
     * update sets, a delete removes.
     */
    static final class ApplyingSink implements Sink {
        final List<String> keyColumns;
        final Map<String, String> rows = new ConcurrentHashMap<>();
        final AtomicLong reads = new AtomicLong();
        final AtomicLong live = new AtomicLong();
        /** The highest position delivered (a live change's commit, a read's high watermark): the reader got there. */
        final AtomicLong highestLsn = new AtomicLong();

        ApplyingSink(String... keyColumns) {
            this.keyColumns = List.of(keyColumns);
        }

        @Override
        public CompletionStage<Void> deliver(Batch batch) {
            for (SinkMessage m : batch.messages()) {
                highestLsn.accumulateAndGet(m.position().commitLsn(), Math::max);
                JsonNode n = JSON.readTree(m.json());
                JsonNode record = n.get("record");
                StringBuilder key = new StringBuilder();
                for (String k : keyColumns) {
                    key.append(key.isEmpty() ? "" : "|").append(record.get(k).asString());
                }
                switch (n.get("action").asString()) {
                    case "delete" -> rows.remove(key.toString());
                    case "read" -> {
                        reads.incrementAndGet();
                        rows.put(key.toString(), record.get("val").asString());
                    }
                    default -> {
                        live.incrementAndGet();
                        rows.put(key.toString(), record.get("val").asString());
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

    /** One write of the concurrent writer, given a random source. */
    interface Write {
        String sql(Random random);
    }

    private String db;
    private String slot;
    private final AtomicLong terminations = new AtomicLong();
    private @Nullable DatabasePipeline pipeline;
    private @Nullable ApplyingSink applying;

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
        setUp(
                "CREATE TABLE items (id int PRIMARY KEY, val int NOT NULL, note text)",
                "INSERT INTO items SELECT g, 0, 'row ' || g FROM generate_series(1, " + ROWS + ") g",
                "ANALYZE items");
        ApplyingSink sink = new ApplyingSink("id");
        start(PipelineTestSupport.spec("s1", "applying", 200), sink);

        // Updates, deletes and inserts all over the key range, read or not yet read.
        Write write = random -> {
            int id = 1 + random.nextInt(ROWS + 1000);
            return switch (random.nextInt(4)) {
                case 0 -> "DELETE FROM items WHERE id = " + id;
                // New rows beyond the original ones, in a bounded range so that the backfill can reach the end.
                case 1 ->
                    "INSERT INTO items VALUES (" + (ROWS + 2_000 + random.nextInt(2_000))
                            + ", 1, 'new') ON CONFLICT (id) DO NOTHING";
                case 2 ->
                    "INSERT INTO items VALUES (" + id
                            + ", 2, 'back') ON CONFLICT (id) DO UPDATE SET val = items.val + 1";
                default ->
                    "UPDATE items SET val = val + 1 WHERE id IN (" + id + ", " + (id + 1) + ", " + (ROWS - id) + ")";
            };
        };
        Listener listener = backfillWhileWriting(
                new BackfillSpec("b-" + pageSize, "s1", new TableId("public", "items")), pageSize, write, pageSize);
        long writes = assertRebuilt(
                sink,
                listener,
                "INSERT INTO items VALUES (-1, -1, 'sentinel')",
                "SELECT id::text, val::text FROM items");
        // Counted exactly at the start, while the writers were already at work.
        assertThat(listener.counted).isBetween(ROWS - writes, ROWS + writes);
        assertThat(listener.processed).isGreaterThanOrEqualTo(ROWS - writes);
    }

    /**
     * The walsender is terminated every 300 ms during the backfill: the slot replays watermarks and changes the reader
     * met already. A replayed low watermark must not turn the windows again (the replayed changes are not routed a
     * second time, so they would be forgotten and a stale read could follow a delete).
     */
    @org.junit.jupiter.api.Test
    void walsenderTerminatedRepeatedly_theReceivedMessagesStillRebuildTheTableExactly() throws Exception {
        int rows = 40_000;
        setUp(
                "CREATE TABLE items (id int PRIMARY KEY, val int NOT NULL)",
                "INSERT INTO items SELECT g, 0 FROM generate_series(1, " + rows + ") g",
                "ANALYZE items");
        ApplyingSink sink = new ApplyingSink("id");
        start(PipelineTestSupport.spec("s1", "applying", 200), sink);
        Write write = random -> {
            int id = 1 + random.nextInt(rows);
            return switch (random.nextInt(3)) {
                case 0 -> "DELETE FROM items WHERE id = " + id;
                case 1 -> "INSERT INTO items VALUES (" + id + ", 1) ON CONFLICT (id) DO UPDATE SET val = items.val + 1";
                default -> "UPDATE items SET val = val + 1 WHERE id = " + id;
            };
        };
        Listener listener = backfillWhileWriting(
                new BackfillSpec("b-replay", "s1", new TableId("public", "items")), 400, write, 17, SMALL_WRITES, true);
        assertRebuilt(sink, listener, "INSERT INTO items VALUES (-1, -1)", "SELECT id::text, val::text FROM items");
        assertThat(terminations.get()).as("walsender terminations").isGreaterThan(2);
    }

    /** A primary key of each kind (char(n) with its blanks), read in 300-row pages while writers change rows ahead of and behind the cursor. */
    @ParameterizedTest(name = "{0} key")
    @ValueSource(strings = {"uuid", "text", "char", "enum", "composite"})
    void keysOfEveryKind_rebuildTheTableExactly(String kind) throws Exception {
        int rows = 20_000;
        String keyOf;
        String[] keyColumns = {"k"};
        switch (kind) {
            case "uuid" -> {
                setUp("CREATE TABLE items (k uuid PRIMARY KEY, val int NOT NULL)");
                keyOf = "md5(%1$s::text)::uuid";
            }
            case "text" -> {
                // A linguistic collation orders case and accents unlike bytes; keyset pages must follow it.
                String collation = firstCollation("und-x-icu", "en-US-x-icu", "en_US.utf8", "en_US.UTF-8", "C.utf8");
                setUp("CREATE TABLE items (k text COLLATE \"" + collation + "\" PRIMARY KEY, val int NOT NULL)");
                keyOf = "(ARRAY['apple','Apple','Äpfel','zebra','Zebra','éclair','eclair','_x'])[1 + %1$s %% 8]"
                        + " || ' ' || %1$s";
            }
            case "char" -> {
                // Blank-padded: the stream sends the blanks, which a cast to text would drop.
                setUp("CREATE TABLE items (k char(12) PRIMARY KEY, val int NOT NULL)");
                keyOf = "'k' || %1$s";
            }
            case "enum" -> {
                // Enum order is declaration order, not the labels' alphabetical order.
                setUp(
                        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic')",
                        "CREATE TABLE items (k mood, n int, val int NOT NULL, PRIMARY KEY (k, n))");
                keyOf = "(enum_range(NULL::mood))[1 + %1$s %% 4], %1$s / 4";
                keyColumns = new String[] {"k", "n"};
            }
            default -> {
                setUp("CREATE TABLE items (region text, n bigint, day date, val int NOT NULL,"
                        + " PRIMARY KEY (region, n, day))");
                keyOf = "'r' || (%1$s %% 7), %1$s / 3, date '2024-01-01' + (%1$s %% 3)";
                keyColumns = new String[] {"region", "n", "day"};
            }
        }
        String keys = String.join(", ", keyColumns);
        PG.execute(
                db,
                "INSERT INTO items (" + keys + ", val) SELECT " + keyOf.formatted("g") + ", 0 FROM generate_series(1, "
                        + rows + ") g",
                "ANALYZE items");
        ApplyingSink sink = new ApplyingSink(keyColumns);
        start(PipelineTestSupport.spec("s1", "applying", 200), sink);
        String key = keyOf;
        Write write = random -> {
            int g = 1 + random.nextInt(rows + 2_000);
            String row = key.formatted(g);
            return switch (random.nextInt(3)) {
                case 0 -> "DELETE FROM items WHERE (" + keys + ") = (" + row + ")";
                case 1 ->
                    "INSERT INTO items (" + keys + ", val) VALUES (" + row + ", 1) ON CONFLICT (" + keys
                            + ") DO UPDATE SET val = items.val + 1";
                default -> "UPDATE items SET val = val + 1 WHERE (" + keys + ") = (" + row + ")";
            };
        };
        Listener listener = backfillWhileWriting(
                new BackfillSpec("b-" + kind, "s1", new TableId("public", "items")), 300, write, kind.hashCode());
        assertRebuilt(
                sink,
                listener,
                "INSERT INTO items (" + keys + ", val) VALUES (" + key.formatted(1_000_000) + ", -1)",
                "SELECT "
                        + String.join(
                                " || '|' || ",
                                Arrays.stream(keyColumns)
                                        .map(c -> kind.equals("char") ? "rpad(" + c + ", 12)" : c + "::text")
                                        .toList())
                        + ", val::text FROM items");
        assertThat(listener.counted).isBetween((long) rows - 3_000, (long) rows + 3_000);
    }

    /**
     * A partial backfill by a sort column with ties (ten rows per updated_at): only rows from the start position on
     * are read, in that column's order, while writers move rows forward by setting updated_at = now(). The messages
     * rebuild exactly the rows at or after the start position.
     */
    @org.junit.jupiter.api.Test
    void aPartialBackfillBySortColumn_rebuildsTheRowsFromItsStart() throws Exception {
        int rows = 20_000;
        setUp(
                "CREATE TABLE items (id int PRIMARY KEY, val int NOT NULL, updated_at timestamptz NOT NULL)",
                "INSERT INTO items SELECT g, 0, timestamptz '2024-01-01 00:00:00+00' + (g / 10) * interval '1 minute'"
                        + " FROM generate_series(1, " + rows + ") g",
                "ANALYZE items");
        ApplyingSink sink = new ApplyingSink("id");
        start(PipelineTestSupport.spec("s1", "applying", 200), sink);
        // Rows 15,000 and on (id / 10 >= 1500); writes touch the whole range, so older rows come in live.
        String startAt = "2024-01-02 01:00:00+00";
        Write write = random -> {
            int id = 1 + random.nextInt(rows);
            return switch (random.nextInt(3)) {
                case 0 -> "DELETE FROM items WHERE id = " + id;
                case 1 ->
                    "INSERT INTO items VALUES (" + (rows + random.nextInt(2_000)) + ", 1, now())"
                            + " ON CONFLICT (id) DO UPDATE SET val = items.val + 1, updated_at = now()";
                default -> "UPDATE items SET val = val + 1, updated_at = now() WHERE id = " + id;
            };
        };
        Listener listener = backfillWhileWriting(
                new BackfillSpec("b-partial", "s1", new TableId("public", "items"), "updated_at", startAt, null, 0, 0),
                250,
                write,
                7);
        assertRebuilt(
                sink,
                listener,
                "INSERT INTO items VALUES (-1, -1, now())",
                "SELECT id::text, val::text FROM items WHERE updated_at >= '" + startAt + "'");
        assertThat(sink.reads.get()).as("reads from the start position on").isBetween(3_000L, 8_000L);
    }

    /**
     * A table without a primary key, read by a sort column with ties (REPLICA IDENTITY FULL, so that updates and
     * deletes are published with the whole old row): rows are matched by all their values, so a change to one row
     * does not drop the others that share its sort value.
     */
    @org.junit.jupiter.api.Test
    void aKeylessTableBySortColumn_rebuildsTheTableExactly() throws Exception {
        int rows = 10_000;
        setUp(
                "CREATE TABLE items (id int NOT NULL, grp int NOT NULL, val int NOT NULL)",
                "ALTER TABLE items REPLICA IDENTITY FULL",
                "INSERT INTO items SELECT g, g / 10, 0 FROM generate_series(1, " + rows + ") g",
                "ANALYZE items");
        ApplyingSink sink = new ApplyingSink("id");
        start(PipelineTestSupport.spec("s1", "applying", 200), sink);
        Write write = random -> {
            int id = 1 + random.nextInt(rows + 500);
            return switch (random.nextInt(3)) {
                case 0 -> "DELETE FROM items WHERE id = " + id;
                case 1 ->
                    "INSERT INTO items SELECT " + id + ", " + (id / 10) + ", 1"
                            + " WHERE NOT EXISTS (SELECT 1 FROM items WHERE id = " + id + ")";
                default -> "UPDATE items SET val = val + 1 WHERE id = " + id;
            };
        };
        Listener listener = backfillWhileWriting(
                new BackfillSpec("b-keyless", "s1", new TableId("public", "items"), "grp", null, null, 0, 0),
                150,
                write,
                11);
        assertRebuilt(sink, listener, "INSERT INTO items VALUES (-1, 0, -1)", "SELECT id::text, val::text FROM items");
    }

    /**
     * A change the sink does not take (here: updates, which it filters out) must not drop a read: the sink would never
     * see the row. Updates hit every row, a statement at a time (at most four ahead of the pipeline), while 200-row pages
     * are read; every row still arrives as a read.
     */
    @org.junit.jupiter.api.Test
    void changesTheSinkDoesNotTake_doNotDropReads() throws Exception {
        int rows = 5_000;
        setUp(
                "CREATE TABLE items (id int PRIMARY KEY, val int NOT NULL)",
                "INSERT INTO items SELECT g, 0 FROM generate_series(1, " + rows + ") g");
        ApplyingSink sink = new ApplyingSink("id");
        start(
                PipelineTestSupport.spec(
                        "s1", "no-updates", SinkState.ACTIVE, 200, EnumSet.of(Action.INSERT, Action.DELETE)),
                sink);
        Listener listener = backfillWhileWriting(
                new BackfillSpec("b-filtered", "s1", new TableId("public", "items")),
                200,
                random -> "UPDATE items SET val = val + 1",
                0,
                4,
                false);
        // Everything up to now resolved: an update delivered by mistake would be in the sink.
        PipelineTestSupport.awaitAcknowledged(pipeline, PipelineTestSupport.currentWal(PG, db));
        assertThat(sink.reads.get()).isEqualTo(rows);
        assertThat(sink.rows).hasSize(rows);
        assertThat(sink.live.get()).as("no update reached the sink").isZero();
        assertThat(listener.ingested).isEqualTo(rows);
    }

    // ---- fixture ----

    private void setUp(String... sql) {
        db = PG.createDatabase("backfill");
        slot = "slot_" + db;
        PG.execute(db, sql);
    }

    private void start(SinkSpec spec, ApplyingSink sink) {
        SourceSettings settings = new SourceSettings(
                "localhost", PG.port(), db, "postgres", null, false, false, slot, "pub_" + db, true, true);
        DatabasePipeline p = new DatabasePipeline(db, settings, FAST_RECONNECT, lsn -> {});
        pipeline = p;
        applying = sink;
        p.addSink(spec, sink);
        p.start();
        PipelineTestSupport.awaitStreaming(p);
    }

    private long writes;

    /** Runs the backfill while a writer, at most {@value #SMALL_WRITES} statements ahead, keeps writing. */
    private Listener backfillWhileWriting(BackfillSpec spec, int pageSize, Write write, long seed) throws Exception {
        return backfillWhileWriting(spec, pageSize, write, seed, SMALL_WRITES, false);
    }

    /**
     * Runs the backfill while a writer changes rows, at most {@code ahead} statements beyond the pipeline (the highest
     * position delivered to the sink or acknowledged); returns once the backfill completed (or failed). With {@code
     * terminateWalsender}, the replication connection is also terminated every time the pipeline has streamed again
     * and delivered two more pages, so that the slot replays watermarks and changes the reader met already.
     */
    private Listener backfillWhileWriting(
            BackfillSpec spec, int pageSize, Write write, long seed, int ahead, boolean terminateWalsender)
            throws Exception {
        DatabasePipeline p = Objects.requireNonNull(pipeline);
        ApplyingSink sink = Objects.requireNonNull(applying);
        PacedWriter writer = new PacedWriter(
                PG,
                db,
                seed,
                ahead,
                Long.MAX_VALUE,
                () -> Math.max(sink.highestLsn.get(), p.status().acknowledgedLsn()),
                (st, random) -> {
                    st.execute(write.sql(random));
                    try (ResultSet rs =
                            st.executeQuery("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint")) {
                        rs.next();
                        return rs.getLong(1);
                    }
                });
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<@Nullable Throwable> killerFailed = new AtomicReference<>();
        Thread killer = !terminateWalsender
                ? null
                : Thread.ofPlatform().start(() -> {
                    try {
                        while (writing.get()) {
                            long readsBefore = sink.reads.get();
                            Instant killedAt = Instant.now();
                            terminations.addAndGet(PipelineTestSupport.queryLong(
                                    PG,
                                    db,
                                    "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot
                                            + "' AND active_pid IS NOT NULL AND pg_terminate_backend(active_pid)"));
                            PipelineTestSupport.await("streaming again, and two pages more delivered")
                                    .until(() -> !writing.get()
                                            || (streamingSince(p, killedAt)
                                                    && sink.reads.get() >= readsBefore + 2L * pageSize));
                        }
                    } catch (Throwable e) {
                        killerFailed.set(e);
                    }
                });
        Listener listener = new Listener();
        try {
            p.startBackfill(spec, listener, pageSize);
            PipelineTestSupport.await("the backfill to end", BACKFILL_LIMIT)
                    .pollInterval(Duration.ofMillis(50))
                    .untilAsserted(() -> assertThat(listener.completed.get() != null || listener.failed.get() != null)
                            .as("backfill done; processed %d, written %d", listener.processed, writer.written())
                            .isTrue());
        } finally {
            writing.set(false);
            writer.close();
            if (killer != null) {
                killer.join();
            }
        }
        writer.stop();
        assertThat(killerFailed.get()).as("walsender terminations").isNull();
        assertThat(listener.failed.get()).isNull();
        writes = writer.written();
        assertThat(writes).as("writes during the backfill").isGreaterThan(2);
        return listener;
    }

    private static boolean streamingSince(DatabasePipeline p, Instant t) {
        DatabasePipeline.Status s = p.status();
        return s.state() == DatabasePipeline.State.STREAMING
                && s.streamingSince() != null
                && s.streamingSince().isAfter(t);
    }

    /**
     * Writes a sentinel row (val -1) and waits until the pipeline has acknowledged everything written (the sink then
     * has every live change, and the completed backfill every read), and compares the map the messages built with
     * {@code query} (key text, val text) without the sentinel. Returns the writes made.
     */
    private long assertRebuilt(ApplyingSink sink, Listener listener, String sentinelSql, String query)
            throws Exception {
        PG.execute(db, sentinelSql);
        PipelineTestSupport.awaitAcknowledged(Objects.requireNonNull(pipeline), PipelineTestSupport.currentWal(PG, db));
        assertThat(sink.rows).as("the sentinel arrived").containsValue(SENTINEL);
        sink.rows.values().removeIf(SENTINEL::equals);
        Map<String, String> table = new HashMap<>();
        try (Connection c = PG.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(query)) {
            while (rs.next()) {
                table.put(rs.getString(1), rs.getString(2));
            }
        }
        table.values().removeIf(SENTINEL::equals);
        assertThat(differences(table, sink.rows))
                .as(
                        "rows that differ (processed %d, ingested %d, reads %d, live %d, counted %d, writes %d)",
                        listener.processed,
                        listener.ingested,
                        sink.reads.get(),
                        sink.live.get(),
                        listener.counted,
                        writes)
                .isEmpty();
        assertThat(listener.ingested).isEqualTo(sink.reads.get()).isPositive();
        assertThat(sink.live.get()).isPositive();
        return writes;
    }

    private static Map<String, String> differences(Map<String, String> table, Map<String, String> rows) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (Map.Entry<String, String> e : table.entrySet()) {
            if (!e.getValue().equals(rows.get(e.getKey()))) {
                out.put(e.getKey(), "table " + e.getValue() + ", sink " + rows.get(e.getKey()));
            }
        }
        for (Map.Entry<String, String> e : rows.entrySet()) {
            if (!table.containsKey(e.getKey())) {
                out.put(e.getKey(), "table -, sink " + e.getValue());
            }
        }
        return out;
    }

    private String firstCollation(String... names) throws Exception {
        for (String name : names) {
            if (PipelineTestSupport.queryLong(
                            PG, "postgres", "SELECT count(*) FROM pg_collation WHERE collname = '" + name + "'")
                    > 0) {
                return name;
            }
        }
        return "C";
    }
}
