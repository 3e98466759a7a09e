package dev.sluice.bench.e2e;

import dev.sluice.testkit.TestPostgres;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Collects a run's results and writes {@code results.json} and {@code results.md}.
 *
 * <p>Targets are reported, never asserted: in quick mode they are listed as not judged.
 *
 * <p>About 500 lines: one section per scenario and the targets table read best side by side; the replication
 * scenario's tables are written by {@link ReplicationReport}.
 */
final class Report {
    static final double TARGET_RAW_RATIO = 0.85;
    static final double TARGET_DEBEZIUM_RATIO = 3.0;
    static final int TARGET_LIVE_RATE = 5_000;
    static final double TARGET_P99_MS = 25;
    static final long TARGET_RSS_BYTES = 512L * 1024 * 1024;
    static final double TARGET_BACKFILL_COPY_RATIO = 0.7;
    static final double TARGET_PATH_RATIO = 0.9;
    static final double TARGET_JS_RATIO = 0.5;
    static final int TARGET_POSTGRES_APPLY_RATE = 30_000;
    static final double TARGET_INIT_RATIO = 1.0;
    static final double TARGET_VERIFY_RATIO = 0.5;

    private final BenchMain.Args args;
    private final Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private @Nullable Backlog backlog;
    private String postgresVersion = "unknown";
    private final List<DrainRun> drains = new ArrayList<>();
    private final List<LiveResult> live = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private @Nullable BackfillResult backfill;
    private @Nullable ReplicationResult replication;
    private @Nullable String replicationSkipped;

    Report(BenchMain.Args args) {
        this.args = args;
    }

    void postgresVersion(TestPostgres pg) {
        try (Connection c = pg.connect("postgres");
                ResultSet rs = c.createStatement().executeQuery("SHOW server_version")) {
            rs.next();
            postgresVersion = rs.getString(1);
        } catch (Exception e) {
            // reported as unknown
        }
    }

    void backlog(Backlog b) {
        backlog = b;
    }

    void drain(DrainRun r) {
        drains.add(r);
    }

    void live(LiveResult r) {
        live.add(r);
    }

    void backfill(BackfillResult r) {
        backfill = r;
    }

    /** The replication scenario's results; each run that failed is also an error. */
    void replication(ReplicationResult r) {
        replication = r;
        if (postgresVersion.equals("unknown")) {
            postgresVersion = r.postgres();
        }
        r.init().stream()
                .filter(x -> !x.ok())
                .forEach(x -> error("replication: " + x.copier().id + " round " + x.round() + ": " + x.error()));
        r.verify().stream()
                .filter(x -> !x.ok())
                .forEach(x -> error("replication: " + x.reader().id + " round " + x.round() + ": " + x.error()));
    }

    /** The replication scenario did not run, for {@code reason} (no Postgres installation): not an error. */
    void replicationSkipped(String reason) {
        replicationSkipped = reason;
    }

    void error(String message) {
        errors.add(message);
    }

    List<DrainResult> drainResults() {
        return drains.stream().map(DrainRun::result).toList();
    }

    List<LiveResult> liveResults() {
        return List.copyOf(live);
    }

    /** Throughput of {@code a} divided by that of {@code b}, when both ran. */
    Optional<Double> ratio(DrainSystem a, DrainSystem b) {
        Optional<DrainResult> x = find(a);
        Optional<DrainResult> y = find(b);
        if (x.isEmpty() || y.isEmpty() || y.get().changesPerSecond() == 0) {
            return Optional.empty();
        }
        return Optional.of(x.get().changesPerSecond() / y.get().changesPerSecond());
    }

    // The faster run of a system that drained more than once (the raw reader: first and last).
    private Optional<DrainResult> find(DrainSystem s) {
        return drains.stream()
                .map(DrainRun::result)
                .filter(r -> r.system().equals(s.label()))
                .max(java.util.Comparator.comparingDouble(DrainResult::changesPerSecond));
    }

    /** One target: {@code pass} is null when it was not measured or not judged (quick mode). */
    record Target(
            String name,
            String goal,
            String measured,
            @Nullable Boolean pass) {
        String verdict() {
            return pass == null ? "not judged" : pass ? "pass" : "FAIL";
        }
    }

    List<Target> targets() {
        boolean judge = !args.options().quick();
        List<Target> t = new ArrayList<>();
        Optional<Double> raw = ratio(DrainSystem.SLUICE_NULL, DrainSystem.RAW);
        t.add(new Target(
                "drain sluice-null / raw-pgjdbc",
                "≥ " + TARGET_RAW_RATIO,
                raw.map(r -> fmt(r, 2)).orElse("not measured"),
                judge && raw.isPresent() ? raw.get() >= TARGET_RAW_RATIO : null));
        Optional<Double> dbz = ratio(DrainSystem.SLUICE_NULL, DrainSystem.DEBEZIUM);
        t.add(new Target(
                "drain sluice-null / debezium-embedded",
                "≥ " + TARGET_DEBEZIUM_RATIO,
                dbz.map(r -> fmt(r, 2)).orElse("not measured"),
                judge && dbz.isPresent() ? dbz.get() >= TARGET_DEBEZIUM_RATIO : null));
        for (var f : List.of(
                Map.entry(DrainSystem.SLUICE_PATH, TARGET_PATH_RATIO),
                Map.entry(DrainSystem.SLUICE_JS, TARGET_JS_RATIO))) {
            Optional<Double> r = ratio(f.getKey(), DrainSystem.SLUICE_NULL);
            t.add(new Target(
                    "drain " + f.getKey().label() + " / sluice-null",
                    "≥ " + f.getValue(),
                    r.map(x -> fmt(x, 2)).orElse("not measured"),
                    judge && r.isPresent() ? r.get() >= f.getValue() : null));
        }
        Optional<DrainResult> pg = find(DrainSystem.SLUICE_POSTGRES);
        t.add(new Target(
                "drain sluice-postgres (apply to a target database)",
                "≥ " + TARGET_POSTGRES_APPLY_RATE + " changes/s",
                pg.map(r -> fmt(r.changesPerSecond(), 0) + " changes/s").orElse("not measured"),
                judge && pg.isPresent() ? pg.get().changesPerSecond() >= TARGET_POSTGRES_APPLY_RATE : null));
        Optional<LiveResult> at5k =
                live.stream().filter(l -> l.targetRate() == TARGET_LIVE_RATE).findFirst();
        t.add(new Target(
                "live p99 at " + TARGET_LIVE_RATE + "/s",
                "< " + fmt(TARGET_P99_MS, 0) + " ms",
                at5k.map(l -> fmt(l.p99Ms(), 1) + " ms").orElse("not measured"),
                judge && at5k.isPresent() ? at5k.get().p99Ms() < TARGET_P99_MS : null));
        Optional<Long> rss = live.stream().map(LiveResult::rssMaxBytes).max(Long::compare);
        t.add(new Target(
                "Sluice RSS during live runs",
                "< " + TARGET_RSS_BYTES / (1024 * 1024) + " MB",
                rss.map(r -> r / (1024 * 1024) + " MB").orElse("not measured"),
                judge && rss.isPresent() ? rss.get() < TARGET_RSS_BYTES : null));
        BackfillResult bf = backfill;
        boolean bfMeasured = bf != null && bf.ratio() > 0;
        t.add(new Target(
                "backfill rows/s versus COPY",
                "≥ " + TARGET_BACKFILL_COPY_RATIO,
                bfMeasured ? fmt(bf.ratio(), 2) : "not measured",
                judge && bfMeasured ? bf.ratio() >= TARGET_BACKFILL_COPY_RATIO : null));
        ReplicationResult rep = replication;
        boolean initMeasured = rep != null && rep.initRatio() > 0;
        t.add(new Target(
                "init speed versus the faster of pg_dump | psql and pg_dump -Fd + pg_restore",
                "≥ " + TARGET_INIT_RATIO,
                initMeasured ? fmt(rep.initRatio(), 2) : "not measured",
                judge && initMeasured ? rep.initRatio() >= TARGET_INIT_RATIO : null));
        boolean verifyMeasured = rep != null && rep.verifyRatio() > 0;
        t.add(new Target(
                "verify speed versus COPY TO STDOUT of both sides",
                "≥ " + TARGET_VERIFY_RATIO,
                verifyMeasured ? fmt(rep.verifyRatio(), 2) : "not measured",
                judge && verifyMeasured ? rep.verifyRatio() >= TARGET_VERIFY_RATIO : null));
        return t;
    }

    void write(Path out) throws IOException {
        JsonMapper json =
                JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
        Files.writeString(out.resolve("results.json"), json.writeValueAsString(toJson()) + "\n");
        Files.writeString(out.resolve("results.md"), markdown());
    }

    Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("timestamp", started.toString());
        root.put("git", git());
        root.put("command", command());
        BenchOptions o = args.options();
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("changes", o.changes());
        options.put("rates", o.rates());
        options.put("liveSeconds", o.liveSeconds());
        options.put("quick", o.quick());
        options.put("skipLive", args.skipLive());
        options.put("systems", args.systems().stream().map(DrainSystem::label).toList());
        options.put("drainJvm", args.inProcess() ? "in-process" : String.join(" ", args.drainJvmOptions()));
        options.put("debeziumFormat", args.debeziumFormat());
        options.put("seed", args.seed());
        options.put("backfill", args.backfill());
        options.put("postgresSettings", args.pgSettings());
        options.put("backfillRows", o.backfillRows());
        options.put("replication", args.replication());
        options.put("replicationRows", o.replicationRows());
        options.put("replicationRuns", o.replicationRuns());
        options.put("replicationProbe", args.replicationProbe());
        options.put("pgBin", args.pgBin() == null ? null : args.pgBin().toString());
        options.put("out", o.out().toAbsolutePath().toString());
        root.put("options", options);
        root.put("machine", machine());
        if (backlog != null) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("changes", backlog.changes());
            b.put("transactions", backlog.transactions());
            b.put("walBytes", backlog.walBytes());
            b.put("endLsn", backlog.endLsn());
            b.put("writeSeconds", round(backlog.writeSeconds(), 3));
            root.put("backlog", b);
        }
        List<Map<String, Object>> ds = new ArrayList<>();
        for (DrainRun r : drains) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("system", r.result().system());
            d.put("changes", r.result().changes());
            d.put("seconds", round(r.result().seconds(), 3));
            d.put("changesPerSecond", round(r.result().changesPerSecond(), 0));
            d.put("startupSeconds", round(r.startupSeconds(), 3));
            d.put("complete", backlog != null && r.result().changes() == backlog.changes());
            ds.add(d);
        }
        root.put("drains", ds);
        Map<String, Object> ratios = new LinkedHashMap<>();
        ratio(DrainSystem.SLUICE_NULL, DrainSystem.RAW).ifPresent(r -> ratios.put("b/a", round(r, 3)));
        ratio(DrainSystem.SLUICE_WEBHOOK, DrainSystem.RAW).ifPresent(r -> ratios.put("c/a", round(r, 3)));
        ratio(DrainSystem.SLUICE_NULL, DrainSystem.DEBEZIUM).ifPresent(r -> ratios.put("b/d", round(r, 3)));
        ratio(DrainSystem.SLUICE_PATH, DrainSystem.SLUICE_NULL).ifPresent(r -> ratios.put("e/b", round(r, 3)));
        ratio(DrainSystem.SLUICE_JS, DrainSystem.SLUICE_NULL).ifPresent(r -> ratios.put("f/b", round(r, 3)));
        ratio(DrainSystem.SLUICE_ROUTING, DrainSystem.SLUICE_NULL).ifPresent(r -> ratios.put("g/b", round(r, 3)));
        root.put("ratios", ratios);
        if (backfill != null) {
            root.put("backfill", BackfillReport.json(backfill));
        }
        if (replication != null) {
            root.put("replication", ReplicationReport.json(replication));
        } else if (replicationSkipped != null) {
            root.put("replication", Map.of("skipped", replicationSkipped));
        }
        List<Map<String, Object>> ts = new ArrayList<>();
        for (Target t : targets()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", t.name());
            m.put("goal", t.goal());
            m.put("measured", t.measured());
            m.put("pass", t.pass());
            ts.add(m);
        }
        root.put("targets", ts);
        List<Map<String, Object>> ls = new ArrayList<>();
        for (LiveResult l : live) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("targetRate", l.targetRate());
            m.put("achievedRate", round(l.achievedRate(), 1));
            m.put("seconds", round(l.seconds(), 3));
            m.put("messages", l.messages());
            m.put("p50Ms", round(l.p50Ms(), 3));
            m.put("p95Ms", round(l.p95Ms(), 3));
            m.put("p99Ms", round(l.p99Ms(), 3));
            m.put("maxMs", round(l.maxMs(), 3));
            m.put("cpuPercent", round(l.cpuPercent(), 1));
            m.put("rssMaxBytes", l.rssMaxBytes());
            List<Map<String, Object>> tl = new ArrayList<>();
            for (LiveResult.Point p : l.timeline()) {
                tl.add(Map.of("t", p.t(), "messages", p.messages(), "p99Ms", round(p.p99Ms(), 3)));
            }
            m.put("timeline", tl);
            ls.add(m);
        }
        root.put("live", ls);
        root.put("errors", errors);
        return root;
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Sluice benchmark ").append(started).append("\n\n");
        md.append("Command: `").append(command()).append("`  \n");
        md.append("Machine: ").append(machineLine()).append("  \n");
        md.append("Commit: ").append(git()).append("\n\n");
        if (backlog != null) {
            md.append("## Backlog drain\n\n");
            md.append(String.format(
                    Locale.ROOT,
                    "%,d changes in %,d transactions, %.1f MiB of WAL, written in %.1f s. Each system reads its"
                            + " own slot; seconds run from the first change received to the last. The raw reader"
                            + " drains first and again last; \"vs raw\" and the ratios use its faster run.\n\n",
                    backlog.changes(),
                    backlog.transactions(),
                    backlog.walBytes() / 1048576.0,
                    backlog.writeSeconds()));
            md.append("| System | Changes | Seconds | Changes/s | vs raw | Startup s |\n");
            md.append("|---|---:|---:|---:|---:|---:|\n");
            Optional<DrainResult> raw = find(DrainSystem.RAW);
            for (DrainRun r : drains) {
                DrainResult d = r.result();
                String vsRaw = raw.isPresent() && raw.get().changesPerSecond() > 0
                        ? fmt(d.changesPerSecond() / raw.get().changesPerSecond(), 2)
                        : "–";
                md.append(String.format(
                        Locale.ROOT,
                        "| %s | %,d | %.2f | %,.0f | %s | %.2f |\n",
                        d.system(),
                        d.changes(),
                        d.seconds(),
                        d.changesPerSecond(),
                        vsRaw,
                        r.startupSeconds()));
            }
            md.append("\nRatios (throughput): ");
            List<String> rs = new ArrayList<>();
            ratio(DrainSystem.SLUICE_NULL, DrainSystem.RAW).ifPresent(r -> rs.add("b/a = " + fmt(r, 2)));
            ratio(DrainSystem.SLUICE_WEBHOOK, DrainSystem.RAW).ifPresent(r -> rs.add("c/a = " + fmt(r, 2)));
            ratio(DrainSystem.SLUICE_NULL, DrainSystem.DEBEZIUM).ifPresent(r -> rs.add("b/d = " + fmt(r, 2)));
            ratio(DrainSystem.SLUICE_PATH, DrainSystem.SLUICE_NULL).ifPresent(r -> rs.add("e/b = " + fmt(r, 2)));
            ratio(DrainSystem.SLUICE_JS, DrainSystem.SLUICE_NULL).ifPresent(r -> rs.add("f/b = " + fmt(r, 2)));
            ratio(DrainSystem.SLUICE_ROUTING, DrainSystem.SLUICE_NULL).ifPresent(r -> rs.add("g/b = " + fmt(r, 2)));
            md.append(rs.isEmpty() ? "–" : String.join(", ", rs)).append("\n\n");
        }
        if (!live.isEmpty()) {
            md.append("## Live latency\n\n");
            md.append("| Rate/s | Achieved/s | p50 ms | p95 ms | p99 ms | max ms | CPU % | RSS MB |\n");
            md.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (LiveResult l : live) {
                md.append(String.format(
                        Locale.ROOT,
                        "| %,d | %,.0f | %.1f | %.1f | %.1f | %.1f | %.0f | %d |\n",
                        l.targetRate(),
                        l.achievedRate(),
                        l.p50Ms(),
                        l.p95Ms(),
                        l.p99Ms(),
                        l.maxMs(),
                        l.cpuPercent(),
                        l.rssMaxBytes() / (1024 * 1024)));
            }
            md.append("\n");
        }
        if (backfill != null) {
            BackfillReport.markdown(md, backfill);
        }
        if (replication != null) {
            ReplicationReport.markdown(md, replication);
        } else if (replicationSkipped != null) {
            md.append("## Replication jobs: init and verify\n\nSkipped: ")
                    .append(replicationSkipped)
                    .append("\n\n");
        }
        md.append("## Targets\n\n");
        md.append(args.options().quick() ? "Quick mode: targets are not judged.\n\n" : "");
        md.append("| Target | Goal | Measured | Result |\n|---|---|---|---|\n");
        for (Target t : targets()) {
            md.append("| ")
                    .append(ReplicationReport.cell(t.name()))
                    .append(" | ")
                    .append(t.goal())
                    .append(" | ")
                    .append(t.measured())
                    .append(" | ")
                    .append(t.verdict())
                    .append(" |\n");
        }
        if (!errors.isEmpty()) {
            md.append("\n## Errors\n\n");
            errors.forEach(e -> md.append("- ").append(e).append('\n'));
        }
        return md.toString();
    }

    private String command() {
        return ("sluice-bench/run " + String.join(" ", args.raw())).strip();
    }

    private Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("cpu", cpuModel());
        m.put("memoryBytes", memoryBytes());
        m.put("jdk", System.getProperty("java.vendor") + " " + System.getProperty("java.runtime.version"));
        m.put(
                "os",
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"));
        m.put("postgres", postgresVersion);
        return m;
    }

    private String machineLine() {
        return String.format(
                Locale.ROOT,
                "%d cores (%s), %.1f GiB, JDK %s, %s %s, Postgres %s",
                Runtime.getRuntime().availableProcessors(),
                cpuModel(),
                memoryBytes() / (1024.0 * 1024 * 1024),
                System.getProperty("java.runtime.version"),
                System.getProperty("os.name"),
                System.getProperty("os.arch"),
                postgresVersion);
    }

    private static long memoryBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return "unknown CPU";
    }

    private static @Nullable String cachedGit;

    /** The commit, with "-dirty" when the worktree has changes; "unknown" outside a git checkout. */
    static synchronized String git() {
        if (cachedGit == null) {
            String head = runGit("rev-parse", "--short=12", "HEAD");
            if (head == null || head.isEmpty()) {
                cachedGit = "unknown";
            } else {
                String status = runGit("status", "--porcelain", "--untracked-files=no");
                cachedGit = head + (status != null && !status.isEmpty() ? "-dirty" : "");
            }
        }
        return cachedGit;
    }

    private static @Nullable String runGit(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("git");
        cmd.addAll(List.of(args));
        try {
            // Ask the checkout the benchmark was built from, not the working directory.
            Path classes = BenchMain.classesDirectory();
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            if (classes != null) {
                pb.directory(classes.toFile());
            }
            Process p = pb.start();
            byte[] bytes = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return null;
            }
            return new String(bytes).strip();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    static double round(double v, int places) {
        double f = Math.pow(10, places);
        return Math.round(v * f) / f;
    }

    static String fmt(double v, int places) {
        return String.format(Locale.ROOT, "%." + places + "f", v);
    }
}
