package dev.sluice.server.jobs;

import dev.sluice.server.jobs.SchemaPlan.ForeignKey;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The {@code init} command: copies the selected tables of each source database to the target, schema first, then
 * the data by parallel streamed COPY in one snapshot, each table's constraints and indexes built as soon as its data
 * is in (by the worker that copied it, while the others still copy, as pg_restore does), then foreign keys (added
 * {@code NOT VALID}, then validated in parallel), materialized views and sequence values. Every finished step is
 * checkpointed, so a run after a crash goes on where the last one stopped (a table cut short is copied again). A
 * target that already has what init would create is refused unless {@code drop_existing} is set; the refusal lists
 * what would be dropped.
 */
final class Init implements JobWork {
    private final JobSpec spec;
    private final JobContext job;
    private final CopyProgress progress;
    private final List<Map<String, Object>> databases = new ArrayList<>();
    private @Nullable String refusal;

    Init(JobSpec spec, JobContext job) {
        this.spec = spec;
        this.job = job;
        this.progress = new CopyProgress(job);
    }

    @Override
    public Map<String, Object> run() throws SQLException, InterruptedException {
        Endpoint source = Endpoint.of("source", spec.sourceUrl());
        Endpoint target = Endpoint.of("target", spec.targetUrl());
        for (String db : spec.filter().databases(source.url().database())) {
            if (job.cancelled()) {
                break;
            }
            copyDatabase(source, db, target, spec.targetDatabase(db), null);
            if (refusal != null) {
                break;
            }
        }
        return result();
    }

    private Map<String, Object> result() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", refusal == null);
        r.put("rows_copied", progress.rows());
        r.put("bytes_copied", progress.bytes());
        r.put("databases", List.copyOf(databases));
        return r;
    }

    @Override
    public long problems() {
        return refusal == null ? 0 : 1;
    }

    @Override
    public String failure(long n) {
        return refusal == null ? "" : refusal;
    }

    /**
     * Copies one database. With {@code snapshot} (a replication slot's, for {@code sync}) the copy reads in it;
     * without, init exports one of its own. Returns false when the target was refused (see {@link #failure}).
     */
    boolean copyDatabase(Endpoint source, String db, Endpoint target, String targetDb, @Nullable String snapshot)
            throws SQLException, InterruptedException {
        String prefix = db + ":";
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("database", db);
        report.put("target_database", targetDb);
        databases.add(report);
        List<String> warnings = Collections.synchronizedList(new ArrayList<>());
        TargetDatabase.ensure(target, targetDb, job);
        try (Connection s = source.connect(db);
                Connection t = target.connect(targetDb)) {
            s.setAutoCommit(false);
            String snap;
            try (Statement st = s.createStatement()) {
                st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                if (snapshot == null) {
                    try (ResultSet rs = st.executeQuery("SELECT pg_export_snapshot()")) {
                        rs.next();
                        snap = rs.getString(1);
                    }
                } else {
                    st.execute("SET TRANSACTION SNAPSHOT '" + snapshot.replace("'", "''") + "'");
                    snap = snapshot;
                }
            }
            progress.phase("schema", db);
            SchemaPlan plan = SchemaReader.read(s, db, spec.filter());
            warnings.addAll(plan.warnings());
            if (!job.done(prefix + "started")) {
                String orphans = orphans(s, plan);
                if (orphans != null) {
                    refusal = orphans;
                    return false;
                }
                List<Map<String, Object>> existing = TargetDatabase.conflicts(t, plan.relations());
                if (!existing.isEmpty()) {
                    if (!spec.options().dropExisting()) {
                        report.put("would_drop", existing);
                        refusal = "the target database " + targetDb + " already has " + existing.size()
                                + " of the objects init creates (result.databases[].would_drop lists them): empty"
                                + " it, choose another target database, or set options.drop_existing to true to"
                                + " drop them";
                        return false;
                    }
                    TargetDatabase.drop(t, existing);
                    report.put("dropped", existing);
                    job.log(db + ": dropped " + existing.size() + " object(s) on the target (drop_existing)");
                }
                job.checkpoint(prefix + "started");
            } else {
                job.log(db + ": resuming from the last run's checkpoints");
            }
            DdlRunner ddl =
                    new DdlRunner(t, job, prefix, warnings, spec.options().parallelism());
            report.put("schema_statements", ddl.run(plan.pre()));
            boolean binary =
                    s.getMetaData().getDatabaseMajorVersion() == t.getMetaData().getDatabaseMajorVersion();
            Map<String, List<Ddl>> post = Collections.synchronizedMap(byTable(plan.post()));
            AtomicInteger built = new AtomicInteger();
            report.put(
                    "tables", copy(source, db, target, targetDb, snap, binary, plan.copies(), post, warnings, built));
            progress.phase("indexes", db);
            // What no copy took: statements of tables not copied (schema-only ones, partitions) and of no table.
            built.addAndGet(inParallel(target, targetDb, prefix, warnings, List.copyOf(post.values())));
            report.put("constraints_and_indexes", built.get());
            progress.phase("foreign_keys", db);
            report.put("foreign_keys", foreignKeys(target, targetDb, prefix, warnings, ddl, plan.foreignKeys()));
            progress.phase("sequences", db);
            ddl.run(plan.late());
            report.put("sequences", TargetDatabase.sequences(s, t, plan.sequences()));
            s.commit();
        }
        report.put("warnings", List.copyOf(warnings));
        return true;
    }

    /**
     * When a filter drops rows (or a table is schema-only) that rows of a copied table refer to by a foreign key, the
     * target's foreign key could not be built: says which, or null when every reference is kept.
     */
    private @Nullable String orphans(Connection s, SchemaPlan plan) throws SQLException {
        Map<String, CopyTable> copied = new LinkedHashMap<>();
        plan.copies().forEach(c -> copied.put(c.qualified(), c));
        for (ForeignKey fk : plan.references()) {
            CopyTable child = copied.get(fk.child());
            CopyTable parent = copied.get(fk.parent());
            if (child == null || (parent != null && parent.predicate() == null)) {
                continue; // nothing of the child copied, or the whole parent is
            }
            StringBuilder sql = new StringBuilder("SELECT count(*) FROM " + fk.child() + " AS c WHERE ");
            if (child.predicate() != null) {
                sql.append('(').append(child.predicate()).append(") AND ");
            }
            StringBuilder match = new StringBuilder();
            for (int i = 0; i < fk.childColumns().size(); i++) {
                String cc = "c." + SourceTable.quote(fk.childColumns().get(i));
                sql.append(cc).append(" IS NOT NULL AND ");
                match.append(" AND p.")
                        .append(SourceTable.quote(fk.parentColumns().get(i)))
                        .append(" = ")
                        .append(cc);
            }
            sql.append("NOT EXISTS (SELECT 1 FROM ")
                    .append(fk.parent())
                    .append(" AS p WHERE (")
                    .append(parent == null ? "false" : parent.predicate())
                    .append(')')
                    .append(match)
                    .append(')');
            try (Statement st = s.createStatement();
                    ResultSet rs = st.executeQuery(sql.toString())) {
                rs.next();
                long n = rs.getLong(1);
                if (n > 0) {
                    return "the filters would break foreign key " + fk.name() + ": " + n + " row(s) of " + fk.child()
                            + " that are copied refer to rows of " + fk.parent() + " that are not ("
                            + (parent == null ? "it is schema-only" : "table_filters: " + parent.predicate())
                            + "). Give " + fk.child() + " a table_filters predicate that keeps only rows whose "
                            + String.join(", ", fk.childColumns()) + " the parent keeps, or widen the parent's";
                }
            }
        }
        return null;
    }

    /**
     * Copies the tables, largest first, {@code parallelism} at once; the worker that copied a table then runs that
     * table's statements of {@code post} (taking them out of it), so indexes are built while other tables are still
     * copied. Returns each table's figures; {@code built} counts the statements run.
     */
    private List<Map<String, Object>> copy(
            Endpoint source,
            String db,
            Endpoint target,
            String targetDb,
            String snapshot,
            boolean binary,
            List<CopyTable> copies,
            Map<String, List<Ddl>> post,
            List<String> warnings,
            AtomicInteger built)
            throws SQLException, InterruptedException {
        String prefix = db + ":";
        // Tables copied by an earlier run stay in the queue for the statements they may still lack.
        List<CopyTable> all = copies.stream()
                .sorted(Comparator.comparingLong(CopyTable::rowsEstimate).reversed())
                .toList();
        List<CopyTable> todo = all.stream()
                .filter(c -> !job.done(prefix + "copy " + c.label()))
                .toList();
        progress.startCopy(db, copies.size(), copies.size() - todo.size(), todo);
        List<Map<String, Object>> out = Collections.synchronizedList(new ArrayList<>());
        ConcurrentLinkedQueue<CopyTable> queue = new ConcurrentLinkedQueue<>(all);
        int workers = Math.max(1, Math.min(spec.options().parallelism(), all.size()));
        ExecutorService pool = Executors.newFixedThreadPool(
                workers, Thread.ofPlatform().daemon().factory());
        try {
            List<Future<Void>> running = new ArrayList<>();
            for (int i = 0; i < workers; i++) {
                running.add(pool.submit(() -> {
                    try (Worker w = new Worker(source, db, target, targetDb, snapshot, binary, warnings)) {
                        CopyTable t;
                        while ((t = queue.poll()) != null) {
                            List<Ddl> group = post.remove(t.qualified());
                            if (job.done(prefix + "copy " + t.label())) {
                                if (group != null) {
                                    built.addAndGet(w.ddl().run(group));
                                }
                                continue;
                            }
                            long started = System.nanoTime();
                            AtomicLong tableRows = progress.tableStarted(t);
                            TableCopier.Copied c =
                                    w.copier().copy(t, progress.rowCounter(), progress.byteCounter(), tableRows, job);
                            job.checkpoint(prefix + "copy " + t.label());
                            progress.tableDone(t);
                            Map<String, Object> m = new LinkedHashMap<>();
                            m.put("schema", t.schema());
                            m.put("table", t.name());
                            m.put("rows", c.rows());
                            m.put("bytes", c.bytes());
                            m.put("format", c.binary() ? "binary" : "text");
                            m.put(
                                    "seconds",
                                    Duration.ofNanos(System.nanoTime() - started)
                                                    .toMillis()
                                            / 1000.0);
                            out.add(m);
                            job.log(db + ": copied " + t.label() + ": " + c.rows() + " rows");
                            if (group != null) {
                                built.addAndGet(w.ddl().run(group));
                            }
                        }
                    }
                    return null;
                }));
            }
            await(running);
        } finally {
            pool.shutdownNow();
            progress.stopCopy();
        }
        return List.copyOf(out);
    }

    /** A copy worker's connections: a {@link TableCopier} and a target connection for statements, each opened when first needed. */
    private final class Worker implements AutoCloseable {
        private final Endpoint source;
        private final String db;
        private final Endpoint target;
        private final String targetDb;
        private final String snapshot;
        private final boolean binary;
        private final List<String> warnings;
        private @Nullable TableCopier copier;
        private @Nullable Connection connection;
        private @Nullable DdlRunner ddl;

        Worker(
                Endpoint source,
                String db,
                Endpoint target,
                String targetDb,
                String snapshot,
                boolean binary,
                List<String> warnings) {
            this.source = source;
            this.db = db;
            this.target = target;
            this.targetDb = targetDb;
            this.snapshot = snapshot;
            this.binary = binary;
            this.warnings = warnings;
        }

        TableCopier copier() throws SQLException {
            if (copier == null) {
                copier = new TableCopier(source, db, target, targetDb, snapshot, binary);
            }
            return copier;
        }

        DdlRunner ddl() throws SQLException {
            if (ddl == null) {
                connection = target.connect(targetDb);
                ddl = new DdlRunner(
                        connection, job, db + ":", warnings, spec.options().parallelism());
            }
            return ddl;
        }

        @Override
        public void close() throws SQLException {
            try {
                if (copier != null) {
                    copier.close();
                }
            } finally {
                if (connection != null) {
                    connection.close();
                }
            }
        }
    }

    /** Statements grouped by their table (a statement of no table is a group of its own), in order. */
    private static Map<String, List<Ddl>> byTable(List<Ddl> ddls) {
        Map<String, List<Ddl>> byTable = new LinkedHashMap<>();
        for (Ddl d : ddls) {
            byTable.computeIfAbsent(d.table() == null ? d.key() : d.table(), k -> new ArrayList<>())
                    .add(d);
        }
        return byTable;
    }

    /** Runs groups of statements ({@link #byTable}), those of one group in order, different groups in parallel. */
    private int inParallel(
            Endpoint target, String targetDb, String prefix, List<String> warnings, List<List<Ddl>> groups)
            throws SQLException, InterruptedException {
        if (groups.isEmpty()) {
            return 0;
        }
        ConcurrentLinkedQueue<List<Ddl>> queue = new ConcurrentLinkedQueue<>(groups);
        int workers = Math.max(1, Math.min(spec.options().parallelism(), groups.size()));
        ExecutorService pool = Executors.newFixedThreadPool(
                workers, Thread.ofPlatform().daemon().factory());
        try {
            List<Future<Integer>> running = new ArrayList<>();
            for (int i = 0; i < workers; i++) {
                running.add(pool.submit(() -> {
                    int n = 0;
                    try (Connection c = target.connect(targetDb)) {
                        DdlRunner runner = new DdlRunner(
                                c, job, prefix, warnings, spec.options().parallelism());
                        List<Ddl> group;
                        while ((group = queue.poll()) != null) {
                            n += runner.run(group);
                        }
                    }
                    return n;
                }));
            }
            int total = 0;
            for (Future<Integer> f : running) {
                total += Futures.get(f);
            }
            return total;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Creates the foreign keys: each is added {@code NOT VALID} first, one after the other (instant: no row is read,
     * but it locks both tables), then validated, those of different tables in parallel ({@code VALIDATE CONSTRAINT}
     * reads the rows under locks that let other validations run). The end state is the same as adding them valid: a
     * foreign key the source has {@code NOT VALID} stays so. Where Postgres refuses {@code NOT VALID} (a partitioned
     * table before 18) the key is added valid at once. Returns how many were created.
     */
    private int foreignKeys(
            Endpoint target, String targetDb, String prefix, List<String> warnings, DdlRunner ddl, List<Ddl> fks)
            throws SQLException, InterruptedException {
        List<Ddl> validations = new ArrayList<>();
        int created = 0;
        for (Ddl fk : fks) {
            String namePrefix = "constraint " + fk.table() + ".";
            if (fk.table() == null
                    || fk.sql().endsWith(" NOT VALID")
                    || !fk.key().startsWith(namePrefix)) {
                created += ddl.run(List.of(fk));
                continue;
            }
            Ddl notValid = new Ddl(fk.key() + " (not valid)", fk.table(), fk.sql() + " NOT VALID");
            try {
                ddl.run(List.of(notValid));
            } catch (SQLException e) {
                // Postgres 11-17 refuse NOT VALID on a partitioned table (42809); added valid, as before.
                if (!"42809".equals(e.getSQLState()) && !"0A000".equals(e.getSQLState())) {
                    throw e;
                }
                created += ddl.run(List.of(fk));
                continue;
            }
            String name = fk.key().substring(namePrefix.length());
            validations.add(new Ddl(
                    fk.key(),
                    fk.table(),
                    "ALTER TABLE " + fk.table() + " VALIDATE CONSTRAINT " + SourceTable.quote(name)));
        }
        return created
                + inParallel(
                        target,
                        targetDb,
                        prefix,
                        warnings,
                        List.copyOf(byTable(validations).values()));
    }

    private static <T> void await(List<Future<T>> futures) throws SQLException, InterruptedException {
        for (Future<T> f : futures) {
            Futures.get(f);
        }
    }
}
