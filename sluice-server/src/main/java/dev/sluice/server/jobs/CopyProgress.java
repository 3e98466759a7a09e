package dev.sluice.server.jobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * What a copying job reports as its {@code progress}: phase, database, the tables being copied, tables done of all,
 * rows and bytes copied, rows per second and the time left (from the planner's row estimates). While tables are
 * copied it refreshes the job's progress every second.
 */
final class CopyProgress {
    private static final Duration TICK = Duration.ofSeconds(1);

    private final JobContext job;
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    /** The tables being copied: rows so far, and the planner's estimate. */
    private final Map<String, AtomicLong[]> copying = new ConcurrentHashMap<>();

    private final AtomicLong tablesDone = new AtomicLong();
    private volatile String phase = "schema";
    private volatile String database = "";
    private volatile long tablesTotal;
    private volatile long rowsEstimate;
    private volatile long copyStartRows;
    private volatile long copyStartNanos;
    private volatile @Nullable Thread ticker;

    CopyProgress(JobContext job) {
        this.job = job;
    }

    AtomicLong rowCounter() {
        return rows;
    }

    AtomicLong byteCounter() {
        return bytes;
    }

    long rows() {
        return rows.get();
    }

    long bytes() {
        return bytes.get();
    }

    void phase(String name, String db) {
        phase = name;
        database = db;
        job.progress(snapshot());
    }

    void startCopy(String db, int total, int alreadyDone, List<CopyTable> todo) {
        database = db;
        phase = "copy";
        tablesTotal = total;
        tablesDone.set(alreadyDone);
        rowsEstimate =
                rows.get() + todo.stream().mapToLong(CopyTable::rowsEstimate).sum();
        copyStartRows = rows.get();
        copyStartNanos = System.nanoTime();
        ticker = Thread.ofVirtual().name("job-progress").start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    job.progress(snapshot());
                    Thread.sleep(TICK);
                }
            } catch (InterruptedException e) {
                // copy over
            }
        });
    }

    /** Returns the table's own row counter. */
    AtomicLong tableStarted(CopyTable t) {
        AtomicLong[] counters = {new AtomicLong(), new AtomicLong(t.rowsEstimate())};
        copying.put(t.label(), counters);
        return counters[0];
    }

    void tableDone(CopyTable t) {
        copying.remove(t.label());
        tablesDone.incrementAndGet();
    }

    void stopCopy() {
        Thread t = ticker;
        if (t != null) {
            t.interrupt();
        }
        copying.clear();
        job.progress(snapshot());
    }

    Map<String, Object> snapshot() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("phase", phase);
        p.put("database", database);
        List<String> now = new ArrayList<>(copying.keySet());
        p.put("table", now.isEmpty() ? null : now.getFirst());
        p.put("tables_in_progress", now);
        List<Map<String, Object>> tables = new ArrayList<>();
        copying.forEach(
                (name, c) -> tables.add(Map.of("table", name, "rows", c[0].get(), "rows_estimate", c[1].get())));
        p.put("tables", tables);
        p.put("tables_done", tablesDone.get());
        p.put("tables_total", tablesTotal);
        long copied = rows.get();
        p.put("rows_copied", copied);
        p.put("bytes_copied", bytes.get());
        double seconds = (System.nanoTime() - copyStartNanos) / 1e9;
        double rate = phase.equals("copy") && seconds > 0 ? (copied - copyStartRows) / seconds : 0;
        p.put("rows_per_second", Math.round(rate));
        p.put("eta_seconds", rate > 0 ? Math.max(0, Math.round((rowsEstimate - copied) / rate)) : null);
        return p;
    }
}
