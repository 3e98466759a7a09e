package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.server.fixture.SluiceYaml;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Transactions far larger than the server's memory, through the packaged server (a child JVM with a 256 MiB heap,
 * {@code max_memory_mb: 128} on the sink) and Postgres' default {@code logical_decoding_work_mem} (64 MB): a 1 GiB
 * transaction (10,000 rows of 100 KiB), a transaction of many small rows ({@value #SMALL_ROWS} here; {@code
 * -Dsluice.huge.rows=5000000} for the five million of docs/benchmarks.md), and an aborted 300 MiB one. Postgres
 * streams each before it commits (protocol version 2, checked in {@code pg_stat_replication_slots}); the server keeps
 * the blocks under {@code $SLUICE_HOME/streamed} until the commit. Every committed row arrives exactly once, nothing
 * of the aborted one, nothing is left on disk, and the process's peak resident memory ({@code VmHWM}) stays bounded:
 * a server that held a transaction in memory would run out of its heap on the first one.
 */
class HugeTransactionIT {
    private static final Duration WAIT = Duration.ofMinutes(5);
    private static final int BIG_ROWS = 10_000;
    private static final int BIG_ROW_CHARS = 100 * 1024;
    private static final int SMALL_ROWS = Integer.getInteger("sluice.huge.rows", 200_000);
    // Heap (256 MiB) plus metaspace, code cache, thread stacks, GC structures and the HTTP client's buffers.
    private static final long RSS_BOUND_KIB = 768 * 1024;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    private String db;
    private CountingReceiver receiver;
    private ServerProcess server;
    private Path home;

    @BeforeEach
    void setUp() throws Exception {
        db = sluice.database(
                "huge",
                "CREATE TABLE big (id int PRIMARY KEY, body text NOT NULL)",
                // Stored uncompressed: the WAL, and the server's decoding memory, hold the whole gigabyte (TOAST
                // would shrink repeated text to a few MB, which Postgres never needs to stream).
                "ALTER TABLE big ALTER COLUMN body SET STORAGE EXTERNAL",
                "CREATE TABLE small (id int PRIMARY KEY, note text NOT NULL)");
        if (SMALL_ROWS < 1_000_000) {
            // A few hundred thousand small rows stay under the default 64 MB of decoding memory: with 16 MB they are
            // streamed as five million are with the default.
            PG.execute(db, "ALTER DATABASE " + db + " SET logical_decoding_work_mem = '16MB'");
        }
        receiver = new CountingReceiver();
        Path config = sluice.writeConfig(SluiceYaml.webhook(
                SluiceYaml.hostConnection(PG.port(), db),
                sluice.slot(db).name(),
                receiver.url(),
                "batch: true",
                "batch_size: 100\nmax_memory_mb: 128"));
        home = sluice.home().resolve("home");
        server = ServerProcess.start(home, config, Map.of("SLUICE_API_TOKEN", ServerFixture.TOKEN))
                .awaitHealthy(Duration.ofSeconds(60));
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.close();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    @Test
    void oneGibTransaction_andAManyRowOne_areDeliveredOnce_inBoundedMemory_andAnAbortedOneDeliversNothing()
            throws Exception {
        // Aborted first: were any of it delivered, the counts below would show it.
        try (Connection c = PG.connect(db);
                Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute(insertBig(1_000_001, 1_003_000));
            c.rollback();
        }
        long started = System.nanoTime();
        PG.execute(db, insertBig(1, BIG_ROWS));
        receiver.awaitRows("big", BIG_ROWS);
        System.out.printf(
                "HugeTransactionIT 1 GiB transaction delivered %d s after its commit began; peak RSS %d MiB%n",
                (System.nanoTime() - started) / 1_000_000_000, peakRssKib() / 1024);

        started = System.nanoTime();
        PG.execute(db, "INSERT INTO small SELECT g, 'row ' || g FROM generate_series(1, " + SMALL_ROWS + ") g");
        receiver.awaitRows("small", SMALL_ROWS);
        System.out.printf(
                "HugeTransactionIT %d-row transaction delivered %d s after its commit began; peak RSS %d MiB%n",
                SMALL_ROWS, (System.nanoTime() - started) / 1_000_000_000, peakRssKib() / 1024);

        assertThat(receiver.duplicates.get()).as("rows delivered twice").isZero();
        assertThat(receiver.rows("big").cardinality()).isEqualTo(BIG_ROWS);
        assertThat(receiver.rows("big").nextSetBit(BIG_ROWS + 1))
                .as("a row of the aborted transaction")
                .isEqualTo(-1);
        assertThat(receiver.wrongBodies.get()).as("bodies not as written").isZero();
        // The walsender reports its slot's statistics now and then, not at each transaction.
        await("Postgres to report the three transactions streamed before their commit or abort")
                .atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> streamedTransactions() >= 3);
        assertThat(peakRssKib()).as("peak resident memory of the server, KiB").isLessThan(RSS_BOUND_KIB);
        try (Stream<Path> left = Files.walk(home.resolve("streamed"))) {
            assertThat(left.filter(Files::isRegularFile))
                    .as("files left under streamed/")
                    .isEmpty();
        }
    }

    private static String insertBig(int from, int to) {
        // 100 KiB of text a row: TOAST compresses it in the WAL, pgoutput sends it whole.
        return "INSERT INTO big SELECT g, repeat(md5(g::text), " + BIG_ROW_CHARS / 32 + ") FROM generate_series(" + from
                + ", " + to + ") g";
    }

    private long streamedTransactions() throws Exception {
        try (Connection c = PG.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT stream_txns FROM pg_stat_replication_slots WHERE slot_name = '"
                        + sluice.slot(db).name() + "'")) {
            return rs.next() ? rs.getLong(1) : 0;
        }
    }

    private long peakRssKib() throws IOException {
        for (String line : Files.readAllLines(
                Path.of("/proc", Long.toString(server.process().pid()), "status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmHWM in /proc/<pid>/status");
    }

    /** A webhook receiver that keeps no bodies: it notes each row id per table and checks the big rows' text. */
    private static final class CountingReceiver implements AutoCloseable {
        private final HttpServer http;
        private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        private final Map<String, BitSet> seen = Map.of("big", new BitSet(), "small", new BitSet());
        final AtomicLong duplicates = new AtomicLong();
        final AtomicLong wrongBodies = new AtomicLong();

        CountingReceiver() throws IOException {
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
            http.setExecutor(executor);
            http.createContext("/", this::handle);
            http.start();
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
        }

        private void handle(HttpExchange exchange) throws IOException {
            try (exchange) {
                JsonNode body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = JSON.readTree(in);
                }
                for (JsonNode m : body.get("data")) {
                    String table = m.get("metadata").get("table_name").asString();
                    JsonNode record = m.get("record");
                    int id = record.get("id").asInt();
                    if (table.equals("big") && record.get("body").asString().length() != BIG_ROW_CHARS / 32 * 32) {
                        wrongBodies.incrementAndGet();
                    }
                    BitSet ids = seen.get(table);
                    synchronized (ids) {
                        if (ids.get(id)) {
                            duplicates.incrementAndGet();
                        }
                        ids.set(id);
                    }
                }
                exchange.sendResponseHeaders(200, -1);
            }
        }

        BitSet rows(String table) {
            BitSet ids = seen.get(table);
            synchronized (ids) {
                return (BitSet) ids.clone();
            }
        }

        void awaitRows(String table, int n) {
            await(n + " rows of " + table)
                    .atMost(WAIT.plusSeconds(n / 5_000))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> rows(table).cardinality() >= n);
        }

        @Override
        public void close() {
            http.stop(0);
            executor.close();
        }
    }
}
