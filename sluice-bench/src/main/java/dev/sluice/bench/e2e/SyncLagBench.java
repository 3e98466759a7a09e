package dev.sluice.bench.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;

/**
 * A {@code sync} job's lag under a steady live load (issue 18's goal: p99 under 1 s at 5,000 changes/s). One Postgres
 * server from an installation's binaries ({@link LocalPostgres}) holds the source, the target and the packaged Sluice
 * server's metadata ({@link LiveServer}); a sync job copies the source's table and streams it. Then a writer inserts
 * {@code rate} rows a second, in a transaction every 10 ms, for {@code seconds}; each source row records when it was
 * written ({@code clock_timestamp()}), and on the target an {@code ALWAYS} trigger (it fires under the sink's
 * {@code session_replication_role = replica} too) records when it was applied. Lag is applied minus written, per row,
 * on one clock; the first 5 seconds are left out as warm-up.
 *
 * <pre>sluice-bench/sync-lag.sh [--rate 5000] [--seconds 30] [--pg-bin DIR]</pre>
 */
public final class SyncLagBench {
    private static final String TOKEN = "sluice_bench_token_0123456789";

    private SyncLagBench() {}

    public static void main(String[] args) throws Exception {
        int rate = 5000;
        int seconds = 30;
        Path binOverride = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rate" -> rate = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--pg-bin" -> binOverride = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path bin = LocalPostgres.findBin(binOverride);
        if (bin == null) {
            throw new IllegalStateException("no Postgres installation found (apt-get install postgresql, or --pg-bin)");
        }
        Path dir = Files.createTempDirectory("sluice-sync-lag");
        try (LocalPostgres pg = LocalPostgres.start(bin, ReplicationBench.settings(Map.of()), dir.resolve("pg.log"))) {
            pg.execute("postgres", "CREATE DATABASE lag_source", "CREATE DATABASE lag_target", "CREATE DATABASE meta");
            pg.execute(
                    "lag_source",
                    "CREATE TABLE lag (id bigserial PRIMARY KEY, payload text NOT NULL,"
                            + " written_at timestamptz NOT NULL DEFAULT clock_timestamp(), applied_at timestamptz)",
                    "INSERT INTO lag (payload) SELECT md5(i::text) FROM generate_series(1, 1000) i");
            Path config = Files.writeString(
                    dir.resolve("sluice.yaml"), "api_tokens:\n  - name: bench\n    token: " + TOKEN + "\n");
            try (LiveServer server = LiveServer.start(config, dir, pg.jdbcUrl("meta"));
                    JobsClient jobs = new JobsClient(server.port(), TOKEN)) {
                server.awaitHealthy(Duration.ofSeconds(60));
                String id = jobs.create(JobsClient.spec("sync", pg.url("lag_source"), pg.url("lag_target"), 2));
                awaitStreaming(jobs, id);
                pg.execute(
                        "lag_target",
                        "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS"
                                + " $$ BEGIN NEW.applied_at := clock_timestamp(); RETURN NEW; END $$",
                        "CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON lag FOR EACH ROW EXECUTE FUNCTION stamp()",
                        "ALTER TABLE lag ENABLE ALWAYS TRIGGER stamp");
                long written = write(pg, rate, seconds);
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
                while (count(pg, "lag_target") < count(pg, "lag_source")) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the target did not catch up within 3 minutes");
                    }
                    Thread.sleep(200);
                }
                try (Connection c = pg.connect("lag_target");
                        Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT count(*),"
                                + " percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY lag),"
                                + " max(lag) FROM (SELECT extract(epoch FROM applied_at - written_at) * 1000 AS lag"
                                + " FROM lag WHERE id > 1000 AND written_at > (SELECT min(written_at) FROM lag"
                                + " WHERE id > 1000) + interval '5 seconds') l")) {
                    rs.next();
                    Double[] p = (Double[]) rs.getArray(2).getArray();
                    System.out.printf(
                            "sync lag at %d rows/s for %d s (%d rows written, %d measured after warm-up):"
                                    + " p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                            rate, seconds, written, rs.getLong(1), p[0], p[1], p[2], rs.getDouble(3));
                }
                jobs.cancel(id);
            }
        }
    }

    private static void awaitStreaming(JobsClient jobs, String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            JsonNode j = jobs.get(id);
            JsonNode p = j.get("progress");
            if (p != null && p.has("phase") && p.get("phase").asString().equals("streaming")) {
                return;
            }
            if (!j.get("status").asString().matches("provisioning|running") || System.nanoTime() > deadline) {
                throw new IllegalStateException("the sync did not start streaming: " + j);
            }
            Thread.sleep(100);
        }
    }

    /** Inserts {@code rate} rows a second, a transaction every 10 ms, for {@code seconds}; returns how many. */
    private static long write(LocalPostgres pg, int rate, int seconds) throws SQLException, InterruptedException {
        AtomicLong rows = new AtomicLong();
        AtomicBoolean late = new AtomicBoolean();
        int perTick = Math.max(1, rate / 100);
        try (Connection c = pg.connect("lag_source");
                Statement s = c.createStatement()) {
            long start = System.nanoTime();
            for (long tick = 0; tick < seconds * 100L; tick++) {
                long due = start + tick * 10_000_000L;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } else if (wait < -1_000_000_000L) {
                    late.set(true); // the writer itself fell a second behind: the rate was not reached
                }
                s.execute("INSERT INTO lag (payload) SELECT md5(random()::text) FROM generate_series(1, " + perTick
                        + ")");
                rows.addAndGet(perTick);
            }
        }
        if (late.get()) {
            System.out.println("warning: the writer fell behind its schedule; the rate was lower than asked");
        }
        return rows.get();
    }

    private static long count(LocalPostgres pg, String db) throws SQLException {
        try (Connection c = pg.connect(db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM lag")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
