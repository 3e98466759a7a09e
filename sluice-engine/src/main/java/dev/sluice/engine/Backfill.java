package dev.sluice.engine;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.MessageEncoder;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import dev.sluice.core.Ticker;
import dev.sluice.engine.queue.SinkQueue;
import dev.sluice.postgres.backfill.BackfillSource;
import dev.sluice.postgres.backfill.TableReader;
import dev.sluice.postgres.backfill.Watermark;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.postgres.types.TypeRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running backfill: reads a table's rows in keyset pages and hands them to its sink as {@code read} messages,
 * placed in the slot's order so that a row read before a live change is delivered before it, and a row that changed
 * while its page was read is not delivered from the page at all (the live change carries the newer version).
 *
 * <p>Method (watermarks, as in Netflix's DBLog): for each page the backfill's thread writes a <em>low</em>
 * watermark with {@code pg_logical_emit_message}, reads the page, then writes a <em>high</em> watermark. The
 * database's reader meets both in the slot: it notes the rows of the table that change in the stream, and when it
 * meets the high watermark it drops from the page every row that changed since the previous page's low watermark
 * (one page earlier than the method needs, to cover a transaction whose commit was written before the low
 * watermark but became visible only after the page's snapshot) and enqueues the rest at the high watermark's
 * position. A change that commits after the page's snapshot is in the stream after the high watermark, so it
 * follows the read.
 *
 * <p>Reads do not hold the slot: the backfill's cursor does. It is reported to the listener once every row before
 * it is delivered, so a restart resumes from there and delivers those pages again at most.
 *
 * <p>Concurrency: the reader thread calls {@link #observe} and {@link #watermark}; the backfill's own thread reads
 * pages and reports; sinks' threads resolve reads. Shared state is guarded by {@code lock}.
 */
final class Backfill {
    private static final Logger log = LoggerFactory.getLogger(Backfill.class);
    private static final int FIRST_PAGE = 1_000;
    private static final int MIN_PAGE = 100;
    private static final int MAX_PAGE = 50_000;
    private static final long TARGET_PAGE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long GROWTH = 8;
    // Messages held by a page, at most (roughly: the next page's size follows from this page's bytes per row).
    private static final long PAGE_BYTES = 24L << 20;
    // The first page: this much of the table on disk, by its average row size (which stats may not know yet).
    private static final long FIRST_PAGE_BYTES = 4L << 20;
    // Below this estimate, the exact count is taken as well (a full scan, but a short one).
    private static final long EXACT_COUNT_UP_TO = 1_000_000;
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(1);
    private static final int MAX_ATTEMPTS = 6;
    // Between attempts at the table: 2 s, 4 s, ... 32 s.
    private static final RetryPolicy RETRY = new RetryPolicy(Duration.ofSeconds(2), Duration.ofSeconds(32), 0);
    // How often a standby is asked whether it has replayed a low watermark.
    private static final Duration REPLAY_POLL = Duration.ofMillis(10);
    // Pages read and not yet enqueued: the next page is read while earlier ones wait for their high watermark.
    private static final int MAX_AHEAD = 3;

    private final BackfillSpec spec;
    private final SourceSettings settings;
    private final SinkQueue sink;
    private final BackfillListener listener;
    private final Runnable whileWaiting;
    private final String name;
    private final java.util.function.Consumer<Backfill> onFinished;
    // 0: pages adapt to take about a second each.
    private final int fixedPageSize;
    private final Ticker ticker;

    private final PageHandoff handoff;

    // Backfill thread only.
    private long pageSeq;
    private boolean counted;
    // Encodes the reads (but for their positions), for the sink's context as of when it was made.
    private @Nullable MessageEncoder encoder;
    private final ReadKeys keys;
    private long processed;
    private long ingested;
    private long lastReport;
    // The cursor after the last page whose rows are all resolved: where a restart resumes.
    private @Nullable List<String> lastDone;

    // Tells this run's watermarks from those of a run before a restart, which the slot may replay: page numbers
    // start again at 1 in every run.
    private final String run =
            Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong());

    private volatile boolean stopped;
    private @Nullable Thread thread;

    Backfill(
            BackfillSpec spec,
            SourceSettings settings,
            SinkQueue sink,
            BackfillListener listener,
            Runnable whileWaiting,
            String name,
            java.util.function.Consumer<Backfill> onFinished,
            int fixedPageSize,
            Ticker ticker) {
        this.ticker = ticker;
        this.spec = spec;
        this.settings = settings;
        this.sink = sink;
        this.listener = listener;
        this.whileWaiting = whileWaiting;
        this.name = name;
        this.onFinished = onFinished;
        this.fixedPageSize = fixedPageSize;
        this.keys = new ReadKeys(spec.id(), spec.sortColumn());
        this.handoff = new PageHandoff(spec, name, run, sink, whileWaiting, () -> stopped, ticker);
        this.lastDone = spec.cursor();
        this.processed = spec.rowsProcessed();
        this.ingested = spec.rowsIngested();
    }

    BackfillSpec spec() {
        return spec;
    }

    SinkQueue sink() {
        return sink;
    }

    void start() {
        thread = Thread.ofVirtual().name("backfill-" + spec.id()).start(this::run);
    }

    /** Stops within the current page; no further listener calls. Reads already enqueued are still delivered. */
    void stop() {
        stopped = true;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
        handoff.wake();
    }

    /** A live change of transaction {@code xid} that the sink took (reader thread): see {@link PageHandoff}. */
    void observe(Change change, int xid) {
        handoff.observe(change, xid);
    }

    /** One of this backfill's watermarks, met in the slot at {@code lsn} (reader thread). */
    void watermark(Watermark w, long lsn) throws InterruptedException {
        handoff.watermark(w, lsn);
    }

    /** Checks that {@code table} can be backfilled (see {@link TableReader#describe}). */
    static void check(SourceSettings settings, TableId table, @Nullable String sortColumn) throws SQLException {
        try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), settings.properties(false))) {
            TableReader.describe(c, new TypeRegistry(c), table, sortColumn);
        }
    }

    /** Encodes one of the page's reads but for its position, under the page's context. */
    private void prepare(BackfillPage page, TableSchema schema, @Nullable String[] row) {
        MessageEncoder enc = encoder;
        if (enc == null || !page.context.equals(enc.context())) {
            enc = encoder = new MessageEncoder(page.context);
        }
        String key = keys.of(schema, row);
        // Position and commit time are left out of the message: this change's are never used.
        Change read = new Change(schema, Action.READ, row, null, null, null, NO_POSITION, Instant.EPOCH, null);
        page.prepared(key, SinkQueue.sizeOf(read));
        enc.prepare(read, key, java.util.Objects.requireNonNull(page.prepared));
    }

    private static final Position NO_POSITION = new Position(0, 0);

    // ---- the backfill's thread ----

    private void run() {
        int attempt = 0;
        while (!stopped) {
            try {
                runOnce();
                return;
            } catch (IllegalArgumentException e) {
                fail(e.getMessage());
                return;
            } catch (InterruptedException e) {
                return;
            } catch (SQLException | RuntimeException e) {
                if (stopped) {
                    return;
                }
                if (++attempt >= MAX_ATTEMPTS) {
                    fail("reading " + spec.table() + " failed " + attempt + " times; last error: " + e.getMessage());
                    return;
                }
                Duration wait = RETRY.delayAfter(attempt);
                log.warn(
                        "backfill {} of {} ({}): {}; retrying in {} s (attempt {})",
                        spec.id(),
                        spec.table(),
                        name,
                        e.toString(),
                        wait.toSeconds(),
                        attempt);
                try {
                    Sleeper.sleep(ticker, wait);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private void fail(String error) {
        if (stopped) {
            return;
        }
        stopped = true;
        log.warn("backfill {} of {} ({}) failed: {}", spec.id(), spec.table(), name, error);
        onFinished.accept(this);
        listener.failed(spec.id(), error);
    }

    /** Reads from the cursor to the end (or until stopped), then reports completion. */
    private void runOnce() throws SQLException, InterruptedException {
        SourceSettings target = settings.primary() != null ? settings.primary() : settings;
        try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), settings.properties(false));
                Connection emitter = settings.primary() == null
                        ? null
                        : DriverManager.getConnection(target.jdbcUrl(), target.properties(false))) {
            TableReader.prepareSession(c);
            // Pages are read in a transaction whose one snapshot the page's watermarks are judged against.
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            TableReader r = TableReader.describe(c, new TypeRegistry(c), spec.table(), spec.sortColumn());
            handoff.table(r);
            if (!counted) {
                counted = true;
                count(c, r);
            }
            Connection emit = emitter != null ? emitter : c;
            boolean flushHigh = BackfillSource.canFlush(emit);
            int size = fixedPageSize > 0 ? fixedPageSize : firstPage(r.averageRowBytes(c));
            // The end as of now: a row moved or added beyond it is a live change the sink receives anyway.
            List<String> until = r.last(c, spec.startAt());
            @Nullable List<String> cursor = handoff.resume();
            while (!stopped && until != null) {
                // Up to MAX_AHEAD pages wait for the reader; each page's watermarks still follow the previous ones.
                while (!stopped && handoff.ahead() >= MAX_AHEAD) {
                    handoff.await();
                    report(false);
                }
                if (stopped) {
                    break;
                }
                long seq = ++pageSeq;
                String low = BackfillSource.emit(emit, new Watermark(spec.id(), run, seq, false), false);
                if (emitter != null) {
                    awaitReplay(c, low);
                }
                long t0 = ticker.nanos();
                // Each row is encoded as it arrives, while Postgres sends the rest.
                BackfillPage page = new BackfillPage(seq, sink.context());
                TableSchema schema = r.schema();
                // The snapshot's in-progress transactions and the page, under that one snapshot (on failure the
                // connection is closed, and the transaction with it).
                c.setAutoCommit(false);
                BackfillSource.Snapshot snapshot = BackfillSource.snapshot(c);
                page.xmin = snapshot.xmin();
                page.invisible = snapshot.inProgress();
                TableReader.Page p = r.read(c, cursor, spec.startAt(), until, size, row -> prepare(page, schema, row));
                c.commit();
                c.setAutoCommit(true);
                long took = ticker.nanos() - t0;
                long pageBytes = java.util.Objects.requireNonNull(page.prepared).bytes();
                page.read(p.rows(), p.cursor() != null ? p.cursor() : cursor);
                handoff.offer(page);
                // The reader enqueues the page when it meets the high watermark in the slot.
                BackfillSource.emit(emit, new Watermark(spec.id(), run, seq, true), flushHigh);
                report(false);
                if (p.cursor() != null) {
                    cursor = p.cursor();
                }
                if (p.rows().size() < size) {
                    break; // the last page
                }
                if (fixedPageSize > 0) {
                    continue;
                }
                // Aim at about a second per page query, growing by at most GROWTH a page: a first page of a fast
                // table takes milliseconds, and a run of small pages costs a round of watermarks each.
                long scaled = took <= 0 ? size * GROWTH : size * TARGET_PAGE_NANOS / took;
                // And hold about PAGE_BYTES of messages, as this page's rows encoded: a page is held whole until the
                // reader takes it, up to MAX_AHEAD of them.
                long perRow = Math.max(1, pageBytes / Math.max(1, p.rows().size()));
                scaled = Math.min(scaled, PAGE_BYTES / perRow);
                size = (int) Math.max(MIN_PAGE, Math.min(MAX_PAGE, Math.min(scaled, size * GROWTH)));
            }
            while (!stopped && report(false)) {
                handoff.await();
            }
            if (!stopped) {
                report(true);
                stopped = true;
                log.info(
                        "backfill {} of {} ({}) completed: {} row(s) read, {} delivered",
                        spec.id(),
                        spec.table(),
                        name,
                        processed,
                        ingested);
                onFinished.accept(this);
                listener.completed(spec.id(), processed, ingested);
            }
        }
    }

    /** The first page's size: a few MiB of the table, or {@value #FIRST_PAGE} rows when its row size is unknown. */
    private static int firstPage(long averageRowBytes) {
        if (averageRowBytes <= 0) {
            return FIRST_PAGE;
        }
        return (int) Math.max(MIN_PAGE, Math.min(MAX_PAGE, FIRST_PAGE_BYTES / averageRowBytes));
    }

    private void count(Connection c, TableReader r) throws SQLException {
        long estimate = r.estimate(c);
        if (estimate >= 0) {
            listener.counted(spec.id(), estimate, false);
        }
        if (estimate < EXACT_COUNT_UP_TO) {
            listener.counted(spec.id(), r.count(c, spec.startAt()), true);
        }
    }

    /**
     * Takes completed pages off the head, in order, and reports at most every second (or now when forced). Returns
     * whether pages are still out.
     */
    private boolean report(boolean force) {
        int[] taken = {0};
        boolean left = handoff.takeCompleted(page -> {
            taken[0]++;
            processed += page.read;
            ingested += page.ingested;
            if (page.cursor != null) {
                lastDone = page.cursor;
            }
        });
        boolean moved = taken[0] > 0;
        long now = ticker.nanos();
        if ((moved && now - lastReport >= PROGRESS_EVERY.toNanos()) || force) {
            lastReport = now;
            if (lastDone != null && !stopped) {
                listener.progressed(spec.id(), lastDone, processed, ingested);
            }
        }
        return left;
    }

    /** On a standby: waits until it has replayed {@code lsn}, so that the page's snapshot includes all before it. */
    private void awaitReplay(Connection standby, String lsn) throws SQLException, InterruptedException {
        while (!stopped && !BackfillSource.replayed(standby, lsn)) {
            Sleeper.sleep(ticker, REPLAY_POLL);
        }
    }
}
