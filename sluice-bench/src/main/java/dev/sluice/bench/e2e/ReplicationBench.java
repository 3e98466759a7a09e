package dev.sluice.bench.e2e;

import dev.sluice.bench.e2e.ReplicationResult.Copier;
import dev.sluice.bench.e2e.ReplicationResult.InitRun;
import dev.sluice.bench.e2e.ReplicationResult.Reader;
import dev.sluice.bench.e2e.ReplicationResult.VerifyRun;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The replication scenario (issue 18's speed goals for {@code init} and {@code verify}), on one Postgres server run
 * from an installation's own binaries ({@link LocalPostgres}), with the packaged Sluice server as a child process
 * ({@link LiveServer}, its metadata in a database of the same server):
 *
 * <ol>
 *   <li>a source database of N rows in five tables ({@link ReplicationData}) is written once;
 *   <li><b>init versus pg_dump</b>: in each round, each system copies the source into a fresh, empty target database
 *       on the same server, one after another, the order rotating from round to round: Sluice's {@code init} job
 *       ({@code POST /api/jobs}, parallelism 2, polled every {@link JobsClient#POLL} until completed, timed from
 *       the POST to the job's {@code completed_at}), {@code pg_dump |
 *       psql} (plain format), and {@code pg_dump -Fd -j2} followed by {@code pg_restore -j2}. Each is timed end to end
 *       (schema, data, indexes, constraints, foreign keys, sequence values); after the clock stops the target is
 *       compared with the source ({@link DatabaseImage}), so a wrong copy fails its run;
 *   <li><b>verify versus COPY</b>: on the last Sluice copy, Sluice's {@code verify} job (parallelism 2) against
 *       {@code COPY (SELECT * FROM t) TO STDOUT} of every table of both sides into a stream that only counts bytes,
 *       one table after another on one connection per side, and both sides at once;
 *   <li>with {@code --replication-probe}, verify taken apart ({@link VerifyProbe}).
 * </ol>
 *
 * <p>Every statement on the target databases is logged by the server, so each copy is also cut into phases from the
 * server's side ({@link StatementLog}), the same way for every system. Before the first timed run the server runs one
 * small init and verify (a running server has loaded its classes).
 *
 * <p>Over 500 lines: the scenario's rounds, their checks and the commands it reports belong together; the parts that
 * stand alone (data, image, statement log, probe, report) are classes of their own.
 */
final class ReplicationBench {
    static final String SOURCE = "bench_source";
    /** The copy (by Sluice's init) that verify and COPY read. */
    static final String VERIFY_TARGET = "bench_verify_target";

    static final int PARALLELISM = 2;
    static final int POLL_MS = (int) JobsClient.POLL.toMillis();
    private static final String TOKEN = "sluice_bench_token_0123456789";
    private static final Logger log = LoggerFactory.getLogger("bench");

    private final LocalPostgres pg;
    private final JobsClient jobs;
    private final LiveServer server;
    private final @Nullable LiveServer baseline;
    private final @Nullable JobsClient baselineJobs;
    private final Path dir;
    private final Path scratch;
    private final long rows;
    private final Duration timeout;
    private final DatabaseImage source;

    private ReplicationBench(
            LocalPostgres pg,
            JobsClient jobs,
            LiveServer server,
            @Nullable LiveServer baseline,
            @Nullable JobsClient baselineJobs,
            DatabaseImage source,
            Path dir,
            Path scratch,
            long rows) {
        this.pg = pg;
        this.jobs = jobs;
        this.server = server;
        this.baseline = baseline;
        this.baselineJobs = baselineJobs;
        this.source = source;
        this.dir = dir;
        this.scratch = scratch;
        this.rows = rows;
        this.timeout = Duration.ofSeconds(120 + rows / 2_000);
    }

    /** The server's settings: those of the other scenarios' Postgres, the statement log's, then {@code extra}. */
    static Map<String, String> settings(Map<String, String> extra) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("wal_level", "logical");
        s.put("max_wal_senders", "20");
        s.put("max_replication_slots", "40");
        s.put("max_connections", "200");
        s.put("fsync", "off");
        s.put("synchronous_commit", "off");
        s.put("full_page_writes", "off");
        s.put("shared_buffers", "256MB");
        s.put("max_wal_size", "4GB");
        s.put("checkpoint_timeout", "30min");
        s.put("wal_compression", "off");
        s.putAll(StatementLog.SERVER_SETTINGS);
        s.putAll(extra);
        return s;
    }

    /** System property: a server jar (another build) whose init runs as one more system, for before and after. */
    static final String BASELINE_JAR = "sluice.bench.baselineJar";

    /**
     * Runs the scenario: {@code rows} rows, {@code runs} rounds of each comparison; logs and outputs go to {@code
     * out/replication}.
     */
    static ReplicationResult run(Path bin, long rows, int runs, boolean probe, Map<String, String> pgSettings, Path out)
            throws Exception {
        Path dir = Files.createDirectories(out.resolve("replication"));
        Path scratch = Files.createTempDirectory("sluice-bench-dumps");
        try (LocalPostgres pg = LocalPostgres.start(bin, settings(pgSettings), dir.resolve("postgres.log"))) {
            String version = pg.version();
            log.info("replication: Postgres {} from {} on port {}", version, bin, pg.port());
            pg.execute(
                    "postgres",
                    "CREATE DATABASE " + SOURCE,
                    "CREATE DATABASE sluice_meta",
                    "CREATE DATABASE sluice_meta_baseline");
            long t0 = System.nanoTime();
            pg.execute(SOURCE, ReplicationData.sql(rows).toArray(String[]::new));
            long sourceBytes = Long.parseLong(pg.queryString(SOURCE, "SELECT pg_database_size(current_database())"));
            log.info(
                    "replication: source of {} rows, {} MiB, written in {} s",
                    rows,
                    sourceBytes >> 20,
                    String.format("%.1f", (System.nanoTime() - t0) / 1e9));
            Path serverDir = Files.createDirectories(dir.resolve("sluice-server"));
            Path config = Files.writeString(
                    serverDir.resolve("sluice.yaml"), "api_tokens:\n  - name: bench\n    token: " + TOKEN + "\n");
            String baselineJar = System.getProperty(BASELINE_JAR, "");
            try (LiveServer server = LiveServer.start(config, serverDir, pg.jdbcUrl("sluice_meta"));
                    JobsClient jobs = new JobsClient(server.port(), TOKEN);
                    // Each server its own metadata: servers sharing it would claim each other's jobs.
                    LiveServer baseline = baselineJar.isBlank()
                            ? null
                            : LiveServer.start(
                                    Path.of(baselineJar).toAbsolutePath(),
                                    config,
                                    Files.createDirectories(dir.resolve("sluice-server-baseline")),
                                    pg.jdbcUrl("sluice_meta_baseline"));
                    JobsClient baselineJobs = baseline == null ? null : new JobsClient(baseline.port(), TOKEN)) {
                server.awaitHealthy(Duration.ofSeconds(60));
                if (baseline != null) {
                    baseline.awaitHealthy(Duration.ofSeconds(60));
                }
                DatabaseImage image;
                try (Connection c = pg.connect(SOURCE)) {
                    image = DatabaseImage.read(c, ReplicationData.TABLES);
                }
                ReplicationBench bench =
                        new ReplicationBench(pg, jobs, server, baseline, baselineJobs, image, dir, scratch, rows);
                bench.warmUp();
                String loadBefore = loadAverage();
                List<InitRun> init = bench.initRounds(runs);
                List<VerifyRun> verify = bench.verifyRounds(runs);
                List<VerifyProbe.Run> probed = List.of();
                if (probe) {
                    log.info("replication: verify taken apart ...");
                    probed = VerifyProbe.run(pg, SOURCE, VERIFY_TARGET, ReplicationData.TABLES, Math.min(runs, 3));
                    probed.forEach(p -> log.info(
                            "replication: probe round {}: {} in {} s",
                            p.round(),
                            p.variant().label,
                            String.format("%.2f", p.seconds())));
                }
                return new ReplicationResult(
                        version,
                        bin.toString(),
                        rows,
                        bench.source.rows(),
                        sourceBytes,
                        bench.commands(),
                        init,
                        verify,
                        probed,
                        List.of(loadBefore, loadAverage()));
            }
        } finally {
            LocalPostgres.deleteTree(scratch);
        }
    }

    /** One small init and verify, untimed: the server loads its classes as a running server has. */
    private void warmUp() throws Exception {
        pg.execute("postgres", "CREATE DATABASE bench_warmup");
        pg.execute("bench_warmup", ReplicationData.sql(1_000).toArray(String[]::new));
        for (JobsClient client : Arrays.asList(jobs, baselineJobs)) {
            if (client == null) {
                continue;
            }
            pg.execute(
                    "postgres", "DROP DATABASE IF EXISTS bench_warmup_target", "CREATE DATABASE bench_warmup_target");
            for (String command : List.of("init", "verify")) {
                JobsClient.Run r = client.run(
                        JobsClient.spec(command, pg.url("bench_warmup"), pg.url("bench_warmup_target"), PARALLELISM),
                        timeout);
                if (!r.status().equals("completed")) {
                    throw new IllegalStateException("the warm-up " + command + " job " + r.status() + ": " + r.job());
                }
            }
        }
        pg.execute(
                "postgres",
                "DROP DATABASE bench_warmup WITH (FORCE)",
                "DROP DATABASE bench_warmup_target WITH (FORCE)");
    }

    private static String target(Copier c) {
        return "bench_target_" + c.name().toLowerCase(java.util.Locale.ROOT);
    }

    private List<InitRun> initRounds(int runs) {
        List<Copier> order = Arrays.stream(Copier.values())
                .filter(c -> c != Copier.SLUICE_BASELINE || baseline != null)
                .toList();
        List<InitRun> out = new ArrayList<>();
        for (int round = 1; round <= runs; round++) {
            for (int k = 0; k < order.size(); k++) {
                Copier c = order.get((k + round - 1) % order.size());
                InitRun r = init(c, round);
                out.add(r);
                log.info(
                        "replication: round {}: {} in {} s{}{}",
                        round,
                        c.label,
                        String.format("%.2f", r.seconds()),
                        r.parts().isEmpty() ? "" : " " + r.parts(),
                        r.ok() ? "" : " FAILED: " + r.error());
            }
        }
        return out;
    }

    private InitRun init(Copier c, int round) {
        String target = target(c);
        Map<String, Double> parts = new LinkedHashMap<>();
        try {
            pg.execute("postgres", "DROP DATABASE IF EXISTS " + target + " WITH (FORCE)", "CREATE DATABASE " + target);
            pg.execute("postgres", "ALTER DATABASE " + target + " SET " + StatementLog.WATCH, "CHECKPOINT");
            Path dump = scratch.resolve("dump-" + round);
            LocalPostgres.deleteTree(dump);
            long mark = StatementLog.mark(pg.log());
            Instant from = Instant.now();
            long t0 = System.nanoTime();
            switch (c) {
                case SLUICE, SLUICE_BASELINE -> {
                    boolean base = c == Copier.SLUICE_BASELINE;
                    LiveServer s = base ? baseline : server;
                    JobsClient client = base ? baselineJobs : jobs;
                    long cpu = LiveProcessStats.cpuNanos(s.pid());
                    JobsClient.Run r =
                            client.run(JobsClient.spec("init", pg.url(SOURCE), pg.url(target), PARALLELISM), timeout);
                    parts.put("sluice cpu", (LiveProcessStats.cpuNanos(s.pid()) - cpu) / 1e9);
                    Files.writeString(
                            dir.resolve("init-" + c.id + "-" + round + ".json"),
                            r.job().toPrettyString());
                    if (!r.status().equals("completed")) {
                        throw new IllegalStateException(
                                "the init job " + r.status() + ": " + r.job().get("error"));
                    }
                    parts.putAll(jobParts(r.job()));
                }
                case PLAIN -> exec(plainCommand(target), dir.resolve("pg_dump-psql-" + round + ".log"));
                case DIRECTORY -> {
                    Path logFile = dir.resolve("pg_dump-Fd-pg_restore-" + round + ".log");
                    exec(dumpCommand(dump), logFile);
                    parts.put("dump", (System.nanoTime() - t0) / 1e9);
                    long t1 = System.nanoTime();
                    exec(restoreCommand(dump, target), logFile);
                    parts.put("restore", (System.nanoTime() - t1) / 1e9);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Instant to = Instant.now();
            var phases = StatementLog.phases(StatementLog.read(pg.log(), mark, target, from, to));
            LocalPostgres.deleteTree(dump);
            List<String> differences;
            try (Connection t = pg.connect(target)) {
                differences = source.differences(DatabaseImage.read(t, ReplicationData.TABLES));
            }
            // At once: a copy left standing would be vacuumed and analyzed by autovacuum during the next runs.
            pg.execute("postgres", "DROP DATABASE " + target + " WITH (FORCE)");
            return new InitRun(
                    c,
                    round,
                    seconds,
                    differences.isEmpty(),
                    differences.isEmpty() ? "" : "the target differs from the source: " + differences,
                    phases,
                    parts);
        } catch (Exception e) {
            log.error("replication: {} failed: {}", c.label, e.toString());
            return new InitRun(
                    c, round, 0, false, e.getMessage() == null ? e.toString() : e.getMessage(), Map.of(), parts);
        }
    }

    /** The job's own time (started to completed, as it recorded them) and each table's copy. */
    private static Map<String, Double> jobParts(JsonNode job) {
        Map<String, Double> parts = new LinkedHashMap<>();
        Instant created = Instant.parse(job.get("created_at").asString());
        Instant started = Instant.parse(job.get("started_at").asString());
        Instant completed = Instant.parse(job.get("completed_at").asString());
        parts.put("queued", (started.toEpochMilli() - created.toEpochMilli()) / 1000.0);
        parts.put("server", (completed.toEpochMilli() - started.toEpochMilli()) / 1000.0);
        for (JsonNode db : job.get("result").get("databases")) {
            for (JsonNode t : db.get("tables")) {
                parts.put("copy " + t.get("table").asString(), t.get("seconds").asDouble());
            }
        }
        return parts;
    }

    private List<VerifyRun> verifyRounds(int runs) throws Exception {
        String target = VERIFY_TARGET;
        // One more copy by Sluice's init, untimed, checked like the timed ones.
        pg.execute("postgres", "CREATE DATABASE " + target);
        JobsClient.Run init = jobs.run(JobsClient.spec("init", pg.url(SOURCE), pg.url(target), PARALLELISM), timeout);
        if (!init.status().equals("completed")) {
            throw new IllegalStateException("the init of the verify target " + init.status() + ": " + init.job());
        }
        try (Connection c = pg.connect(target)) {
            List<String> differences = source.differences(DatabaseImage.read(c, ReplicationData.TABLES));
            if (!differences.isEmpty()) {
                throw new IllegalStateException("the verify target differs from the source: " + differences);
            }
        }
        // As autovacuum would soon after the copy: statistics for the key-range plans, the visibility map set.
        pg.execute(target, "VACUUM (ANALYZE)");
        pg.execute("postgres", "CHECKPOINT");
        List<Reader> order = List.of(Reader.values());
        List<VerifyRun> out = new ArrayList<>();
        for (int round = 1; round <= runs; round++) {
            for (int k = 0; k < order.size(); k++) {
                Reader r = order.get((k + round - 1) % order.size());
                VerifyRun v = read(r, round, target);
                out.add(v);
                log.info(
                        "replication: round {}: {} in {} s ({} rows){}",
                        round,
                        r.label,
                        String.format("%.2f", v.seconds()),
                        v.rows(),
                        v.ok() ? "" : " FAILED: " + v.error());
            }
        }
        return out;
    }

    private VerifyRun read(Reader r, int round, String target) {
        try {
            long t0 = System.nanoTime();
            switch (r) {
                case VERIFY -> {
                    long cpu = LiveProcessStats.cpuNanos(server.pid());
                    JobsClient.Run run =
                            jobs.run(JobsClient.spec("verify", pg.url(SOURCE), pg.url(target), PARALLELISM), timeout);
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    double cpuSeconds = (LiveProcessStats.cpuNanos(server.pid()) - cpu) / 1e9;
                    Files.writeString(
                            dir.resolve("verify-sluice-" + round + ".json"),
                            run.job().toPrettyString());
                    JsonNode result = run.job().get("result");
                    long compared = result == null || result.isNull()
                            ? 0
                            : result.get("rows_compared").asLong();
                    boolean ok =
                            run.status().equals("completed") && result.get("ok").asBoolean() && compared == rows;
                    return new VerifyRun(
                            r,
                            round,
                            seconds,
                            compared,
                            0,
                            ok,
                            ok
                                    ? ""
                                    : "verify " + run.status() + ", " + compared + " rows compared: "
                                            + run.job().get("error"),
                            cpuSeconds);
                }
                case COPY_SERIAL -> {
                    long[] a = copyAll(SOURCE);
                    long[] b = copyAll(target);
                    return copyRun(r, round, (System.nanoTime() - t0) / 1e9, a, b);
                }
                case COPY_PARALLEL -> {
                    ExecutorService two = Executors.newFixedThreadPool(2);
                    try {
                        Future<long[]> a = two.submit(() -> copyAll(SOURCE));
                        Future<long[]> b = two.submit(() -> copyAll(target));
                        long[] x = a.get(timeout.toSeconds(), TimeUnit.SECONDS);
                        long[] y = b.get(timeout.toSeconds(), TimeUnit.SECONDS);
                        return copyRun(r, round, (System.nanoTime() - t0) / 1e9, x, y);
                    } finally {
                        two.shutdownNow();
                    }
                }
                default -> throw new IllegalStateException(r.name());
            }
        } catch (Exception e) {
            log.error("replication: {} failed: {}", r.label, e.toString());
            return new VerifyRun(r, round, 0, 0, 0, false, e.getMessage() == null ? e.toString() : e.getMessage(), 0);
        }
    }

    private VerifyRun copyRun(Reader r, int round, double seconds, long[] a, long[] b) {
        long read = a[0] + b[0];
        boolean ok = read == 2 * rows;
        return new VerifyRun(
                r, round, seconds, read, a[1] + b[1], ok, ok ? "" : read + " rows read instead of " + 2 * rows, 0);
    }

    /** {@code COPY (SELECT * FROM t) TO STDOUT} of every table of {@code db} on one connection: rows and bytes. */
    private long[] copyAll(String db) throws Exception {
        long rowsRead = 0;
        ByteCounter bytes = new ByteCounter();
        try (Connection c = pg.connect(db)) {
            var copy = c.unwrap(PGConnection.class).getCopyAPI();
            for (String t : ReplicationData.TABLES) {
                rowsRead += copy.copyOut("COPY (SELECT * FROM public." + t + ") TO STDOUT", bytes);
            }
        }
        return new long[] {rowsRead, bytes.bytes};
    }

    private List<String> plainCommand(String target) {
        String dump = String.join(" ", quoted(pg.tool("pg_dump"), pg.clientOptions(), List.of(SOURCE)));
        String psql = String.join(
                " ",
                quoted(
                        pg.tool("psql"),
                        List.of("-X", "-q", "-v", "ON_ERROR_STOP=1"),
                        pg.clientOptions(),
                        List.of("-d", target)));
        return List.of("bash", "-c", "set -o pipefail; " + dump + " | " + psql + " > /dev/null");
    }

    private List<String> dumpCommand(Path dump) {
        return command(
                pg.tool("pg_dump"), pg.clientOptions(), List.of("-Fd", "-j", "2", "-f", dump.toString(), SOURCE));
    }

    private List<String> restoreCommand(Path dump, String target) {
        return command(pg.tool("pg_restore"), pg.clientOptions(), List.of("-j", "2", "-d", target, dump.toString()));
    }

    /** Each system's command line, for the report. */
    Map<String, String> commands() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(
                Copier.SLUICE.id,
                "POST /api/jobs "
                        + JobsClient.spec("init", pg.url(SOURCE), pg.url(target(Copier.SLUICE)), PARALLELISM)
                                .replaceAll("\\s+", " ")
                        + ", then GET /api/jobs/{id} every " + POLL_MS
                        + " ms until completed; timed from the POST to the job's completed_at");
        m.put(Copier.PLAIN.id, plainCommand(target(Copier.PLAIN)).get(2));
        Path dump = scratch.resolve("dump-N");
        m.put(
                Copier.DIRECTORY.id,
                String.join(" ", dumpCommand(dump)) + " && "
                        + String.join(" ", restoreCommand(dump, target(Copier.DIRECTORY))));
        m.put(
                Reader.VERIFY.id,
                "POST /api/jobs "
                        + JobsClient.spec("verify", pg.url(SOURCE), pg.url(VERIFY_TARGET), PARALLELISM)
                                .replaceAll("\\s+", " "));
        m.put(
                Reader.COPY_SERIAL.id,
                "pgjdbc CopyManager.copyOut(\"COPY (SELECT * FROM public.<table>) TO STDOUT\") of each table of "
                        + SOURCE + " then of " + VERIFY_TARGET + ", into a stream that counts bytes");
        m.put(Reader.COPY_PARALLEL.id, "the same, " + SOURCE + " and " + VERIFY_TARGET + " on two threads at once");
        return m;
    }

    @SafeVarargs
    private static List<String> command(String tool, List<String>... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(tool);
        for (List<String> a : args) {
            cmd.addAll(a);
        }
        return cmd;
    }

    @SafeVarargs
    private static List<String> quoted(String tool, List<String>... args) {
        return command(tool, args).stream()
                .map(s -> s.matches("[A-Za-z0-9_./=:-]+") ? s : "'" + s.replace("'", "'\\''") + "'")
                .toList();
    }

    /** Runs {@code cmd}, its output appended to {@code logFile}; fails on a non-zero exit. */
    private void exec(List<String> cmd, Path logFile) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " did not finish within " + timeout.toSeconds() + " s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(cmd.getFirst() + " exited with " + p.exitValue() + ": see " + logFile);
        }
    }

    /** The 1, 5 and 15 minute load averages, or "unknown" off Linux. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
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
}
