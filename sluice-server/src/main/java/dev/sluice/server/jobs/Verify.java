package dev.sluice.server.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The {@code verify} command: compares every selected table of the source with its namesake on the target, in chunks
 * of primary-key ranges hashed on both sides ({@code options.parallelism} chunks at once). A row is hashed in its
 * record text form, where NULL is an empty field and an empty string is {@code ""}, so the two never compare equal.
 * The result lists each table's state ({@code match}, {@code mismatch}, {@code missing_on_target}) and, for a
 * mismatch, the key ranges that differ. A table without a primary key is compared as one chunk.
 */
final class Verify implements JobWork {
    static final int CHUNK_ROWS = 10_000;
    /** Tables estimated larger than this get their range boundaries from a sample of about {@link #SAMPLE_ROWS}. */
    static final long SAMPLE_ABOVE = 200_000;

    static final int SAMPLE_ROWS = 50_000;

    private final JobSpec spec;
    private final JobContext job;
    private final List<Map<String, Object>> tables = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong rowsDone = new AtomicLong();

    Verify(JobSpec spec, JobContext job) {
        this.spec = spec;
        this.job = job;
    }

    /** One key range: {@code from} inclusive, {@code to} exclusive; null for an open end. */
    private record Chunk(
            @Nullable List<String> from, @Nullable List<String> to) {}

    /** Runs the comparison; the result has {@code ok}, {@code differences} and {@code tables}. */
    @Override
    public Map<String, Object> run() throws SQLException, InterruptedException {
        Endpoint source = Endpoint.of("source", spec.sourceUrl());
        Endpoint target = Endpoint.of("target", spec.targetUrl());
        List<String> databases = spec.filter().databases(source.url().database());
        ExecutorService pool = Executors.newFixedThreadPool(spec.options().parallelism());
        // The next table's key ranges are found while this table's are hashed.
        ExecutorService planner = Executors.newSingleThreadExecutor();
        try (Sessions sessions = new Sessions()) {
            for (String db : databases) {
                String targetDb = spec.targetDatabase(db);
                List<SourceTable> tables = tables(source, db);
                boolean sameMajor;
                try (Connection s = source.connect(db);
                        Connection t = target.connect(targetDb)) {
                    sameMajor = s.getMetaData().getDatabaseMajorVersion()
                            == t.getMetaData().getDatabaseMajorVersion();
                }
                Hashing hashing = new Hashing(sessions, sameMajor);
                List<Future<List<Chunk>>> planned = new ArrayList<>();
                for (SourceTable t : tables) {
                    planned.add(planner.submit(() -> chunks(sessions, source, t)));
                }
                for (int i = 0; i < tables.size(); i++) {
                    SourceTable t = tables.get(i);
                    if (job.cancelled()) {
                        return result();
                    }
                    job.progress(Map.of(
                            "phase",
                            "verify",
                            "database",
                            db,
                            "table",
                            t.schema() + "." + t.name(),
                            "rows_compared",
                            rowsDone.get()));
                    compare(pool, hashing, source, target, db, targetDb, t, planned.get(i));
                }
            }
        } finally {
            planner.shutdownNow();
            pool.shutdownNow();
        }
        return result();
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

    /** The tables of {@code db} the filters select; schema-only tables are not copied, so there is nothing to compare. */
    private List<SourceTable> tables(Endpoint source, String db) throws SQLException {
        List<TableName> schemaOnly =
                spec.filter().schemaOnlyTables().stream().map(TableName::parse).toList();
        try (Connection c = source.connect(db)) {
            return SourceTable.list(c, db).stream()
                    .filter(t -> spec.filter().selects(t) && schemaOnly.stream().noneMatch(t::is))
                    .toList();
        }
    }

    private void compare(
            ExecutorService pool,
            Hashing hashing,
            Endpoint source,
            Endpoint target,
            String db,
            String targetDb,
            SourceTable t,
            Future<List<Chunk>> planned)
            throws SQLException, InterruptedException {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("database", db);
        report.put("schema", t.schema());
        report.put("table", t.name());
        try (Connection c = target.connect(targetDb);
                PreparedStatement s = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            s.setString(1, t.qualified());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    report.put("status", "missing_on_target");
                    tables.add(report);
                    job.log("verify " + t.label() + ": missing on the target");
                    return;
                }
            }
        }
        List<Chunk> chunks = Futures.get(planned);
        List<Map<String, Object>> results = new ArrayList<>();
        if (t.key().size() == 1 && chunks.size() > 1) {
            // One scan of each side, both at once, each row counted in its range by its key.
            Future<Map<Integer, String[]>> a = pool.submit(() -> hashing.ranges(source, db, t, chunks));
            Future<Map<Integer, String[]>> b = pool.submit(() -> hashing.ranges(target, targetDb, t, chunks));
            Map<Integer, String[]> sa = Futures.get(a);
            Map<Integer, String[]> sb = Futures.get(b);
            for (int i = 0; i < chunks.size(); i++) {
                String[] none = {"0", "0"};
                String[] x = sa.getOrDefault(i, none);
                String[] y = sb.getOrDefault(i, none);
                rowsDone.addAndGet(Long.parseLong(x[0]));
                results.add(chunkResult(chunks.get(i), x[1].equals(y[1]), Long.parseLong(x[0]), Long.parseLong(y[0])));
            }
        } else {
            List<Future<Map<String, Object>>> running = new ArrayList<>();
            for (Chunk ch : chunks) {
                running.add(pool.submit(() -> compareChunk(hashing, source, target, db, targetDb, t, ch)));
            }
            for (Future<Map<String, Object>> f : running) {
                results.add(Futures.get(f));
            }
        }
        long sourceRows = 0;
        long targetRows = 0;
        List<Map<String, Object>> differing = new ArrayList<>();
        for (Map<String, Object> r : results) {
            sourceRows += (long) r.get("source_rows");
            targetRows += (long) r.get("target_rows");
            if (Boolean.FALSE.equals(r.remove("match"))) {
                differing.add(r);
            }
        }
        report.put("status", differing.isEmpty() ? "match" : "mismatch");
        report.put("rows_source", sourceRows);
        report.put("rows_target", targetRows);
        report.put("chunks", chunks.size());
        if (!differing.isEmpty()) {
            report.put("mismatched_ranges", differing);
        }
        tables.add(report);
        job.log("verify " + t.label() + ": " + report.get("status") + " (" + sourceRows + " source rows, " + targetRows
                + " target rows, " + chunks.size() + " chunk(s)"
                + (differing.isEmpty() ? "" : ", " + differing.size() + " differing") + ")");
    }

    /**
     * Key ranges of about {@value #CHUNK_ROWS} source rows each: every {@value #CHUNK_ROWS}th key, or for a large
     * table every matching key of a page sample.
     */
    private static List<Chunk> chunks(Sessions sessions, Endpoint source, SourceTable t) throws SQLException {
        if (t.key().isEmpty()) {
            return List.of(new Chunk(null, null));
        }
        String key = String.join(", ", t.key().stream().map(SourceTable::quote).toList());
        List<List<String>> bounds = new ArrayList<>();
        Connection c = sessions.take(source, t.database());
        boolean healthy = false;
        // A large table's boundaries come from a sample of its pages: ranges need not be equal, only cover the keys.
        boolean sample = t.rowsEstimate() > SAMPLE_ABOVE;
        String scanned = sample
                ? t.qualified() + " TABLESAMPLE SYSTEM ("
                        + String.format(
                                java.util.Locale.ROOT,
                                "%.4f",
                                Math.max(0.0001, Math.min(100.0, 100.0 * SAMPLE_ROWS / t.rowsEstimate())))
                        + ")"
                : t.qualified();
        long every = sample ? Math.max(1, (long) SAMPLE_ROWS * CHUNK_ROWS / t.rowsEstimate()) : CHUNK_ROWS;
        try (PreparedStatement s = c.prepareStatement("SELECT " + textColumns(t.key()) + " FROM (SELECT " + key
                + ", row_number() OVER (ORDER BY " + key + ") AS sluice_rn FROM " + scanned
                + ") b WHERE sluice_rn % ? = 0 ORDER BY sluice_rn")) {
            s.setLong(1, every);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    List<String> b = new ArrayList<>();
                    for (int i = 1; i <= t.key().size(); i++) {
                        b.add(rs.getString(i));
                    }
                    bounds.add(b);
                }
            }
            healthy = true;
        } finally {
            sessions.release(source, t.database(), c, healthy);
        }
        List<Chunk> out = new ArrayList<>();
        List<String> from = null;
        for (List<String> b : bounds) {
            out.add(new Chunk(from, b));
            from = b;
        }
        out.add(new Chunk(from, null));
        return out;
    }

    private Map<String, Object> compareChunk(
            Hashing hashing, Endpoint source, Endpoint target, String db, String targetDb, SourceTable t, Chunk ch)
            throws SQLException {
        long[] sourceRows = new long[1];
        long[] targetRows = new long[1];
        String a = hashing.hash(source, db, t, ch, sourceRows);
        String b = hashing.hash(target, targetDb, t, ch, targetRows);
        rowsDone.addAndGet(sourceRows[0]);
        return chunkResult(ch, a.equals(b) && sourceRows[0] == targetRows[0], sourceRows[0], targetRows[0]);
    }

    private static Map<String, Object> chunkResult(Chunk ch, boolean match, long sourceRows, long targetRows) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("match", match && sourceRows == targetRows);
        r.put("from", ch.from() == null ? null : display(ch.from()));
        r.put("to", ch.to() == null ? null : display(ch.to()));
        r.put("source_rows", sourceRows);
        r.put("target_rows", targetRows);
        return r;
    }

    /**
     * How a chunk is hashed: the sum of a 64-bit hash of every row's record text, which needs no sort (rows are a
     * multiset, and each row's text holds its key). Between servers of one major version the sum is of {@code
     * hashtextextended}; across versions, whose hash functions Postgres does not promise to keep, of the first 64
     * bits of each row's {@code md5}, which is slower but fixed. Postgres adds a {@code bigint} sum in 128 bits: no
     * overflow.
     */
    private record Hashing(Sessions sessions, boolean sameMajor) {
        String row() {
            return sameMajor ? "hashtextextended(t::text, 0)" : "('x' || left(md5(t::text), 16))::bit(64)::bigint";
        }

        /**
         * Every range of a table with a one-column key in one scan: range {@code i} of {@code chunks} → its row
         * count and hash, for the ranges that have rows.
         */
        Map<Integer, String[]> ranges(Endpoint side, String db, SourceTable t, List<Chunk> chunks) throws SQLException {
            String[] bounds =
                    chunks.stream().skip(1).map(ch -> ch.from().getFirst()).toArray(String[]::new);
            Connection c = sessions.take(side, db);
            boolean healthy = false;
            // width_bucket gives 0 below the first bound and i from bound i on: the index of the range.
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT width_bucket(t." + SourceTable.quote(t.key().getFirst())
                            + ", ?::text[]::" + t.keyTypes().getFirst() + "[]), count(*), coalesce(sum(" + row()
                            + "), 0)::text FROM " + t.qualified() + " t GROUP BY 1")) {
                s.setArray(1, c.createArrayOf("text", bounds));
                Map<Integer, String[]> out = new java.util.HashMap<>();
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getInt(1), new String[] {Long.toString(rs.getLong(2)), rs.getString(3)});
                    }
                }
                healthy = true;
                return out;
            } finally {
                sessions.release(side, db, c, healthy);
            }
        }

        String hash(Endpoint side, String db, SourceTable t, Chunk ch, long[] rows) throws SQLException {
            String key = String.join(
                    ", ", t.key().stream().map(k -> "t." + SourceTable.quote(k)).toList());
            StringBuilder where = new StringBuilder("true");
            if (ch.from() != null) {
                where.append(" AND (")
                        .append(key)
                        .append(") >= (")
                        .append(placeholders(t))
                        .append(")");
            }
            if (ch.to() != null) {
                where.append(" AND (")
                        .append(key)
                        .append(") < (")
                        .append(placeholders(t))
                        .append(")");
            }
            String row = row();
            Connection c = sessions.take(side, db);
            boolean healthy = false;
            try (PreparedStatement s = c.prepareStatement("SELECT count(*), coalesce(sum(" + row + "), 0)::text FROM "
                    + t.qualified() + " t WHERE " + where)) {
                int i = 1;
                for (List<String> bound : java.util.Arrays.asList(ch.from(), ch.to())) {
                    if (bound != null) {
                        for (String v : bound) {
                            s.setString(i++, v);
                        }
                    }
                }
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    rows[0] = rs.getLong(1);
                    healthy = true;
                    return rs.getString(2);
                }
            } finally {
                sessions.release(side, db, c, healthy);
            }
        }
    }

    private static String placeholders(SourceTable t) {
        List<String> p = new ArrayList<>();
        for (String type : t.keyTypes()) {
            p.add("?::" + type);
        }
        return String.join(", ", p);
    }

    private static String textColumns(List<String> key) {
        return String.join(
                ", ", key.stream().map(k -> SourceTable.quote(k) + "::text").toList());
    }

    private static String display(List<String> values) {
        return values.size() == 1 ? values.getFirst() : "(" + String.join(", ", values) + ")";
    }
}
