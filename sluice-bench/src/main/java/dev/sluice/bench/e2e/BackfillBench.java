package dev.sluice.bench.e2e;

import dev.sluice.core.Action;
import dev.sluice.core.MessageContext;
import dev.sluice.core.TableId;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.engine.BackfillListener;
import dev.sluice.engine.BackfillSpec;
import dev.sluice.engine.DatabasePipeline;
import dev.sluice.engine.RetryPolicy;
import dev.sluice.engine.SinkSpec;
import dev.sluice.engine.SinkState;
import dev.sluice.postgres.backfill.TableReader;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.postgres.types.TypeRegistry;
import dev.sluice.testkit.TestPostgres;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backfill scenario: a table of N rows read three ways on the same Postgres, one after another.
 *
 * <ol>
 *   <li>{@code COPY (SELECT * FROM backfill_bench) TO STDOUT} through pgjdbc's {@code CopyManager} into a stream
 *       that only counts bytes: the reference, best of {@value #COPY_RUNS};
 *   <li>the backfill's own keyset page query ({@link TableReader#read}, every column {@code ::text}) alone, in pages
 *       of {@value BackfillResult#KEYSET_PAGE}: how much of the backfill's time the reading takes;
 *   <li>Sluice's backfill ({@link DatabasePipeline#startBackfill}, adaptive pages, the product default) into a
 *       {@link NullSink}-like sink, with the sink settings of the drains (batches of 1000, 5 ms, 128 MiB, grouping by
 *       key), timed from {@code startBackfill} to the listener's completion with all N reads at the sink.
 * </ol>
 *
 * <p>Everything runs in the benchmark JVM; each backfill gets a fresh pipeline and slot (created before the clock
 * starts). No writes happen during the backfill.
 */
final class BackfillBench {
    static final String TABLE = "backfill_bench";
    static final int COPY_RUNS = 3;
    static final int KEYSET_RUNS = 2;
    static final int BACKFILL_RUNS = Integer.getInteger("sluice.bench.backfillRuns", 3);
    private static final String PUBLICATION = "backfill_pub";
    private static final Logger log = LoggerFactory.getLogger("bench");

    private BackfillBench() {}

    static BackfillResult run(TestPostgres pg, long rows) throws Exception {
        String db = pg.createDatabase("backfill");
        log.info("backfill: writing {} rows ...", rows);
        long t0 = System.nanoTime();
        // id, three ints (one sometimes null), 50-100 characters of text, a timestamptz and a numeric(12,2).
        pg.execute(
                db,
                "CREATE TABLE " + TABLE + " (id bigint PRIMARY KEY, account_id int NOT NULL, quantity int NOT NULL,"
                        + " status int, description text NOT NULL, created_at timestamptz NOT NULL,"
                        + " amount numeric(12,2) NOT NULL)",
                "INSERT INTO " + TABLE + " SELECT g, ((g * 7919) % 100000)::int, (g % 1000)::int,"
                        + " CASE WHEN g % 10 = 0 THEN NULL ELSE (g % 7)::int END,"
                        + " left('order ' || g || ' ' || md5(g::text) || md5((g * 31)::text), (50 + g % 51)::int),"
                        + " timestamptz '2024-01-01 00:00:00+00' + g * interval '1.5 seconds',"
                        + " round(((g * 2654435761) % 10000000) / 100.0, 2)"
                        + " FROM generate_series(1::bigint, " + rows + ") g",
                "VACUUM (FREEZE, ANALYZE) " + TABLE,
                "CREATE PUBLICATION " + PUBLICATION + " FOR TABLE " + TABLE);
        long tableBytes = queryLong(pg, db, "SELECT pg_table_size('" + TABLE + "')");
        log.info(
                "backfill: {} rows, {} MiB, written in {} s",
                rows,
                tableBytes >> 20,
                String.format("%.1f", (System.nanoTime() - t0) / 1e9));

        List<BackfillResult.Run> copy = new ArrayList<>();
        for (int i = 1; i <= COPY_RUNS; i++) {
            BackfillResult.Run r = copy(pg, db);
            copy.add(r);
            log.info("backfill: COPY run {}: {} rows in {} s = {} rows/s", i, r.rows(), fmt(r.seconds()), rate(r));
        }
        List<BackfillResult.Run> keyset = new ArrayList<>();
        for (int i = 1; i <= KEYSET_RUNS; i++) {
            BackfillResult.Run r = keyset(pg, db);
            keyset.add(r);
            log.info(
                    "backfill: keyset read run {}: {} rows in {} s = {} rows/s",
                    i,
                    r.rows(),
                    fmt(r.seconds()),
                    rate(r));
        }
        List<BackfillResult.BackfillRun> backfill = new ArrayList<>();
        for (int i = 1; i <= BACKFILL_RUNS; i++) {
            BackfillResult.BackfillRun r = backfill(pg, db, rows, i);
            backfill.add(r);
            log.info(
                    "backfill: Sluice run {}: {} rows in {} s = {} rows/s ({} pages: {}){}",
                    i,
                    r.run().rows(),
                    fmt(r.run().seconds()),
                    rate(r.run()),
                    r.pages().size(),
                    BackfillResult.pageSizes(r.pages()),
                    r.error().isEmpty() ? "" : "; " + r.error());
        }
        return new BackfillResult(rows, tableBytes, copy, keyset, backfill);
    }

    /** {@code COPY (SELECT * FROM t) TO STDOUT}, text format, into a stream that counts bytes. */
    static BackfillResult.Run copy(TestPostgres pg, String db) throws Exception {
        try (Connection c = pg.connect(db)) {
            ByteCounter out = new ByteCounter();
            long t0 = System.nanoTime();
            long rows = c.unwrap(PGConnection.class)
                    .getCopyAPI()
                    .copyOut("COPY (SELECT * FROM " + TABLE + ") TO STDOUT", out);
            return new BackfillResult.Run(rows, out.bytes, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** The backfill's page query alone, through {@link TableReader}, as the backfill's thread runs it. */
    static BackfillResult.Run keyset(TestPostgres pg, String db) throws Exception {
        try (Connection c = pg.connect(db)) {
            TableReader.prepareSession(c);
            TableReader reader = TableReader.describe(c, new TypeRegistry(c), new TableId("public", TABLE), null);
            long t0 = System.nanoTime();
            long rows = 0;
            long bytes = 0;
            List<String> cursor = null;
            while (true) {
                TableReader.Page p = reader.read(c, cursor, null, BackfillResult.KEYSET_PAGE);
                for (String[] row : p.rows()) {
                    for (String v : row) {
                        bytes += v == null ? 0 : v.length();
                    }
                }
                rows += p.rows().size();
                if (p.cursor() != null) {
                    cursor = p.cursor();
                }
                if (p.rows().size() < BackfillResult.KEYSET_PAGE) {
                    break;
                }
            }
            return new BackfillResult.Run(rows, bytes, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** One backfill of the whole table into a fresh pipeline with a counting sink. */
    static BackfillResult.BackfillRun backfill(TestPostgres pg, String db, long rows, int run) throws Exception {
        String slot = "backfill_bench_" + run;
        SourceSettings settings = new SourceSettings(
                "localhost", pg.port(), db, "postgres", null, false, false, slot, PUBLICATION, true, false);
        PageSink sink = new PageSink(rows);
        DatabasePipeline pipeline = new DatabasePipeline("bench", settings, RetryPolicy.RECONNECT, lsn -> {});
        Listener listener = new Listener();
        try {
            SinkSpec spec = spec(db);
            pipeline.addSink(spec, sink);
            pipeline.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (pipeline.status().state() != DatabasePipeline.State.STREAMING) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the pipeline did not start streaming: " + pipeline.status());
                }
                Thread.sleep(10);
            }
            sink.startNanos = System.nanoTime();
            pipeline.startBackfill(new BackfillSpec("bench-" + run, spec.id(), new TableId("public", TABLE)), listener);
            Duration timeout = Duration.ofSeconds(60 + rows / 2_000);
            // Completion comes once every read is delivered, so the sink has them all by then.
            boolean done = listener.done.await(timeout.toNanos(), TimeUnit.NANOSECONDS)
                    && listener.error == null
                    && sink.all.await(10, TimeUnit.SECONDS);
            long end = Math.max(listener.endNanos, sink.lastNanos);
            if (!done) {
                end = System.nanoTime();
            }
            String error = listener.error != null
                    ? "failed: " + listener.error
                    : done ? "" : "timed out after " + timeout.toSeconds() + " s";
            return sink.result(end, listener.error == null && done, error);
        } finally {
            pipeline.close();
            sink.close();
            try (Connection c = pg.connect(db);
                    PreparedStatement ps = c.prepareStatement(
                            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                ps.execute();
            } catch (Exception e) {
                log.warn("could not drop slot {}: {}", slot, e.toString());
            }
        }
    }

    /** The spec the server would build for a sink on the table, with the drains' settings. */
    private static SinkSpec spec(String db) {
        String sinkId = UUID.nameUUIDFromBytes("backfill-null".getBytes()).toString();
        MessageContext context = new MessageContext(
                sinkId,
                "backfill-null",
                "{}",
                UUID.nameUUIDFromBytes(db.getBytes()).toString(),
                "bench",
                "{}",
                db,
                "localhost",
                TimestampFormat.ISO8601);
        TableId table = new TableId("public", TABLE);
        return new SinkSpec(
                sinkId,
                "backfill-null",
                table::equals,
                Set.of(Action.INSERT, Action.UPDATE, Action.DELETE),
                Map.of(),
                true,
                SluiceDrain.BATCH_SIZE,
                SluiceDrain.BATCH_TIMEOUT,
                null,
                SinkState.ACTIVE,
                context,
                SluiceDrain.QUEUE_BYTES);
    }

    /**
     * Completes every batch at once, counting the reads and, per page (the reads of a page share the position of its
     * high watermark), how many arrived and when the first and the last did.
     */
    static final class PageSink implements Sink {
        private final long target;
        final CountDownLatch all = new CountDownLatch(1);
        volatile long startNanos = System.nanoTime();
        volatile long firstNanos;
        volatile long lastNanos;
        // Guarded by this: commit LSN of the page -> {rows, first nanos, last nanos}.
        private final TreeMap<Long, long[]> pages = new TreeMap<>();
        private long reads;
        private long bytes;

        PageSink(long target) {
            this.target = target;
        }

        @Override
        public CompletionStage<Void> deliver(Batch batch) {
            long now = System.nanoTime();
            synchronized (this) {
                long lsn = Long.MIN_VALUE;
                long[] page = null;
                long before = reads;
                for (SinkMessage m : batch.messages()) {
                    if (m.action() != Action.READ) {
                        continue;
                    }
                    bytes += m.json().length;
                    reads++;
                    if (page == null || m.position().commitLsn() != lsn) {
                        lsn = m.position().commitLsn();
                        page = pages.computeIfAbsent(lsn, k -> new long[] {0, now, now});
                        page[1] = Math.min(page[1], now);
                        page[2] = Math.max(page[2], now);
                    }
                    page[0]++;
                }
                if (before == 0 && reads > 0) {
                    firstNanos = now;
                }
                if (before < target && reads >= target) {
                    lastNanos = now;
                    all.countDown();
                }
            }
            return CompletableFuture.completedFuture(null);
        }

        synchronized BackfillResult.BackfillRun result(long endNanos, boolean completed, String error) {
            List<BackfillResult.Page> ps = new ArrayList<>();
            for (long[] p : pages.values()) {
                ps.add(new BackfillResult.Page((int) p[0], (p[1] - startNanos) / 1e9, (p[2] - startNanos) / 1e9));
            }
            double first = firstNanos == 0 ? 0 : (firstNanos - startNanos) / 1e9;
            return new BackfillResult.BackfillRun(
                    new BackfillResult.Run(reads, bytes, (endNanos - startNanos) / 1e9), first, ps, completed, error);
        }

        @Override
        public void close() {}
    }

    static final class Listener implements BackfillListener {
        final CountDownLatch done = new CountDownLatch(1);
        volatile long endNanos;
        volatile @Nullable String error;

        @Override
        public void counted(String id, long rows, boolean exact) {}

        @Override
        public void progressed(String id, List<String> cursor, long rowsProcessed, long rowsIngested) {}

        @Override
        public void completed(String id, long rowsProcessed, long rowsIngested) {
            endNanos = System.nanoTime();
            done.countDown();
        }

        @Override
        public void failed(String id, String message) {
            endNanos = System.nanoTime();
            error = message;
            done.countDown();
        }
    }

    private static final class ByteCounter extends OutputStream {
        long bytes;

        @Override
        public void write(int b) {
            bytes++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            bytes += len;
        }
    }

    private static long queryLong(TestPostgres pg, String db, String sql) throws Exception {
        try (Connection c = pg.connect(db);
                ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String fmt(double seconds) {
        return String.format("%.2f", seconds);
    }

    private static String rate(BackfillResult.Run r) {
        return String.format("%,.0f", r.rowsPerSecond());
    }
}
