package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The webhook answers 503 for two minutes while about 2,000 changes per second are written, and the
 * sink's buffer is {@code max_memory_mb: 128}. The server runs in this JVM, so its heap is this JVM's
 * heap: sampled every second, with a full GC every ten seconds to see the floor, it stays within the
 * buffer bound of the baseline. Delivery stops without losing its place; once the webhook is back,
 * every change arrives.
 *
 * <p>Heap size: failsafe sets no {@code -Xmx} (root pom), so this JVM gets the default quarter of
 * physical memory, far above the bound asserted here; the bound is relative to the measured baseline,
 * not to {@code -Xmx}, so a leak shows as a growing floor instead of waiting for an OutOfMemoryError.
 */
class SinkDownMemoryIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final long MIB = 1024 * 1024;
    private static final Duration OUTAGE = Duration.ofSeconds(120);
    private static final int CHANGES_PER_SECOND = 2000;
    // Delivered before the outage (10 s of changes): flowing, JIT warm, every pool and buffer allocated.
    private static final int WARM_UP_ROWS = 10 * CHANGES_PER_SECOND;
    private static final int ROWS_PER_TRANSACTION = 100;
    // Larger than "a small row" on purpose: the outage must write clearly more than the heap bound
    // below (2,000/s x 120 s x 1,000 B is about 229 MiB of payload alone, about 330 MiB as queued
    // Java objects), or a sink keeping every change would pass too. With 200-byte rows a queue that
    // never drops anything holds about 110 MiB after two minutes and cannot be told from a bounded one.
    private static final int PAYLOAD_BYTES = 1000;
    private static final int MAX_MEMORY_MB = 128;
    // The sink's queue is bounded by its own size estimate (which counts 2 bytes per character, more
    // than the 1 byte a Latin-1 String takes), so the messages it holds stay under max_memory_mb. On
    // top: the batch being retried, the reader's current transaction and pgjdbc buffers, the
    // receiver's record of the failed requests, and what a full GC leaves floating: 64 MiB.
    private static final long HEAP_BOUND = (MAX_MEMORY_MB + 64) * MIB;

    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    private String db;
    private String slot;
    private WebhookReceiver receiver;
    private SluiceServer server;

    @BeforeEach
    void setUp() {
        db = sluice.database("sinkdown", "CREATE TABLE items (id bigint PRIMARY KEY, payload text NOT NULL)");
        slot = sluice.slot(db).name();
        receiver = sluice.receiver();
    }

    @Test
    void sinkDownForTwoMinutesUnderLoadKeepsTheHeapBoundedHoldsItsPlaceAndThenDeliversEverything() throws Exception {
        server = sluice.start(sluice.yaml(db, "batch_size: 500\nmax_memory_mb: " + MAX_MEMORY_MB));
        sluice.awaitStreaming();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.out.printf(
                "SinkDownMemoryIT max heap %d MiB, bound baseline + %d MiB%n",
                Runtime.getRuntime().maxMemory() / MIB, HEAP_BOUND / MIB);

        InsertWriter writer = new InsertWriter(db);
        List<Integer> walsenderGone;
        try (writer) {
            receiver.awaitAccepted(WARM_UP_ROWS, Duration.ofSeconds(60));
            long baseline = floor(memory);

            receiver.unavailable();
            long outageStart = System.nanoTime();
            long rowsAtOutage = writer.rows.get();
            long maxUsed = 0;
            long maxFloor = baseline;
            List<String> series = new ArrayList<>();
            List<Integer> walsenderGoneAt = new ArrayList<>();
            long confirmedAt10s = -1;
            long lagAt10s = -1;
            for (int second = 1; second <= OUTAGE.toSeconds(); second++) {
                long due = outageStart + TimeUnit.SECONDS.toNanos(second);
                TimeUnit.NANOSECONDS.sleep(Math.max(0, due - System.nanoTime()));
                maxUsed = Math.max(maxUsed, memory.getHeapMemoryUsage().getUsed());
                if (second % 10 == 0) {
                    long f = floor(memory);
                    maxFloor = Math.max(maxFloor, f);
                    long confirmed = slotLsn("confirmed_flush_lsn");
                    long lag = slotLag();
                    if (second == 10) {
                        confirmedAt10s = confirmed;
                        lagAt10s = lag;
                    }
                    long walsender = slotValue("coalesce(active_pid, 0)");
                    if (walsender == 0) {
                        walsenderGoneAt.add(second);
                    }
                    JsonNode sink = healthSink();
                    String line = String.format(
                            "t=%3ds written=%7d floor=%4d MiB (+%d) maxUsed=%4d MiB pending=%s failing_groups=%s"
                                    + " confirmed_flush=%d slot_lag=%d MiB walsender=%d",
                            second,
                            writer.rows.get() - rowsAtOutage,
                            f / MIB,
                            (f - baseline) / MIB,
                            maxUsed / MIB,
                            sink.path("pending").asString("-"),
                            sink.path("failing_groups").asString("-"),
                            confirmed,
                            lag / MIB,
                            walsender);
                    series.add(line);
                    System.out.println("SinkDownMemoryIT " + line);
                }
            }
            walsenderGone = walsenderGoneAt;
            long rowsDuringOutage = writer.rows.get() - rowsAtOutage;
            double outageRate = rowsDuringOutage / (double) OUTAGE.toSeconds();
            long confirmedAtEnd = slotLsn("confirmed_flush_lsn");
            long lagAtEnd = slotLag();
            JsonNode sinkAtEnd = healthSink();
            System.out.printf(
                    "SinkDownMemoryIT outage: %d rows (%.0f/s), baseline %d MiB, max floor %d MiB (+%d), max used %d MiB%n",
                    rowsDuringOutage,
                    outageRate,
                    baseline / MIB,
                    maxFloor / MIB,
                    (maxFloor - baseline) / MIB,
                    maxUsed / MIB);

            // Meaningful only if keeping everything would have broken the bound.
            assertThat(rowsDuringOutage * PAYLOAD_BYTES)
                    .as("payload written during the outage (%.0f rows/s) must exceed the heap bound", outageRate)
                    .isGreaterThan(HEAP_BOUND);
            assertThat(maxFloor - baseline)
                    .as("heap floor above the baseline during the outage; samples:%n%s", String.join("\n", series))
                    .isLessThanOrEqualTo(HEAP_BOUND);
            // Delivery stops without losing its place, in one of two ways: the slot is held (nothing is
            // acknowledged past the first undelivered change, the WAL piles up in Postgres, and the reader
            // pauses once the sink's buffer is full) or, once failed messages are persisted to the metadata
            // store, the slot moves on and the health endpoint reports the stored messages. Either way the
            // heap stays bounded, asserted above.
            boolean slotHeld = confirmedAtEnd == confirmedAt10s && lagAtEnd > lagAt10s;
            boolean stored = sinkAtEnd.path("pending").asLong(0) > 0
                    || sinkAtEnd.path("failing_groups").asLong(0) > 0;
            assertThat(slotHeld || (confirmedAtEnd != confirmedAt10s && stored))
                    .as(
                            "slot held (confirmed_flush %d -> %d, lag %d -> %d MiB) or messages stored (%s)",
                            confirmedAt10s, confirmedAtEnd, lagAt10s / MIB, lagAtEnd / MIB, sinkAtEnd)
                    .isTrue();
        }
        long written = writer.rows.get();
        System.out.printf("SinkDownMemoryIT writer: %d rows, %.0f rows/s overall%n", written, writer.rate());

        receiver.available();
        long back = System.nanoTime();
        CatchUp c = awaitAll(written, Duration.ofSeconds(240));
        System.out.printf(
                "SinkDownMemoryIT catch-up: first accepted request after %d ms, all %d rows after %d ms, %d duplicates%n",
                c.firstAcceptedNanos() < 0 ? -1 : (c.firstAcceptedNanos() - back) / 1_000_000,
                written,
                (System.nanoTime() - back) / 1_000_000,
                c.duplicates());
        assertThat(c.missing())
                .as("rows never delivered (first: %s)", c.firstMissing())
                .isZero();
        assertThat(server.status().getFirst().sinks().getFirst().lastError()).isNull();

        // While the sink's buffer is full the reader waits, and keeps answering the server meanwhile: Postgres must
        // not end the walsender after wal_sender_timeout (60 s) of a pause.
        assertThat(walsenderGone)
                .as("the slot's walsender was gone during the pause at t=%s s (wal_sender_timeout)", walsenderGone)
                .isEmpty();
    }

    /** Heap used right after a full GC (System.gc() returns once the collection is done). */
    private static long floor(MemoryMXBean memory) {
        System.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    private long slotLsn(String column) throws SQLException {
        return slotValue("(" + column + " - '0/0'::pg_lsn)::bigint");
    }

    private long slotLag() throws SQLException {
        return slotValue("pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint");
    }

    /** An expression over this test's row of {@code pg_replication_slots}, as a long. */
    private long slotValue(String expression) throws SQLException {
        try (Connection c = PG.connect(db);
                PreparedStatement ps =
                        c.prepareStatement("SELECT " + expression + " FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The sink's entry in {@code GET /health}. */
    private JsonNode healthSink() throws Exception {
        String body = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/health"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        return JSON.readTree(body).path("databases").path(0).path("sinks").path(0);
    }

    private record CatchUp(long missing, long firstMissing, long duplicates, long firstAcceptedNanos) {}

    /** Waits until rows 0 to {@code rows - 1} all arrived, scanning only requests not seen before. */
    private CatchUp awaitAll(long rows, Duration timeout) {
        Scan scan = new Scan();
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(250)).until(() -> {
                scan.more(receiver.requests());
                return scan.seen.nextClearBit(0) >= rows;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // the caller's assertion names what is missing
        }
        long missing = rows - scan.seen.get(0, (int) rows).cardinality();
        return new CatchUp(missing, scan.seen.nextClearBit(0), scan.duplicates, scan.firstAccepted);
    }

    /** What the accepted requests carried so far, scanned incrementally. */
    private static final class Scan {
        final BitSet seen = new BitSet();
        long duplicates;
        long firstAccepted = -1;
        private int scanned;
        private int failedBefore = -1;

        void more(List<WebhookReceiver.Request> requests) {
            for (; scanned < requests.size(); scanned++) {
                WebhookReceiver.Request r = requests.get(scanned);
                if (!r.accepted()) {
                    failedBefore = scanned;
                    continue;
                }
                if (firstAccepted < 0 && scanned > failedBefore && failedBefore >= 0) {
                    firstAccepted = System.nanoTime();
                }
                for (JsonNode m : r.messages()) {
                    int id = m.get("record").get("id").asInt();
                    if (seen.get(id)) {
                        duplicates++;
                    }
                    seen.set(id);
                }
            }
        }
    }

    /**
     * Inserts {@link #ROWS_PER_TRANSACTION} rows with ids 0, 1, 2, ... per transaction, paced to
     * {@link #CHANGES_PER_SECOND}, on its own thread until closed. {@link #rows} counts committed rows.
     */
    private static final class InsertWriter implements AutoCloseable {
        final AtomicLong rows = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final String database;
        private final Thread thread;
        private volatile @Nullable Throwable failure;
        private volatile long startedNanos;
        private volatile long stoppedNanos;

        InsertWriter(String database) {
            this.database = database;
            this.thread = Thread.ofPlatform().name("insert-writer").start(this::run);
        }

        private void run() {
            long interval = TimeUnit.SECONDS.toNanos(1) * ROWS_PER_TRANSACTION / CHANGES_PER_SECOND;
            // A payload of PAYLOAD_BYTES hex digits, different per row; stays below the TOAST threshold.
            String insert = "INSERT INTO items SELECT g, rpad(md5(g::text), " + PAYLOAD_BYTES
                    + ", md5((g + 1)::text)) FROM generate_series(?, ?) g";
            try (Connection c = PG.connect(database);
                    PreparedStatement ps = c.prepareStatement(insert)) {
                startedNanos = System.nanoTime();
                long due = startedNanos;
                while (running.get()) {
                    long from = rows.get();
                    ps.setLong(1, from);
                    ps.setLong(2, from + ROWS_PER_TRANSACTION - 1);
                    ps.executeUpdate(); // autocommit: one transaction
                    rows.addAndGet(ROWS_PER_TRANSACTION);
                    due = Math.max(due + interval, System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(200));
                    TimeUnit.NANOSECONDS.sleep(Math.max(0, due - System.nanoTime()));
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                stoppedNanos = System.nanoTime();
            }
        }

        double rate() {
            return rows.get() * 1e9 / Math.max(1, stoppedNanos - startedNanos);
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
            assertThat(failure).as("insert writer failed").isNull();
        }
    }
}
