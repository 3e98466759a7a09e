package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.testkit.WebhookReceiver;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Changing sinks through the API changes the running pipeline at once, while changes flow: a created sink
 * delivers, a paused one holds and then resumes in order, a disabled one releases the slot and, re-enabled, starts
 * from then, a deleted one stops, and
 * a second sink on the same database neither loses nor repeats a message through all of it.
 */
class ApiRuntimeIT {
    static ApiServer server;
    static ApiClient api;
    static WebhookReceiver steady;
    static WebhookReceiver changing;
    static String db;

    @BeforeAll
    static void start() {
        server = ApiServer.start();
        api = server.client();
        steady = WebhookReceiver.start();
        changing = WebhookReceiver.start();
        db = ApiServer.PG.createDatabase("runtime");
        ApiServer.PG.execute(db, "CREATE TABLE ticks (id bigint PRIMARY KEY)");
    }

    @AfterAll
    static void stop() {
        server.close();
        steady.close();
        changing.close();
    }

    /** Inserts ids 1, 2, 3... one per transaction, until stopped. */
    static final class Writer implements AutoCloseable {
        final AtomicInteger last = new AtomicInteger();
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread thread = Thread.ofPlatform().start(this::run);

        private void run() {
            try (Connection c = ApiServer.PG.connect(db);
                    Statement s = c.createStatement()) {
                while (running.get()) {
                    s.execute("INSERT INTO ticks VALUES (" + (last.get() + 1) + ")");
                    last.incrementAndGet();
                    Thread.sleep(3);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    /**
     * The delivered ids, sorted: every tick is its own row, and rows go out in parallel, so "exact" means every id
     * once with no gap, not arrival order.
     */
    private static List<Long> ids(WebhookReceiver r) {
        List<Long> out = new ArrayList<>();
        for (JsonNode m : r.acceptedMessages()) {
            out.add(m.get("record").get("id").asLong());
        }
        out.sort(null);
        return out;
    }

    /**
     * Delivered through {@code target} with no id still in flight below it: rows go in parallel, so a higher id can
     * arrive before a lower one.
     */
    private static boolean settledUpTo(List<Long> ids, long target) {
        return !ids.isEmpty() && ids.getLast() >= target && ids.size() == ids.getLast() - ids.getFirst() + 1;
    }

    private static void assertContiguous(List<Long> ids) {
        for (int i = 1; i < ids.size(); i++) {
            assertThat(ids.get(i)).as("message %d of %s", i, ids.size()).isEqualTo(ids.get(i - 1) + 1);
        }
    }

    private static String confirmedFlush(String slot) throws Exception {
        try (Connection c = ApiServer.PG.connect(db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long lsn(String text) {
        int slash = text.indexOf('/');
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }

    @Test
    void sinkLifecycleThroughTheApi_takesEffectLive_andLeavesTheOtherSinkExact() throws Exception {
        assertThat(api.post("/api/postgres_databases", ApiServer.databaseJson("live", db, "live_slot"))
                        .status())
                .isEqualTo(201);
        ApiClient.Reply a = api.post("/api/sinks", """
                {"name": "steady", "database": "live", "batch_size": 10,
                 "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(steady.url()));
        assertThat(a.status()).as(a.text()).isEqualTo(201);

        try (Writer writer = new Writer()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> ids(steady).size() > 20);

            // Created while changes flow: it delivers from about now on, in order.
            ApiClient.Reply b = api.post("/api/sinks", """
                    {"name": "changing", "database": "live", "batch_size": 5,
                     "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(changing.url()));
            assertThat(b.status()).as(b.text()).isEqualTo(201);
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> ids(changing).size() > 20 && settledUpTo(ids(changing), 0));
            assertContiguous(ids(changing));

            // Paused: deliveries stop (after the batch in flight) ...
            ApiClient.Reply paused = api.patch("/api/sinks/changing", "{\"status\": \"paused\"}");
            assertThat(paused.status()).as(paused.text()).isEqualTo(200);
            assertThat(paused.get("status").asString()).isEqualTo("paused");
            Thread.sleep(300);
            int atPause = ids(changing).size();
            Thread.sleep(1500);
            assertThat(ids(changing)).hasSize(atPause);
            // ... and resume in order with nothing lost or repeated.
            assertThat(api.patch("/api/sinks/changing", "{\"status\": \"active\"}")
                            .status())
                    .isEqualTo(200);
            int target = writer.last.get();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                List<Long> got = ids(changing);
                return settledUpTo(got, target);
            });
            assertContiguous(ids(changing));

            // Reconfigured (batch size and path) while running: still exact.
            assertThat(api.patch("/api/sinks/changing", "{\"batch_size\": 1}").status())
                    .isEqualTo(200);
            int target2 = writer.last.get();
            await().atMost(Duration.ofSeconds(30)).until(() -> settledUpTo(ids(changing), target2));
            assertContiguous(ids(changing));

            // Disabled: nothing more is delivered, and the slot keeps advancing without it.
            assertThat(api.patch("/api/sinks/changing", "{\"status\": \"disabled\"}")
                            .status())
                    .isEqualTo(200);
            Thread.sleep(300);
            int atDisable = ids(changing).size();
            String before = confirmedFlush("live_slot");
            await().atMost(Duration.ofSeconds(20)).until(() -> lsn(confirmedFlush("live_slot")) > lsn(before));
            assertThat(ids(changing)).hasSize(atDisable);

            // Re-enabled: it starts from then; nothing written while it was disabled reaches it.
            long lastBeforeDisable = ids(changing).getLast();
            Thread.sleep(1000); // a disabled spell long enough to tell "from then" apart from reader lag
            int writtenBeforeEnable = writer.last.get();
            assertThat(writtenBeforeEnable - lastBeforeDisable)
                    .as("writes while disabled")
                    .isGreaterThan(100);
            assertThat(api.patch("/api/sinks/changing", "{\"status\": \"active\"}")
                            .status())
                    .isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                List<Long> got = ids(changing);
                return got.size() > atDisable + 20 && settledUpTo(got.subList(atDisable, got.size()), 0);
            });
            List<Long> afterEnable =
                    ids(changing).subList(atDisable, ids(changing).size());
            // It joins at the reader's position, which may trail the writer a little (more on a loaded machine):
            // most of what was written while it was disabled never reaches it.
            long window = writtenBeforeEnable - lastBeforeDisable;
            assertThat(afterEnable.getFirst()).isGreaterThan(lastBeforeDisable + window / 2);
            assertContiguous(afterEnable);

            // Deleted: gone from the API, and its pipeline stays stopped.
            assertThat(api.delete("/api/sinks/changing").status()).isEqualTo(200);
            assertThat(api.get("/api/sinks/changing").status()).isEqualTo(404);
            Thread.sleep(300);
            int atDelete = ids(changing).size();
            Thread.sleep(500);
            assertThat(ids(changing)).hasSize(atDelete);
        }
        // The steady sink saw every insert exactly once, in order, through all of the above.
        long last;
        try (Connection c = ApiServer.PG.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT max(id) FROM ticks")) {
            rs.next();
            last = rs.getLong(1);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> settledUpTo(ids(steady), last));
        List<Long> all = ids(steady);
        assertThat(all.getFirst()).isEqualTo(1L);
        assertContiguous(all);
    }
}
