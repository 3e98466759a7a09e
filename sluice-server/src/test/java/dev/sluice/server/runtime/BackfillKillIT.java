package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.api.ApiClient;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * A backfill survives SIGKILLs: the server runs as a child JVM on the embedded metadata store, backfills a table
 * that existed before the slot while a writer inserts, updates and deletes rows all over its key range, and is
 * SIGKILLed twice in the middle of the backfill. Each restart resumes the backfill from its saved cursor (not from
 * the start), the backfill completes, and applying every accepted message in arrival order (reads, inserts and
 * updates set the row, deletes remove it) to an empty map rebuilds the table exactly. Redeliveries after a kill
 * are expected and harmless to that check.
 *
 * <p>The seed only drives the writer (kill points follow the saved progress); it is printed at the start; rerun one with {@code -Dsluice.bfkill.seed=<seed>}.
 */
class BackfillKillIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    // Rows before the slot; the writer inserts new ones only in (ROWS + 2000, ROWS + 4000].
    private static final int ROWS = 150_000;
    private static final int WRITES_PER_SECOND = 400;
    // A kill as soon as a run's first reads arrive, rather than at a fraction of the saved progress.
    private static final double EARLY = 0;

    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    private String db;
    private WebhookReceiver receiver;

    @BeforeEach
    void setUp() {
        // Each request answered after 100 ms, batches of 100: the backfill takes several seconds, so that a kill at a
        // fraction of the saved progress (saved about every second) finds the run still going.
        receiver = sluice.receiver().hang(Duration.ofMillis(100));
        // Every row exists before the slot: only the backfill can deliver the ones the writer leaves alone.
        db = sluice.database(
                "bfkill",
                "CREATE TABLE items (id int PRIMARY KEY, val int NOT NULL)",
                "INSERT INTO items SELECT g, 0 FROM generate_series(1, " + ROWS + ") g",
                "ANALYZE items");
    }

    /** Kills when the saved progress passed a quarter of the table, then when it passed 60 %. */
    @Test
    void sigkillsMidBackfill_resumeFromTheSavedCursor_andTheMessagesRebuildTheTable() throws Exception {
        killAndResume(0.25, 0.60);
    }

    /**
     * Kills a run as soon as its first reads arrive, twice: the next run starts while the slot still replays the
     * killed run's first watermarks. Every run numbers its pages from 1, so only the run token in the watermark text
     * ({@code <backfill id>:<run>:<page>:low|high}) keeps the new run's page 1 from taking the killed run's page-1
     * high watermark for its own (its rows would then sit at the old position, ahead of changes older than the
     * snapshot they were read in, and at positions the killed run's reads already hold).
     */
    @Test
    void sigkillsEarlyInARun_doNotLetTheNextRunMatchTheKilledRunsWatermarks() throws Exception {
        killAndResume(EARLY, EARLY, 0.5);
    }

    /** Kills at these points ({@link #EARLY}, or a fraction of the table in saved progress), then completes. */
    private void killAndResume(double... killAt) throws Exception {
        long seed = Long.getLong("sluice.bfkill.seed", System.nanoTime());
        System.out.println("BackfillKillIT seed " + seed + " (rerun with -Dsluice.bfkill.seed=" + seed + ")");
        Path config = sluice.writeConfig(sluice.yaml(db, """
                        batch_size: 100
                        source:
                          include_tables: [public.items]"""));
        Path sluiceHome = sluice.home().resolve("home");
        Map<String, String> env = Map.of("SLUICE_API_TOKEN", ServerFixture.TOKEN);
        // Index into receiver.requests() at each kill: every request of a killed JVM lies before it.
        List<Integer> killedAt = new ArrayList<>();
        List<Long> savedAtKill = new ArrayList<>();
        List<Long> savedAtRestart = new ArrayList<>();
        // The source's WAL end before each restart: the new run's watermarks all lie after it.
        List<Long> restartLsn = new ArrayList<>();
        Writer writer = null;
        ServerProcess server = null;
        long started = System.nanoTime();
        try {
            server = ServerProcess.start(sluiceHome, config, env).awaitHealthy(WAIT);
            writer = new Writer(db, seed);
            Api api = new Api(server);
            JsonNode created = api.post("/api/sinks/hook/backfills", "{}");
            String path = "/api/sinks/hook/backfills/" + created.get("id").asString();
            String backfillId = created.get("id").asString();
            System.out.println("BackfillKillIT backfill " + backfillId);

            for (double fraction : killAt) {
                JsonNode before;
                if (fraction > 0) {
                    before = awaitProgress(api, path, (long) (ROWS * fraction));
                } else {
                    // Early in a run: as soon as its first reads arrive, while its first pages are unconfirmed.
                    awaitReadsSince(killedAt.isEmpty() ? 0 : killedAt.getLast());
                    before = api.get(path);
                }
                server.kill();
                server.close();
                killedAt.add(receiver.requests().size());
                savedAtKill.add(before.get("rows_processed_count").asLong());
                System.out.printf(
                        "BackfillKillIT kill %d: saved progress %d of %d, %d reads accepted, %d writes%n",
                        killedAt.size(),
                        before.get("rows_processed_count").asLong(),
                        ROWS,
                        reads(receiver.requests(), 0, Integer.MAX_VALUE).size(),
                        writer.writes.get());
                restartLsn.add(currentLsn());
                long down = System.nanoTime();
                server = ServerProcess.start(sluiceHome, config, env).awaitHealthy(WAIT);
                api = new Api(server);
                JsonNode after = api.get(path);
                savedAtRestart.add(after.get("rows_processed_count").asLong());
                System.out.printf(
                        "BackfillKillIT restart %d healthy after %d ms: %s, %d rows processed%n",
                        killedAt.size(),
                        (System.nanoTime() - down) / 1_000_000,
                        after.get("state").asString(),
                        after.get("rows_processed_count").asLong());
            }

            JsonNode done = awaitDone(api, path);
            writer.close();
            assertThat(done.get("state").asString()).as(done.toString()).isEqualTo("completed");
            // A last write, and the slot confirming it, prove the receiver has everything committed before it (and
            // that no straggling duplicate is still on its way).
            PG.execute(db, "INSERT INTO items VALUES (-1, -1)");
            receiver.awaitAccepted(
                    got -> got.stream().anyMatch(m -> m.get("record").get("id").asInt() == -1),
                    WAIT,
                    "the sentinel row");
            sluice.slot(db).awaitCaughtUp();
            assertThat(server.stop()).isIn(0, 143);

            List<WebhookReceiver.Request> requests = receiver.requests();
            List<JsonNode> allReads = reads(requests, 0, requests.size());
            System.out.printf(
                    "BackfillKillIT done in %d s: %d requests, %d reads (table %d), %d writes; final %s%n",
                    (System.nanoTime() - started) / 1_000_000_000,
                    requests.size(),
                    allReads.size(),
                    ROWS,
                    writer.writes.get(),
                    done);

            Map<Integer, Integer> table = table();
            Map<Integer, Integer> rebuilt = rebuild(requests);
            assertRebuilt(rebuilt, table);

            // Resumed, not restarted: each restart found the progress saved before the kill, and its run reads no
            // key far below that progress (the cursor's key is at least the number of rows read up to it).
            // Each kill re-delivers at most what was delivered after the saved cursor: part of the page in flight
            // (pages are at most 50,000 rows) and what completed in the last second before the kill.
            long reRead = 0;
            for (int k = 0; k < killedAt.size(); k++) {
                int runFrom = killedAt.get(k);
                int runTo = k + 1 < killedAt.size() ? killedAt.get(k + 1) : requests.size();
                List<JsonNode> runReads = reads(requests, runFrom, runTo);
                int lowest = runReads.stream()
                        .mapToInt(m -> m.get("record").get("id").asInt())
                        .min()
                        .orElse(Integer.MAX_VALUE);
                List<JsonNode> killedRun = reads(requests, k == 0 ? 0 : killedAt.get(k - 1), killedAt.get(k));
                long again = killedRun.stream()
                        .filter(m -> m.get("record").get("id").asInt() >= lowest)
                        .count();
                reRead += again;
                long walEnd = restartLsn.get(k);
                long belowRestart = runReads.stream()
                        .filter(m -> m.at("/metadata/commit_lsn").asLong() <= walEnd)
                        .count();
                System.out.printf(
                        "BackfillKillIT run %d: saved %d at the kill, %d at the restart; %d reads, lowest id %d;"
                                + " %d rows of run %d read again; %d reads at positions before the restart (loaded"
                                + " back from the message store, or misplaced)%n",
                        k + 2,
                        savedAtKill.get(k),
                        savedAtRestart.get(k),
                        runReads.size(),
                        lowest,
                        again,
                        k + 1,
                        belowRestart);
                if (belowRestart > 0) {
                    System.out.printf(
                            "BackfillKillIT run %d: reads before the restart's WAL end %d: %s; reads of run %d: %s%n",
                            k + 2,
                            walEnd,
                            readPositions(runReads.stream()
                                    .filter(m -> m.at("/metadata/commit_lsn").asLong() <= walEnd)
                                    .toList()),
                            k + 1,
                            readPositions(killedRun));
                }
                assertThat(savedAtRestart.get(k))
                        .as("progress saved before kill %d", k + 1)
                        .isGreaterThanOrEqualTo(savedAtKill.get(k));
                if (savedAtRestart.get(k) > 0) {
                    // Reads of the killed run's last pages, stored but not yet delivered, come again after the
                    // restart (at-least-once): up to a page (at most 50,000 rows) below the saved progress.
                    assertThat(lowest)
                            .as("lowest key read after restart %d (saved progress %d)", k + 1, savedAtRestart.get(k))
                            .isGreaterThan((int) (long) savedAtRestart.get(k) - 50_000);
                }
            }
            if (killAt[0] > 0) {
                assertThat(savedAtRestart.getFirst())
                        .as("progress saved before the first kill")
                        .isPositive();
            }
            // A position (commit_lsn, commit_idx) is one message: a redelivery, or a read of the killed run loaded
            // back from the message store, carries the same row; a page matched to another run's watermark need not.
            Map<String, Integer> rowAt = new HashMap<>();
            List<String> shared = new ArrayList<>();
            for (JsonNode m : allReads) {
                String at = m.at("/metadata/commit_lsn").asLong() + ":"
                        + m.at("/metadata/commit_idx").asInt();
                int id = m.get("record").get("id").asInt();
                Integer before = rowAt.putIfAbsent(at, id);
                if (before != null && before != id) {
                    shared.add(at + " rows " + before + " and " + id);
                }
            }
            assertThat(shared.stream().limit(10).toList())
                    .as("reads of different rows at one position (%d)", shared.size())
                    .isEmpty();
            assertThat(done.get("rows_processed_count").asLong())
                    .as("rows processed over all runs")
                    .isLessThan(ROWS + 5_000L);
            assertThat((long) allReads.size())
                    .as("reads received, %d of them read again after a kill", reRead)
                    .isLessThan(ROWS * 7L / 4);
            assertThat(writer.writes.get()).as("writes during the backfill").isGreaterThan(1_000);
            List<String> badKeys = new ArrayList<>();
            for (JsonNode m : allReads) {
                int id = m.get("record").get("id").asInt();
                String key =
                        Base64.getEncoder().encodeToString((backfillId + ":" + id).getBytes(StandardCharsets.UTF_8));
                if (!key.equals(m.at("/metadata/idempotency_key").asString())) {
                    badKeys.add(id + ": " + m.at("/metadata/idempotency_key").asString());
                }
            }
            assertThat(badKeys).as("reads keyed base64(<backfill id>:<id>)").isEmpty();
        } finally {
            if (writer != null) {
                writer.close();
            }
            if (server != null) {
                server.close();
            }
            // A failure between a kill and the next start leaves the embedded Postgres running.
            ProcessHandle.allProcesses()
                    .filter(ph -> ph.info().commandLine().orElse("").contains(sluiceHome.toString()))
                    .filter(ph -> ph.info().command().orElse("").contains("postgres"))
                    .forEach(ProcessHandle::destroy);
        }
    }

    /** Waits until the saved progress reaches {@code rows}, and returns the backfill then. */
    private static JsonNode awaitProgress(Api api, String path, long rows) {
        return await("backfill progress reaches " + rows)
                .atMost(WAIT)
                .pollInterval(Duration.ofMillis(50))
                .until(
                        () -> {
                            JsonNode b = api.get(path);
                            assertThat(b.get("state").asString())
                                    .as(b.toString())
                                    .isEqualTo("active");
                            return b;
                        },
                        b -> b.get("rows_processed_count").asLong() >= rows);
    }

    /** Waits until a read arrives in a request after index {@code from}. */
    private void awaitReadsSince(int from) {
        receiver.awaitAccepted(
                got -> !reads(receiver.requests(), from, Integer.MAX_VALUE).isEmpty(),
                WAIT,
                "a read after request " + from);
    }

    private long currentLsn() throws Exception {
        try (Connection c = PG.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT (pg_current_wal_lsn() - '0/0')::bigint")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static JsonNode awaitDone(Api api, String path) {
        return await("the backfill ends")
                .atMost(WAIT)
                .until(() -> api.get(path), b -> !b.get("state").asString().equals("active"));
    }

    /** The {@code read} messages of the accepted requests {@code [from, to)}. */
    private static List<JsonNode> reads(List<WebhookReceiver.Request> requests, int from, int to) {
        List<JsonNode> out = new ArrayList<>();
        for (int i = from; i < Math.min(to, requests.size()); i++) {
            WebhookReceiver.Request r = requests.get(i);
            if (r.accepted()) {
                for (JsonNode m : r.messages()) {
                    if (m.get("action").asString().equals("read")) {
                        out.add(m);
                    }
                }
            }
        }
        return out;
    }

    /** Reads by position (commit_lsn), each with its count and key range, for diagnostics. */
    private static String readPositions(List<JsonNode> reads) {
        Map<Long, int[]> byLsn = new java.util.TreeMap<>(); // lsn -> {count, min id, max id}
        for (JsonNode m : reads) {
            int id = m.get("record").get("id").asInt();
            int[] a = byLsn.computeIfAbsent(
                    m.at("/metadata/commit_lsn").asLong(), l -> new int[] {0, Integer.MAX_VALUE, Integer.MIN_VALUE});
            a[0]++;
            a[1] = Math.min(a[1], id);
            a[2] = Math.max(a[2], id);
        }
        StringBuilder sb = new StringBuilder();
        byLsn.forEach((lsn, a) -> sb.append(String.format(" [lsn %d: %d reads, ids %d..%d]", lsn, a[0], a[1], a[2])));
        return sb.toString();
    }

    /** Applies every accepted message in arrival order (each row's delivery order) to an empty map. */
    private static Map<Integer, Integer> rebuild(List<WebhookReceiver.Request> requests) {
        Map<Integer, Integer> rows = new HashMap<>();
        for (WebhookReceiver.Request r : requests) {
            if (!r.accepted()) {
                continue;
            }
            for (JsonNode m : r.messages()) {
                JsonNode record = m.get("record");
                int id = record.get("id").asInt();
                if (m.get("action").asString().equals("delete")) {
                    rows.remove(id);
                } else {
                    rows.put(id, record.get("val").asInt());
                }
            }
        }
        return rows;
    }

    private Map<Integer, Integer> table() throws Exception {
        Map<Integer, Integer> table = new HashMap<>();
        try (Connection c = PG.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT id, val FROM items")) {
            while (rs.next()) {
                table.put(rs.getInt(1), rs.getInt(2));
            }
        }
        return table;
    }

    /** Names the differing rows (a few of each kind) rather than dumping two maps of 150k entries. */
    private static void assertRebuilt(Map<Integer, Integer> rebuilt, Map<Integer, Integer> table) {
        List<Integer> missing = new ArrayList<>();
        List<Integer> extra = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        table.forEach((id, val) -> {
            Integer got = rebuilt.get(id);
            if (got == null) {
                missing.add(id);
            } else if (!got.equals(val)) {
                wrong.add(id + ": table " + val + ", rebuilt " + got);
            }
        });
        rebuilt.keySet().stream().filter(id -> !table.containsKey(id)).forEach(extra::add);
        missing.sort(null);
        extra.sort(null);
        wrong.sort(null);
        assertThat(missing.size() + extra.size() + wrong.size())
                .as(
                        "rebuilt %d rows vs table %d: %d missing %s, %d extra %s, %d with another val %s",
                        rebuilt.size(),
                        table.size(),
                        missing.size(),
                        missing.stream().limit(20).toList(),
                        extra.size(),
                        extra.stream().limit(20).toList(),
                        wrong.size(),
                        wrong.stream().limit(20).toList())
                .isZero();
    }

    /**
     * Deletes, inserts and updates over the whole key range (rows read or not read yet), paced, on its own
     * connection; new rows beyond the original ones stay in a bounded range so that the backfill reaches the end.
     */
    private static final class Writer implements AutoCloseable {
        final AtomicLong writes = new AtomicLong();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        Writer(String db, long seed) {
            Random random = new Random(seed);
            thread = Thread.ofPlatform().name("backfill-kill-writer").start(() -> {
                long nanosPerWrite = TimeUnit.SECONDS.toNanos(1) / WRITES_PER_SECOND;
                long due = System.nanoTime();
                try (Connection c = PG.connect(db);
                        Statement st = c.createStatement()) {
                    while (running.get()) {
                        int id = 1 + random.nextInt(ROWS + 1000);
                        switch (random.nextInt(4)) {
                            case 0 -> st.execute("DELETE FROM items WHERE id = " + id);
                            case 1 ->
                                st.execute("INSERT INTO items VALUES (" + (ROWS + 2_000 + random.nextInt(2_000))
                                        + ", 1) ON CONFLICT (id) DO NOTHING");
                            case 2 ->
                                st.execute("INSERT INTO items VALUES (" + id + ", 2) ON CONFLICT (id) DO UPDATE"
                                        + " SET val = items.val + 1");
                            default ->
                                st.execute("UPDATE items SET val = val + 1 WHERE id IN (" + id + ", " + (id + 1) + ", "
                                        + (ROWS - id) + ")");
                        }
                        writes.incrementAndGet();
                        due += nanosPerWrite;
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        }
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
            Throwable f = failure.get();
            if (f != null) {
                throw new AssertionError("the writer failed", f);
            }
        }
    }

    /** The management API of the child server, with the token it was started with. */
    private record Api(ApiClient client) {
        Api(ServerProcess server) {
            this(new ApiClient(server.port(), ServerFixture.TOKEN));
        }

        JsonNode get(String path) {
            return expect(client.get(path), 200);
        }

        JsonNode post(String path, String body) {
            return expect(client.post(path, body), 201);
        }

        private static JsonNode expect(ApiClient.Reply r, int status) {
            assertThat(r.status()).as(r.text()).isEqualTo(status);
            return r.body();
        }
    }
}
