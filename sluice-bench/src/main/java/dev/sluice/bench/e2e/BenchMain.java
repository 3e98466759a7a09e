package dev.sluice.bench.e2e;

import dev.sluice.testkit.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end-to-end benchmark: writes a backlog, drains it with every system from its own slot, runs the
 * live-latency workload at each rate, backfills a table against {@code COPY} ({@link BackfillBench}), copies and
 * verifies a database with Sluice's replication jobs against {@code pg_dump} and {@code COPY} ({@link
 * ReplicationBench}), and writes {@code results.json}, {@code results.md} and a chart.
 * Run it with {@code sluice-bench/run}; {@code --help} lists the flags.
 */
public final class BenchMain {
    private static final Logger log = LoggerFactory.getLogger("bench");

    /** Live latency at one rate; implemented by {@code LiveLatency.run}. */
    @FunctionalInterface
    interface LiveRunner {
        LiveResult run(TestPostgres pg, int rate, int seconds, Path workDir) throws Exception;
    }

    /** The PNG chart; implemented by {@code Chart.write}. */
    @FunctionalInterface
    interface ChartWriter {
        void write(List<DrainResult> drains, List<LiveResult> live, Path png) throws Exception;
    }

    /** Parts written elsewhere; null when not there yet (live runs are skipped, no chart is drawn). */
    record Extras(@Nullable LiveRunner live, @Nullable ChartWriter chart) {
        static final Extras NONE = new Extras(null, null);
    }

    static final Extras EXTRAS = new Extras(LiveLatency::run, Chart::write);

    static final String USAGE = """
            usage: sluice-bench/run [options]        end-to-end benchmark
                   sluice-bench/run jmh [jmh args]  microbenchmarks
              --changes N          backlog size for the drain comparison (default 1000000)
              --rates R1,R2,...    live-latency rates in changes/s (default 1000,5000,10000)
              --live-seconds S     duration of each live run (default 30)
              --out DIR            output directory (default sluice-bench/target/bench-<timestamp>)
              --quick              CI smoke size: 5000 changes, one 3 s live run at 500/s (also -Dquick)
              --skip-live          drains only
              --only a,b,...,h,backfill,replication
                                   run only these: a=raw-pgjdbc b=sluice-null c=sluice-webhook
                                   d=debezium-embedded e=sluice-path f=sluice-js g=sluice-routing
                                   h=sluice-postgres (applied to a target database)
                                   drains, backfill=backfill vs COPY, replication=init vs pg_dump and
                                   verify vs COPY; without a drain, no backlog is written and no
                                   live run is made
              --backfill-rows N    rows of the backfill scenario's table (default 1000000)
              --replication-rows N rows of the replication scenario's source (default 1000000)
              --replication-runs N rounds of each replication comparison (default 5)
              --replication-probe  also take verify apart: its parts and variants, timed alone
              --pg-bin DIR         Postgres binaries of the replication scenario (server and client
                                   tools of one version; default: the newest /usr/lib/postgresql/*/bin)
              --in-process         run the drains in this JVM instead of one child JVM each
              --drain-jvm-opts "…" JVM options of the drain child JVMs (default "-Xms1g -Xmx1g")
              --debezium-format F  json (default: Debezium serialises events to JSON) or connect
              --seed N             workload random seed (default 42)
              --pg-set name=value  a Postgres setting on top of the benchmark's (repeatable; for experiments)
            """;

    /** Everything a run needs, parsed from the command line. */
    record Args(
            BenchOptions options,
            boolean skipLive,
            List<DrainSystem> systems,
            boolean backfill,
            boolean replication,
            boolean replicationProbe,
            @Nullable Path pgBin,
            boolean inProcess,
            List<String> drainJvmOptions,
            String debeziumFormat,
            long seed,
            Map<String, String> pgSettings,
            List<String> raw) {}

    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        // Read once by the JDK when the first HttpServer starts: the receivers must not delay small responses.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.print(USAGE);
            return;
        }
        Args parsed;
        try {
            parsed = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("sluice-bench: " + e.getMessage());
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        Path out = run(parsed);
        System.out.println(Files.readString(out.resolve("results.md")));
        System.out.println("Results in " + out.toAbsolutePath());
        // Embedded Postgres and the drains' libraries may leave non-daemon threads behind.
        System.exit(0);
    }

    static Args parse(String[] args) {
        boolean quick = System.getProperty("quick") != null && !"false".equals(System.getProperty("quick"));
        Long changes = null;
        List<Integer> rates = null;
        Integer liveSeconds = null;
        Path out = null;
        boolean skipLive = false;
        boolean inProcess = false;
        List<DrainSystem> systems = List.of(DrainSystem.values());
        boolean backfill = true;
        boolean replication = true;
        Long backfillRows = null;
        Long replicationRows = null;
        Integer replicationRuns = null;
        Path pgBin = null;
        boolean replicationProbe = false;
        List<String> jvm = List.of("-Xms1g", "-Xmx1g");
        String debeziumFormat = "json";
        long seed = 42;
        Map<String, String> pgSettings = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--quick", "-Dquick" -> quick = true;
                case "--skip-live" -> skipLive = true;
                case "--in-process" -> inProcess = true;
                case "--changes" -> changes = positiveLong(a, value != null ? value : next(args, ++i, a));
                case "--rates" -> rates = rates(value != null ? value : next(args, ++i, a));
                case "--live-seconds" ->
                    liveSeconds = (int) positiveLong(a, value != null ? value : next(args, ++i, a));
                case "--out" -> out = Path.of(value != null ? value : next(args, ++i, a));
                case "--only" -> {
                    List<String> picked =
                            new ArrayList<>(List.of((value != null ? value : next(args, ++i, a)).split(",")));
                    backfill = picked.removeIf(p -> p.strip().equalsIgnoreCase("backfill"));
                    replication = picked.removeIf(p -> p.strip().equalsIgnoreCase("replication"));
                    systems = (backfill || replication) && picked.stream().allMatch(String::isBlank)
                            ? List.of()
                            : DrainSystem.parseList(String.join(",", picked));
                }
                case "--backfill-rows" -> backfillRows = positiveLong(a, value != null ? value : next(args, ++i, a));
                case "--replication-rows" -> {
                    replicationRows = positiveLong(a, value != null ? value : next(args, ++i, a));
                    if (replicationRows < 1_000) {
                        throw new IllegalArgumentException("--replication-rows must be at least 1000");
                    }
                }
                case "--replication-runs" ->
                    replicationRuns = (int) positiveLong(a, value != null ? value : next(args, ++i, a));
                case "--replication-probe" -> replicationProbe = true;
                case "--pg-bin" -> pgBin = Path.of(value != null ? value : next(args, ++i, a));
                case "--drain-jvm-opts" -> {
                    String v = (value != null ? value : next(args, ++i, a)).strip();
                    jvm = v.isEmpty() ? List.of() : List.of(v.split("\\s+"));
                }
                case "--debezium-format" -> {
                    debeziumFormat = value != null ? value : next(args, ++i, a);
                    if (!debeziumFormat.equals("json") && !debeziumFormat.equals("connect")) {
                        throw new IllegalArgumentException("--debezium-format must be json or connect");
                    }
                }
                case "--pg-set" -> {
                    String v = value != null ? value : next(args, ++i, a);
                    int at = v.indexOf('=');
                    if (at <= 0) {
                        throw new IllegalArgumentException("--pg-set needs name=value, got '" + v + "'");
                    }
                    pgSettings.put(
                            v.substring(0, at).strip(), v.substring(at + 1).strip());
                }
                case "--seed" -> seed = Long.parseLong(value != null ? value : next(args, ++i, a));
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
        }
        if (out == null) {
            out = defaultOut();
        }
        BenchOptions base = quick ? BenchOptions.quick(out) : BenchOptions.defaults(out);
        BenchOptions options = new BenchOptions(
                changes != null ? changes : base.changes(),
                rates != null ? rates : base.rates(),
                liveSeconds != null ? liveSeconds : base.liveSeconds(),
                out,
                quick,
                backfillRows != null ? backfillRows : base.backfillRows(),
                replicationRows != null ? replicationRows : base.replicationRows(),
                replicationRuns != null ? replicationRuns : base.replicationRuns());
        // Live runs go with the drains: "--only backfill" runs the backfill scenario alone.
        boolean noLive = skipLive || systems.isEmpty();
        return new Args(
                options,
                noLive,
                systems,
                backfill,
                replication,
                replicationProbe,
                pgBin,
                inProcess,
                jvm,
                debeziumFormat,
                seed,
                Map.copyOf(pgSettings),
                List.of(args));
    }

    private static String next(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    private static long positiveLong(String flag, String v) {
        long n;
        try {
            n = Long.parseLong(v.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " needs a number, got '" + v + "'");
        }
        if (n <= 0) {
            throw new IllegalArgumentException(flag + " must be positive, got " + n);
        }
        return n;
    }

    private static List<Integer> rates(String v) {
        List<Integer> out = new ArrayList<>();
        for (String p : v.split(",")) {
            if (!p.isBlank()) {
                out.add((int) positiveLong("--rates", p.strip()));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("--rates needs at least one rate");
        }
        return List.copyOf(out);
    }

    /** {@code sluice-bench/target/bench-<timestamp>}, wherever the command was started from. */
    private static Path defaultOut() {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path classes = classesDirectory();
        Path target;
        if (classes != null) {
            target = classes.getParent();
        } else {
            Path cwd = Path.of("").toAbsolutePath();
            target = Files.isDirectory(cwd.resolve("sluice-bench")) ? cwd.resolve("sluice-bench/target") : cwd;
        }
        return target.resolve("bench-" + stamp);
    }

    /** {@code sluice-bench/target/classes} when this class was loaded from there (launcher, ITs), else null. */
    static @Nullable Path classesDirectory() {
        try {
            Path p = Path.of(BenchMain.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            return p.endsWith(Path.of("target", "classes")) ? p : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** Runs the whole benchmark; returns the output directory. */
    static Path run(Args args) throws Exception {
        BenchOptions o = args.options();
        Path out = Files.createDirectories(o.out());
        Report report = new Report(args);
        log.info(
                "benchmark: {} changes, systems {}, live {} at {} s each, backfill {}, replication {}, output {}",
                o.changes(),
                args.systems().stream().map(DrainSystem::label).toList(),
                args.skipLive() || EXTRAS.live() == null ? "skipped" : o.rates(),
                o.liveSeconds(),
                args.backfill() ? o.backfillRows() + " rows" : "skipped",
                args.replication() ? o.replicationRows() + " rows, " + o.replicationRuns() + " rounds" : "skipped",
                out.toAbsolutePath());
        if (!args.systems().isEmpty() || args.backfill()) {
            embedded(args, report, out);
        }
        if (args.replication()) {
            replication(args, report, out);
        }
        report.write(out);
        ChartWriter chart = EXTRAS.chart();
        if (chart != null
                && !(report.drainResults().isEmpty() && report.liveResults().isEmpty())) {
            try {
                chart.write(report.drainResults(), report.liveResults(), out.resolve("results.png"));
            } catch (Exception e) {
                log.error("chart failed: {}", e.toString());
            }
        }
        return out;
    }

    /**
     * The replication scenario, on a server of its own from an installed Postgres (its pg_dump cannot read a newer
     * server than itself); skipped with a note when no installation is found.
     */
    private static void replication(Args args, Report report, Path out) {
        BenchOptions o = args.options();
        Path bin = LocalPostgres.findBin(args.pgBin());
        if (bin == null) {
            String why = "no Postgres installation with initdb, postgres, pg_ctl, pg_dump, pg_restore and psql was"
                    + " found (on Debian: apt-get install postgresql; or give --pg-bin DIR)";
            log.warn("replication scenario skipped: {}", why);
            report.replicationSkipped(why);
            return;
        }
        log.info(
                "replication: init vs pg_dump and verify vs COPY, {} rows, {} rounds ...",
                o.replicationRows(),
                o.replicationRuns());
        try {
            report.replication(ReplicationBench.run(
                    bin, o.replicationRows(), o.replicationRuns(), args.replicationProbe(), args.pgSettings(), out));
        } catch (Exception e) {
            log.error("replication scenario failed", e);
            report.error("replication: " + e.getMessage());
        }
    }

    /** The scenarios on the embedded Postgres: drains, backfill, live latency. */
    private static void embedded(Args args, Report report, Path out) throws Exception {
        BenchOptions o = args.options();
        Map<String, String> pgConfig = new LinkedHashMap<>(Map.of(
                "shared_buffers", "256MB",
                "max_wal_size", "4GB",
                "checkpoint_timeout", "30min",
                "wal_compression", "off"));
        pgConfig.putAll(args.pgSettings());
        TestPostgres pg = TestPostgres.startPrivate(pgConfig);
        try {
            report.postgresVersion(pg);
            if (!args.systems().isEmpty()) {
                drains(pg, args, report, out);
            }
            if (args.backfill()) {
                log.info("backfill of {} rows against COPY ...", o.backfillRows());
                try {
                    report.backfill(BackfillBench.run(pg, o.backfillRows()));
                } catch (Exception e) {
                    log.error("backfill scenario failed: {}", e.toString());
                    report.error("backfill: " + e.getMessage());
                }
            }
            LiveRunner live = EXTRAS.live();
            if (!args.skipLive() && live != null) {
                for (int rate : o.rates()) {
                    log.info("live latency at {}/s for {} s ...", rate, o.liveSeconds());
                    try {
                        report.live(live.run(pg, rate, o.liveSeconds(), out.resolve("live-" + rate)));
                    } catch (Exception e) {
                        log.error("live run at {}/s failed: {}", rate, e.toString());
                        report.error("live " + rate + "/s: " + e.getMessage());
                    }
                }
            }
        } finally {
            pg.close();
        }
    }

    /** Writes the backlog and drains it with each system. */
    private static void drains(TestPostgres pg, Args args, Report report, Path out) throws Exception {
        BenchOptions o = args.options();
        Backlog backlog = BacklogWorkload.write(pg, o.changes(), args.systems(), args.seed());
        report.backlog(backlog);
        log.info(
                "backlog: {} changes in {} transactions, {} MiB of WAL, written in {} s",
                backlog.changes(),
                backlog.transactions(),
                backlog.walBytes() / (1024 * 1024),
                String.format("%.1f", backlog.writeSeconds()));
        DrainRunner drains = new DrainRunner(out, args.drainJvmOptions(), args.inProcess(), args.debeziumFormat());
        // The raw reader drains first and again last (it leaves its slot where it was): the ratios use its faster
        // run, so that what the order costs does not fall on one side only.
        List<DrainSystem> order = new ArrayList<>(args.systems());
        if (order.contains(DrainSystem.RAW) && order.size() > 1) {
            order.add(DrainSystem.RAW);
        }
        for (DrainSystem s : order) {
            log.info("drain {} ({}) ...", s.letter(), s.label());
            try {
                DrainRun r = drains.run(s, backlog);
                report.drain(r);
                log.info(
                        "drain {}: {} changes in {} s = {} changes/s (startup {} s)",
                        s.label(),
                        r.result().changes(),
                        String.format("%.2f", r.result().seconds()),
                        String.format("%.0f", r.result().changesPerSecond()),
                        String.format("%.2f", r.startupSeconds()));
            } catch (Exception e) {
                log.error("drain {} failed: {}", s.label(), e.toString());
                report.error("drain " + s.label() + ": " + e.getMessage());
            }
        }
        dropSlots(pg, backlog);
    }

    // The slots hold the backlog's WAL; the live runs should not write behind them.
    private static void dropSlots(TestPostgres pg, Backlog backlog) {
        try (Connection c = pg.connect(backlog.database());
                PreparedStatement ps =
                        c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                                + " WHERE slot_name = ANY(?) AND NOT active")) {
            ps.setArray(1, c.createArrayOf("text", backlog.slots().values().toArray()));
            ps.execute();
        } catch (Exception e) {
            log.warn("could not drop the drain slots: {}", e.toString());
        }
    }
}
