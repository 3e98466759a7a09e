package dev.sluice.engine;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.MessageEncoder;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import dev.sluice.core.Ticker;
import dev.sluice.engine.queue.SinkQueue;
import dev.sluice.postgres.backfill.TableReader;
import dev.sluice.postgres.backfill.Watermark;
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
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a backfill's pages pass from its own thread, which reads them, to the database's reader, which meets their
 * watermarks in the slot and hands their rows to the sink.
 *
 * <p>State (guarded by {@code lock}): the pages read and not yet fully delivered, in order; those whose high
 * watermark the reader has yet to meet, by page number; how many are read and not yet enqueued; the cursor after the
 * last page the reader took (where a retry reads on from); and the {@link WatermarkWindow} of rows changed while
 * pages were read. The reader alone keeps the last watermark's LSN (to tell a replayed one) and where the identity
 * columns sit in each live change's schema.
 *
 * <p>Concurrency: the reader calls {@link #observe} and {@link #watermark}; the backfill's thread {@link #offer}s
 * pages and waits for room ({@link #await}); the sink's threads resolve reads, which wakes it.
 */
final class PageHandoff {
    private static final Logger log = LoggerFactory.getLogger(PageHandoff.class);
    // Reads encoded and handed to the sink at a time.
    private static final int CHUNK = 512;
    // Rows remembered by transaction, at most: past it the oldest transactions are forgotten.
    private static final int MAX_REMEMBERED = 1_000_000;

    private final BackfillSpec spec;
    private final String name;
    private final String run;
    private final SinkQueue sink;
    private final Runnable whileWaiting;
    private final BooleanSupplier stopped;
    private final Ticker ticker;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<BackfillPage> pages = new ArrayDeque<>();
    private final Map<Long, BackfillPage> awaitingHigh = new HashMap<>();
    private int ahead;
    private @Nullable List<String> resumeAt;
    private final WatermarkWindow window = new WatermarkWindow(MAX_REMEMBERED);
    private boolean warnedForgetting;
    private volatile @Nullable TableReader reader;
    private volatile Set<TableId> members = Set.of();
    // Reader thread only.
    private long lastWatermarkLsn;
    private final Map<TableSchema, int[]> identityIndexes = new IdentityHashMap<>();

    /**
     * @param run this run's id in the watermarks: those of another run (before a restart) are not this one's
     * @param whileWaiting run by the reader about once a second while the sink has no room
     * @param stopped whether the backfill was stopped: the reader then hands over nothing more
     */
    PageHandoff(
            BackfillSpec spec,
            String name,
            String run,
            SinkQueue sink,
            Runnable whileWaiting,
            BooleanSupplier stopped,
            Ticker ticker) {
        this.spec = spec;
        this.name = name;
        this.run = run;
        this.sink = sink;
        this.whileWaiting = whileWaiting;
        this.stopped = stopped;
        this.ticker = ticker;
        this.resumeAt = spec.cursor();
    }

    /** The table being read: from now on, its live changes are noted. */
    void table(TableReader r) {
        members = Set.copyOf(r.members());
        reader = r;
    }

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
        for (int row = 0; row < rows.size() && !stopped.getAsBoolean(); ) {
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
            int took = sink.enqueueReads(chunk, page.context, onResolved, whileWaiting, stopped);
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

    // ---- the backfill's thread ----

    /** A page read, whose high watermark is about to be written. */
    void offer(BackfillPage page) {
        lock.lock();
        try {
            awaitingHigh.put(page.seq, page);
            pages.addLast(page);
            ahead++;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Where an attempt reads from: after the last page the reader took. Pages an earlier attempt read but the reader
     * has not taken are given up (read again from here); their high watermarks, if any, are ignored.
     */
    @Nullable
    List<String> resume() {
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

    /** Pages read and not yet enqueued. */
    int ahead() {
        lock.lock();
        try {
            return ahead;
        } finally {
            lock.unlock();
        }
    }

    /** Waits a little for a page to be taken or resolved. */
    void await() throws InterruptedException {
        lock.lock();
        try {
            changed.await(100, TimeUnit.MILLISECONDS);
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the backfill's thread (it is stopping). */
    void wake() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Takes the completed pages off the head, in order, giving each to {@code done}; returns whether any are out. */
    boolean takeCompleted(Consumer<BackfillPage> done) {
        lock.lock();
        try {
            BackfillPage head;
            while ((head = pages.peekFirst()) != null && head.enqueued && head.outstanding.get() == 0) {
                pages.pollFirst();
                done.accept(head);
            }
            return !pages.isEmpty();
        } finally {
            lock.unlock();
        }
    }

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
}
