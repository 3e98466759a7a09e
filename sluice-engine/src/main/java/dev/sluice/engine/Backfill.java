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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
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
    // Reads encoded and handed to the sink at a time.
    private static final int CHUNK = 512;
    // Rows remembered by transaction (see byXid), at most: past it the oldest transactions are forgotten.
    private static final int MAX_REMEMBERED = 1_000_000;

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

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // Guarded by lock.
    private final ArrayDeque<BackfillPage> pages = new ArrayDeque<>();
    // Pages whose high watermark the reader has yet to meet, by page number.
    private final Map<Long, BackfillPage> awaitingHigh = new HashMap<>();
    // Pages read and not yet enqueued.
    private int ahead;
    // The cursor after the last page the reader took at its high watermark: where a retry reads on from.
    private @Nullable List<String> resumeAt;
    private final WatermarkWindow window = new WatermarkWindow(MAX_REMEMBERED);
    private boolean warnedForgetting;
    private volatile @Nullable TableReader reader;
    private volatile Set<TableId> members = Set.of();

    // Reader thread only: the last watermark met, to tell a replayed one.
    private long lastWatermarkLsn;

    // Reader thread only: where the identity columns sit in each live change's schema.
    private final Map<TableSchema, int[]> identityIndexes = new IdentityHashMap<>();

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
        this.resumeAt = spec.cursor();
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
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Checks that {@code table} can be backfilled (see {@link TableReader#describe}). */
    static void check(SourceSettings settings, TableId table, @Nullable String sortColumn) throws SQLException {
        try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), settings.properties(false))) {
            TableReader.describe(c, new TypeRegistry(c), table, sortColumn);
        }
    }

    // ---- the reader thread ----

    /**
     * A live change from the slot, of transaction {@code xid}: notes its row when it belongs to the backfilled
     * table.
     */
    void observe(Change change, int xid) {
        TableReader r = reader;
        if (r == null || !members.contains(change.table().id())) {
            return;
        }
        int[] idx = identityIndexes.computeIfAbsent(change.table(), t -> indexes(t, r.identityColumns()));
        if (idx == null) {
            return;
        }
        String key = identity(change.record(), idx);
        String oldKey = change.old() == null ? null : identity(change.old(), idx);
        lock.lock();
        try {
            window.changed(key, oldKey, xid);
            if (window.forgetting() && !warnedForgetting) {
                warnedForgetting = true;
                log.warn(
                        "backfill {} of {} ({}): more than {} changed rows wait for an old transaction to end; the"
                                + " oldest are forgotten, and a read of one of them may arrive after its change",
                        spec.id(),
                        spec.table(),
                        name,
                        MAX_REMEMBERED);
            }
        } finally {
            lock.unlock();
        }
    }

    /** One of this backfill's watermarks, met in the slot at {@code lsn}. */
    void watermark(Watermark w, long lsn) throws InterruptedException {
        if (!w.run().equals(this.run)) {
            return; // an earlier run's, met again as the slot replays after a restart: its pages are not ours
        }
        if (Long.compareUnsigned(lsn, lastWatermarkLsn) <= 0) {
            // Met again as the slot replays after a reconnect: the changes since were noted the first time and are
            // not routed again, so a second turn of the windows here would forget them.
            return;
        }
        lastWatermarkLsn = lsn;
        BackfillPage page;
        Set<String> drop;
        lock.lock();
        try {
            if (!w.high()) {
                window.low();
                return;
            }
            // Pages are met in the order they were read (each page's low watermark follows the previous page's
            // high one), so the windows stay per page with several pages in flight.
            page = awaitingHigh.remove(w.page());
            if (page == null) {
                return; // replayed after a reconnect, or given up by a retry: its page was handled
            }
            resumeAt = page.cursor;
            drop = window.high(page.xmin, page.invisible);
        } finally {
            lock.unlock();
        }
        try {
            page.ingested = enqueue(page, drop, lsn);
        } finally {
            lock.lock();
            try {
                page.enqueued = true;
                ahead--;
                changed.signalAll(); // the backfill's thread may read on
            } finally {
                lock.unlock();
            }
            resolved(page); // the guard
        }
    }

    /**
     * Hands the page's rows, but those in {@code drop}, to the sink as reads at {@code lsn}, in chunks. Their
     * messages were encoded by the backfill's thread; here they only get their positions (off the sink's delivery
     * thread, and taking little of the reader's). Returns how many the sink took.
     */
    private int enqueue(BackfillPage page, Set<String> drop, long lsn) throws InterruptedException {
        TableReader r = java.util.Objects.requireNonNull(reader);
        List<@Nullable String[]> rows = java.util.Objects.requireNonNull(page.rows);
        List<String> keys = java.util.Objects.requireNonNull(page.keys);
        MessageEncoder.PreparedBatch prepared = java.util.Objects.requireNonNull(page.prepared);
        page.rows = null;
        page.keys = null;
        page.prepared = null;
        TableSchema schema = r.schema();
        Runnable onResolved = () -> resolved(page);
        Instant now = ticker.now();
        MessageEncoder.PositionText at =
                new MessageEncoder.PositionText(lsn, MessageEncoder.formatCommitTimestamp(now));
        List<SinkQueue.Read> chunk = new ArrayList<>(Math.min(CHUNK, rows.size()));
        int i = 0;
        int taken = 0;
        for (int row = 0; row < rows.size() && !stopped; ) {
            chunk.clear();
            for (; row < rows.size() && chunk.size() < CHUNK; row++) {
                String[] values = rows.get(row);
                if (!drop.isEmpty() && drop.contains(r.identity(values))) {
                    continue;
                }
                Position position = new Position(lsn, i);
                Change read = new Change(schema, Action.READ, values, null, null, null, position, now, null);
                chunk.add(new SinkQueue.Read(read, keys.get(row), prepared.complete(row, at, i), page.sizes[row]));
                i++;
            }
            if (chunk.isEmpty()) {
                continue;
            }
            page.outstanding.addAndGet(chunk.size());
            int took = sink.enqueueReads(chunk, page.context, onResolved, whileWaiting, () -> stopped);
            if (took < chunk.size()) {
                page.outstanding.addAndGet(took - chunk.size()); // never resolved; the guard keeps it above 0
            }
            taken += took;
        }
        return taken;
    }

    private void resolved(BackfillPage page) {
        if (page.outstanding.decrementAndGet() == 0) {
            lock.lock();
            try {
                changed.signalAll();
            } finally {
                lock.unlock();
            }
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

    private static int @Nullable [] indexes(TableSchema t, List<String> columns) {
        int[] out = new int[columns.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.indexOf(columns.get(i));
            if (out[i] < 0) {
                return null; // not published: the change cannot be matched to a read row
            }
        }
        return out;
    }

    private static String identity(@Nullable String[] values, int[] idx) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < idx.length; i++) {
            if (i > 0) {
                sb.append('\u0000');
            }
            sb.append(values[idx[i]]);
        }
        return sb.toString();
    }

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
            members = Set.copyOf(r.members());
            reader = r;
            if (!counted) {
                counted = true;
                count(c, r);
            }
            Connection emit = emitter != null ? emitter : c;
            boolean flushHigh = BackfillSource.canFlush(emit);
            int size = fixedPageSize > 0 ? fixedPageSize : firstPage(r.averageRowBytes(c));
            // The end as of now: a row moved or added beyond it is a live change the sink receives anyway.
            List<String> until = r.last(c, spec.startAt());
            @Nullable List<String> cursor = resume();
            while (!stopped && until != null) {
                // Up to MAX_AHEAD pages wait for the reader; each page's watermarks still follow the previous ones.
                while (!stopped && ahead() >= MAX_AHEAD) {
                    await();
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
                lock.lock();
                try {
                    awaitingHigh.put(seq, page);
                    pages.addLast(page);
                    ahead++;
                } finally {
                    lock.unlock();
                }
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
                await();
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

    /**
     * Where this attempt reads from: after the last page the reader took. Pages an earlier attempt read but the
     * reader has not taken are given up (read again from here); their high watermarks, if any, are ignored.
     */
    private @Nullable List<String> resume() {
        lock.lock();
        try {
            for (BackfillPage p : awaitingHigh.values()) {
                pages.remove(p);
                ahead--;
            }
            awaitingHigh.clear();
            return resumeAt;
        } finally {
            lock.unlock();
        }
    }

    private int ahead() {
        lock.lock();
        try {
            return ahead;
        } finally {
            lock.unlock();
        }
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

    private void await() throws InterruptedException {
        lock.lock();
        try {
            changed.await(100, TimeUnit.MILLISECONDS);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes completed pages off the head, in order, and reports at most every second (or now when forced). Returns
     * whether pages are still out.
     */
    private boolean report(boolean force) {
        boolean moved = false;
        boolean left;
        lock.lock();
        try {
            BackfillPage head;
            while ((head = pages.peekFirst()) != null && head.enqueued && head.outstanding.get() == 0) {
                pages.pollFirst();
                processed += head.read;
                ingested += head.ingested;
                if (head.cursor != null) {
                    lastDone = head.cursor;
                }
                moved = true;
            }
            left = !pages.isEmpty();
        } finally {
            lock.unlock();
        }
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
