package dev.sluice.bench.e2e;

import dev.sluice.testkit.TestPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Live latency: a steady write load on Postgres goes through the real, packaged Sluice server (a child
 * JVM) to a local webhook receiver, which measures commit timestamp → receipt for every message.
 *
 * <p>One run: a fresh database with the benchmark table; the receiver; a {@code sluice.yaml} and the server
 * started on it; {@link #WARMUP_SECONDS} s of warm-up at the target rate (delivered, not measured, so
 * connection set-up and most JIT compilation stay out of the numbers; {@code -Dsluice.bench.warmupSeconds}
 * lengthens it to measure the steady state of a long-running server, without JIT compiling in the CPU figure); then {@code seconds} at the target rate,
 * measured; then up to {@value #DRAIN_SECONDS} s for the last messages. CPU and RSS of the server are read
 * from {@code /proc} every {@value #SAMPLE_MILLIS} ms. The server is stopped with SIGTERM at the end.
 */
public final class LiveLatency {
    static final int WARMUP_SECONDS = Integer.getInteger("sluice.bench.warmupSeconds", 2);
    static final int DRAIN_SECONDS = 30;
    static final int SAMPLE_MILLIS = 500;
    private static final Duration STARTUP = Duration.ofSeconds(60);

    private LiveLatency() {}

    /**
     * Runs {@code rate} changes/s for {@code seconds} and returns what the receiver measured.
     *
     * @param workDir gets {@code sluice.yaml}, the server's {@code home} and its output {@code sluice.log}
     * @throws IllegalStateException if the jar is missing, the server does not start, or not every change
     *     written arrives exactly once within {@value #DRAIN_SECONDS} s
     */
    public static LiveResult run(TestPostgres pg, int rate, int seconds, Path workDir) {
        if (rate < 1 || seconds < 1) {
            throw new IllegalArgumentException("rate and seconds must be positive, got " + rate + " and " + seconds);
        }
        LiveServer.locateJar(); // fail before creating anything
        try {
            Files.createDirectories(workDir);
            return measure(pg, rate, seconds, workDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException("live writer failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static LiveResult measure(TestPostgres pg, int rate, int seconds, Path workDir)
            throws IOException, SQLException, InterruptedException {
        String db = pg.createDatabase("live");
        String meta = pg.createDatabase("live_meta");
        String slot = "slot_" + db;
        pg.execute(db, """
                CREATE TABLE bench (
                  id serial PRIMARY KEY,
                  string_field text,
                  numeric_field numeric,
                  timestamp_field timestamptz,
                  json_field jsonb,
                  inserted_at timestamp DEFAULT now(),
                  updated_at timestamp DEFAULT now())""");
        try (LiveReceiver receiver = LiveReceiver.start()) {
            Path config = workDir.resolve("sluice.yaml");
            Files.writeString(config, yaml(pg.port(), db, slot, receiver.url()));
            LiveServer server = LiveServer.start(config, workDir, pg.jdbcUrl(meta));
            Sampler sampler = new Sampler(server.pid());
            try (server;
                    sampler) {
                server.awaitHealthy(STARTUP);
                try (LiveWriter writer = LiveWriter.open(pg, db, rate)) {
                    long warm = writer.write(rate, WARMUP_SECONDS).changes();
                    awaitReceived(receiver, warm, server, "of the warm-up");

                    long cpuStart = LiveProcessStats.cpuNanos(server.pid());
                    long requestsStart = receiver.requests();
                    receiver.measureFrom(LiveReceiver.nowMicros());
                    LiveWriter.Written measured = writer.write(rate, seconds);
                    long cpuEnd = LiveProcessStats.cpuNanos(server.pid());
                    awaitReceived(receiver, warm + measured.changes(), server, "");
                    long requests = receiver.requests() - requestsStart;
                    // Where the CPU goes depends on how many requests carry the changes: print both per change.
                    System.out.printf(
                            "live %d/s: %d requests, %.1f messages a request, %.1f us of Sluice CPU a change%n",
                            rate,
                            requests,
                            measured.changes() / (double) Math.max(1, requests),
                            (cpuEnd - cpuStart) / 1000.0 / Math.max(1, measured.changes()));

                    return result(rate, receiver, measured, cpuEnd - cpuStart, sampler.rssMax());
                }
            } finally {
                dropQuietly(pg, db, meta, slot);
            }
        }
    }

    /**
     * One database on {@code pg}, one webhook sink to the receiver. {@code batch_size: 100}: the engine sends
     * a partial batch as soon as a transaction ends with nothing queued behind it, so at light load every
     * request carries one 10-change transaction and batching adds no wait; under pressure a request carries
     * up to 100 messages, as a production webhook at thousands of changes/s would be configured. With the
     * default of 1 the benchmark would measure HTTP round trips rather than the pipeline.
     */
    static String yaml(int port, String db, String slot, String receiverUrl) {
        return yaml(port, db, slot, receiverUrl, Boolean.getBoolean(LIVE_TRANSFORM));
    }

    /** System property: the live sink runs {@link BenchFunctionsCode#TRANSFORM} as its transform. */
    static final String LIVE_TRANSFORM = "sluice.bench.liveTransform";

    static String yaml(int port, String db, String slot, String receiverUrl, boolean transform) {
        String functions = !transform
                ? ""
                : "functions:\n  - name: live-shape\n    type: transform\n    code: |-\n"
                        + BenchFunctionsCode.TRANSFORM.indent(6);
        String sinkTransform = transform ? "    transform: live-shape\n" : "";
        return functions + """
                databases:
                  - name: bench
                    hostname: localhost
                    port: %d
                    database: %s
                    username: postgres
                    slot:
                      name: %s
                      create_if_not_exists: true
                    publication:
                      name: %s_pub
                      create_if_not_exists: true
                http_endpoints:
                  - name: receiver
                    url: %s
                sinks:
                  - name: live
                    database: bench
                    batch_size: 100
                    destination:
                      type: webhook
                      http_endpoint: receiver
                      http_endpoint_path: /events
                      batch: true
                """.formatted(port, db, slot, slot, receiverUrl) + sinkTransform;
    }

    private static void awaitReceived(LiveReceiver receiver, long expected, LiveServer server, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(DRAIN_SECONDS).toNanos();
        while (receiver.received() < expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        long got = receiver.received();
        if (got < expected) {
            throw new IllegalStateException((expected - got) + " of " + expected + " changes " + what
                    + (what.isEmpty() ? "" : " ") + "never arrived within " + DRAIN_SECONDS
                    + " s after the writer stopped; server output:\n" + server.tail());
        }
        if (got > expected || receiver.malformed() > 0) {
            throw new IllegalStateException("received " + got + " messages for " + expected + " changes ("
                    + receiver.malformed() + " without a readable commit_timestamp)");
        }
    }

    private static LiveResult result(
            int rate, LiveReceiver receiver, LiveWriter.Written measured, long cpuNanos, long rssMax) {
        LiveHistogram all = receiver.overall();
        if (all.count() != measured.changes()) {
            throw new IllegalStateException("measured " + all.count() + " messages for " + measured.changes()
                    + " changes written: a commit timestamp fell outside the measured window (clock step?)");
        }
        List<LiveResult.Point> timeline = new ArrayList<>();
        List<LiveHistogram> seconds = receiver.timeline();
        for (int t = 0; t < seconds.size(); t++) {
            LiveHistogram h = seconds.get(t);
            timeline.add(new LiveResult.Point(t, h.count(), ms(h.percentileMicros(99))));
        }
        double wallSeconds = measured.nanos() / 1e9;
        return new LiveResult(
                rate,
                wallSeconds,
                all.count(),
                ms(all.percentileMicros(50)),
                ms(all.percentileMicros(95)),
                ms(all.percentileMicros(99)),
                ms(all.maxMicros()),
                cpuNanos / (double) measured.nanos() * 100,
                rssMax,
                timeline);
    }

    private static double ms(double micros) {
        return micros / 1000.0;
    }

    private static void dropQuietly(TestPostgres pg, String db, String meta, String slot) {
        try {
            pg.execute(
                    db,
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '" + slot
                            + "' AND NOT active");
            pg.execute("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
            pg.execute("postgres", "DROP DATABASE IF EXISTS " + meta + " WITH (FORCE)");
        } catch (RuntimeException e) {
            // best effort: leftovers only cost disk until the embedded Postgres is gone
        }
    }

    /** Reads the server's RSS (and CPU, for the record) every {@value #SAMPLE_MILLIS} ms; keeps the maximum RSS. */
    private static final class Sampler implements AutoCloseable {
        private final long pid;
        private final AtomicLong rssMax = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Sampler(long pid) {
            this.pid = pid;
            this.thread = Thread.ofPlatform().daemon().name("live-sampler").start(this::loop);
        }

        private void loop() {
            while (running.get()) {
                sample();
                try {
                    Thread.sleep(SAMPLE_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void sample() {
            long rss = LiveProcessStats.rssBytes(pid);
            rssMax.accumulateAndGet(rss, Math::max);
        }

        long rssMax() {
            sample();
            return rssMax.get();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.interrupt();
            thread.join();
        }
    }
}
