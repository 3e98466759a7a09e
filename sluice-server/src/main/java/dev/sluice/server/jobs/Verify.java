package dev.sluice.server.jobs;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;

/**
 * The {@code verify} command: compares every selected table of the source with its namesake on the target. Each side
 * of a table is read once, by a binary {@code COPY} of its columns that puts every row in a range of the primary key
 * ({@link KeyRanges}); the client sums a 64-bit hash of every row per range ({@link CopyDigest}), so rows may come
 * in any order and no side sorts. {@code options.parallelism} sides are read at once, largest tables first, on
 * connections kept for the job; the next tables' ranges are found while the first ones are read. The result lists
 * each table's state ({@code match}, {@code mismatch}, {@code missing_on_target}) and, for a mismatch, the key ranges
 * that differ and the columns one side lacks. A table without a primary key is one range.
 */
final class Verify implements JobWork {
    /** Session settings that make the text of every type the same on both sides, and keep each read on one core. */
    static final String SESSION = "SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET TimeZone = 'UTC';"
            + " SET extra_float_digits = 3; SET bytea_output = 'hex'; SET lc_monetary = 'C';"
            + " SET max_parallel_workers_per_gather = 0";

    private final JobSpec spec;
    private final JobContext job;
    private final List<Map<String, Object>> tables = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong rowsDone = new AtomicLong();

    Verify(JobSpec spec, JobContext job) {
        this.spec = spec;
        this.job = job;
    }

    /** One side of one table, as read: its rows and hash per range. */
    private record Read(Future<CopyDigest> source, Future<CopyDigest> target) {}

    /** Runs the comparison; the result has {@code ok}, {@code differences} and {@code tables}. */
    @Override
    public Map<String, Object> run() throws SQLException, InterruptedException {
        Endpoint source = Endpoint.of("source", spec.sourceUrl());
        Endpoint target = Endpoint.of("target", spec.targetUrl());
        List<String> databases = spec.filter().databases(source.url().database());
        ExecutorService pool = Executors.newFixedThreadPool(spec.options().parallelism());
        // The next tables' key ranges are found while the first ones are read.
        ExecutorService planner = Executors.newSingleThreadExecutor();
        try (Sessions sessions = new Sessions(SESSION)) {
            for (String db : databases) {
                if (!database(sessions, pool, planner, source, target, db)) {
                    break;
                }
            }
        } catch (CancellationException cancelled) {
            // the job was cancelled during a read: what was compared stands
        } finally {
            planner.shutdownNow();
            pool.shutdownNow();
        }
        return result();
    }

    /** Compares the tables of one database; false when the job was cancelled. */
    private boolean database(
            Sessions sessions,
            ExecutorService pool,
            ExecutorService planner,
            Endpoint source,
            Endpoint target,
            String db)
            throws SQLException, InterruptedException {
        String targetDb = spec.targetDatabase(db);
        List<String> schemaOnly = spec.filter().schemaOnlyTables();
        List<SourceTable> selected;
        Map<String, List<VerifyColumns.Column>> sourceColumns;
        Map<String, List<VerifyColumns.Column>> targetColumns;
        boolean sameMajor;
        Connection s = sessions.take(source, db);
        Connection t = sessions.take(target, targetDb);
        try {
            // Schema-only tables are not copied, so there is nothing to compare.
            selected = SourceTable.list(s, db).stream()
                    .filter(x -> spec.filter().selects(x)
                            && schemaOnly.stream().map(TableName::parse).noneMatch(x::is))
                    .toList();
            sourceColumns = VerifyColumns.read(s, selected);
            targetColumns = VerifyColumns.read(t, selected);
            sameMajor =
                    s.getMetaData().getDatabaseMajorVersion() == t.getMetaData().getDatabaseMajorVersion();
        } finally {
            sessions.release(source, db, s, true);
            sessions.release(target, targetDb, t, true);
        }
        List<SourceTable> largestFirst = selected.stream()
                .sorted(Comparator.comparingLong(SourceTable::rowsEstimate).reversed())
                .toList();
        Map<SourceTable, Future<KeyRanges>> planned = new HashMap<>();
        for (SourceTable x : largestFirst) {
            if (targetColumns.containsKey(x.qualified())) {
                boolean fixed = x.key().isEmpty()
                        || sourceColumns.get(x.qualified()).stream()
                                .anyMatch(c -> c.name().equals(x.key().getFirst()) && c.length() > 0);
                planned.put(x, planner.submit(() -> {
                    Connection c = sessions.take(source, db);
                    boolean healthy = false;
                    try {
                        KeyRanges r = KeyRanges.plan(c, x, fixed);
                        healthy = true;
                        return r;
                    } finally {
                        sessions.release(source, db, c, healthy);
                    }
                }));
            }
        }
        Map<SourceTable, KeyRanges> ranges = new HashMap<>();
        Map<SourceTable, Read> reads = new HashMap<>();
        for (SourceTable x : largestFirst) {
            if (job.cancelled()) {
                return false;
            }
            if (planned.containsKey(x)) {
                KeyRanges r = Futures.get(planned.get(x));
                ranges.put(x, r);
                reads.put(
                        x,
                        read(
                                pool,
                                sessions,
                                source,
                                target,
                                db,
                                targetDb,
                                x,
                                r,
                                sourceColumns,
                                targetColumns,
                                sameMajor));
            }
        }
        for (SourceTable x : selected) {
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("database", db);
            report.put("schema", x.schema());
            report.put("table", x.name());
            if (!reads.containsKey(x)) {
                report.put("status", "missing_on_target");
                tables.add(report);
                job.log("verify " + x.label() + ": missing on the target");
                continue;
            }
            KeyRanges r = ranges.get(x);
            CopyDigest a;
            CopyDigest b;
            try {
                a = Futures.get(reads.get(x).source());
                b = Futures.get(reads.get(x).target());
            } catch (SQLException e) {
                if (r.bounds().isEmpty()
                        || e.getSQLState() == null
                        || !e.getSQLState().startsWith("42")) {
                    throw e;
                }
                // A key type width_bucket cannot order (no default btree class): the table as one range.
                Futures.await(reads.get(x).target());
                r = KeyRanges.whole();
                Read again = read(
                        pool, sessions, source, target, db, targetDb, x, r, sourceColumns, targetColumns, sameMajor);
                a = Futures.get(again.source());
                b = Futures.get(again.target());
            }
            compare(report, x, r, a, b, sourceColumns.get(x.qualified()), targetColumns.get(x.qualified()));
        }
        return !job.cancelled();
    }

    /** Starts reading both sides of {@code t}. */
    private Read read(
            ExecutorService pool,
            Sessions sessions,
            Endpoint source,
            Endpoint target,
            String db,
            String targetDb,
            SourceTable t,
            KeyRanges ranges,
            Map<String, List<VerifyColumns.Column>> sourceColumns,
            Map<String, List<VerifyColumns.Column>> targetColumns,
            boolean sameMajor) {
        Map<String, VerifyColumns.Column> theirs = new HashMap<>();
        targetColumns.get(t.qualified()).forEach(c -> theirs.put(c.name(), c));
        List<String> select = new ArrayList<>();
        select.add(ranges.expression());
        for (VerifyColumns.Column c : sourceColumns.get(t.qualified())) {
            if (theirs.containsKey(c.name())) {
                select.add(VerifyColumns.expression(c, theirs.get(c.name()), sameMajor));
            }
        }
        String sql = "COPY (SELECT " + String.join(", ", select) + " FROM " + t.qualified() + " t) TO STDOUT"
                + " (FORMAT binary)";
        String label = t.schema() + "." + t.name();
        return new Read(
                pool.submit(() -> scan(sessions, source, db, sql, ranges, n -> {
                    job.progress(Map.of(
                            "phase", "verify", "database", db, "table", label, "rows_compared", rowsDone.addAndGet(n)));
                })),
                pool.submit(() -> scan(sessions, target, targetDb, sql, ranges, n -> {})));
    }

    private CopyDigest scan(
            Sessions sessions, Endpoint side, String db, String sql, KeyRanges ranges, LongConsumer progress)
            throws SQLException {
        Connection c = sessions.take(side, db);
        boolean healthy = false;
        try {
            ranges.bind(c);
            CopyOut copy = c.unwrap(PGConnection.class).getCopyAPI().copyOut(sql);
            CopyDigest d = CopyDigest.read(copy, ranges.count(), n -> {
                if (job.cancelled()) {
                    throw new CancellationException();
                }
                progress.accept(n);
            });
            healthy = true;
            return d;
        } finally {
            sessions.release(side, db, c, healthy);
        }
    }

    private void compare(
            Map<String, Object> report,
            SourceTable t,
            KeyRanges r,
            CopyDigest a,
            CopyDigest b,
            List<VerifyColumns.Column> sourceColumns,
            List<VerifyColumns.Column> targetColumns) {
        long sourceRows = 0;
        long targetRows = 0;
        List<Map<String, Object>> differing = new ArrayList<>();
        for (int i = 0; i < r.count(); i++) {
            sourceRows += a.rows[i];
            targetRows += b.rows[i];
            if (a.rows[i] != b.rows[i] || a.sums[i] != b.sums[i]) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("from", r.from(i) == null ? null : display(r.from(i)));
                d.put("to", r.to(i) == null ? null : display(r.to(i)));
                d.put("source_rows", a.rows[i]);
                d.put("target_rows", b.rows[i]);
                differing.add(d);
            }
        }
        List<String> missing = names(sourceColumns, targetColumns);
        List<String> extra = names(targetColumns, sourceColumns);
        boolean match = differing.isEmpty() && missing.isEmpty() && extra.isEmpty();
        report.put("status", match ? "match" : "mismatch");
        report.put("rows_source", sourceRows);
        report.put("rows_target", targetRows);
        report.put("chunks", r.count());
        if (!r.columns().isEmpty()) {
            report.put("range_key", r.columns());
        }
        if (!missing.isEmpty()) {
            report.put("columns_missing_on_target", missing);
        }
        if (!extra.isEmpty()) {
            report.put("columns_only_on_target", extra);
        }
        if (!differing.isEmpty()) {
            report.put("mismatched_ranges", differing);
        }
        tables.add(report);
        job.log("verify " + t.label() + ": " + report.get("status") + " (" + sourceRows + " source rows, " + targetRows
                + " target rows, " + r.count() + " range(s)"
                + (differing.isEmpty() ? "" : ", " + differing.size() + " differing")
                + (missing.isEmpty() && extra.isEmpty() ? "" : ", columns differ") + ")");
    }

    /** The names of {@code these} columns that {@code those} lack. */
    private static List<String> names(List<VerifyColumns.Column> these, List<VerifyColumns.Column> those) {
        return these.stream()
                .map(VerifyColumns.Column::name)
                .filter(n -> those.stream().noneMatch(c -> c.name().equals(n)))
                .toList();
    }

    private Map<String, Object> result() {
        long differences = problems();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", differences == 0);
        r.put("differences", differences);
        r.put("rows_compared", rowsDone.get());
        r.put("tables", List.copyOf(tables));
        return r;
    }

    @Override
    public long problems() {
        return tables.stream().filter(t -> !"match".equals(t.get("status"))).count();
    }

    @Override
    public String failure(long n) {
        return "verify found " + n + " table(s) that differ; result.tables lists the key ranges";
    }

    private static String display(List<String> values) {
        return values.size() == 1 ? values.getFirst() : "(" + String.join(", ", values) + ")";
    }
}
