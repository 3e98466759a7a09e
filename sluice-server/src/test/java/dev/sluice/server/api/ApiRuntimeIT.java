package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.server.fixture.Slot;
import dev.sluice.testkit.WebhookReceiver;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * Changing sinks through the API changes the running pipeline at once, while changes flow: a created sink
 * delivers, a paused one holds and then resumes in order, a disabled one releases the slot and, re-enabled, starts
 * from then, a deleted one stops, and
 * a second sink on the same database neither loses nor repeats a message through all of it.
 */
class ApiRuntimeIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;
    static WebhookReceiver steady;
    static WebhookReceiver changing;
    static String db;
    static Slot slot;

    @BeforeAll
    static void start() {
        sluice.start();
        api = sluice.api();
        steady = sluice.newReceiver();
        changing = sluice.newReceiver();
        db = sluice.database("runtime", "CREATE TABLE ticks (id bigint PRIMARY KEY)");
        slot = sluice.slot(db);
    }

    /** Inserts ids 1, 2, 3... one per transaction, until stopped. */
    static final class Writer implements AutoCloseable {
        final AtomicInteger last = new AtomicInteger();
        final AtomicBoolean running = new AtomicBoolean(true);
        final Thread thread = Thread.ofPlatform().start(this::run);

        private void run() {
            try (Connection c = ServerFixture.PG.connect(db);
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

    /** The largest id delivered to {@code r}, or 0. */
    private static long maxId(WebhookReceiver r) {
        List<Long> got = ids(r);
        return got.isEmpty() ? 0 : got.getLast();
    }

    /**
     * Waits until the steady sink delivered every id up to {@code target}: the reader routed each change up to there,
     * so a sink that was still delivering would have had them too.
     */
    private static void awaitSteadyPast(long target) {
        await().atMost(ServerFixture.WAIT).until(() -> settledUpTo(ids(steady), target));
    }

    @Test
    void sinkLifecycleThroughTheApi_takesEffectLive_andLeavesTheOtherSinkExact() throws Exception {
        assertThat(api.post("/api/postgres_databases", sluice.databaseJson("live", db))
                        .status())
                .isEqualTo(201);
        ApiClient.Reply a = api.post("/api/sinks", """
                {"name": "steady", "database": "live", "batch_size": 10,
                 "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(steady.url()));
        assertThat(a.status()).as(a.text()).isEqualTo(201);

        try (Writer writer = new Writer()) {
            await().atMost(ServerFixture.WAIT).until(() -> ids(steady).size() > 20);

            // Created while changes flow: it delivers from about now on, in order.
            ApiClient.Reply b = api.post("/api/sinks", """
                    {"name": "changing", "database": "live", "batch_size": 5,
                     "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(changing.url()));
            assertThat(b.status()).as(b.text()).isEqualTo(201);
            await().atMost(ServerFixture.WAIT).until(() -> ids(changing).size() > 20 && settledUpTo(ids(changing), 0));
            assertContiguous(ids(changing));

            // Paused: deliveries stop (after the batch in flight): nothing written after the pause arrives, though
            // the steady sink gets well past it.
            ApiClient.Reply paused = api.patch("/api/sinks/changing", "{\"status\": \"paused\"}");
            assertThat(paused.status()).as(paused.text()).isEqualTo(200);
            assertThat(paused.get("status").asString()).isEqualTo("paused");
            int atPause = writer.last.get();
            awaitSteadyPast(atPause + 100);
            assertThat(maxId(changing)).as("last id delivered while paused").isLessThanOrEqualTo(atPause);
            // ... and resume in order with nothing lost or repeated.
            assertThat(api.patch("/api/sinks/changing", "{\"status\": \"active\"}")
                            .status())
                    .isEqualTo(200);
            int target = writer.last.get();
            await().atMost(ServerFixture.WAIT).until(() -> {
                List<Long> got = ids(changing);
                return settledUpTo(got, target);
            });
            assertContiguous(ids(changing));

            // Reconfigured (batch size and path) while running: still exact.
            assertThat(api.patch("/api/sinks/changing", "{\"batch_size\": 1}").status())
                    .isEqualTo(200);
            int target2 = writer.last.get();
            await().atMost(ServerFixture.WAIT).until(() -> settledUpTo(ids(changing), target2));
            assertContiguous(ids(changing));

            // Disabled: nothing more is delivered, and the slot keeps advancing without it.
            assertThat(api.patch("/api/sinks/changing", "{\"status\": \"disabled\"}")
                            .status())
                    .isEqualTo(200);
            int atDisableWritten = writer.last.get();
            long disabledAt = slot.walInsertLsn();
            slot.awaitConfirmed(
                    lsn -> Long.compareUnsigned(lsn, disabledAt) > 0, ServerFixture.WAIT, "passes the disable");
            awaitSteadyPast(atDisableWritten + 100);
            assertThat(maxId(changing)).as("last id delivered once disabled").isLessThanOrEqualTo(atDisableWritten);
            int atDisable = ids(changing).size();

            // Re-enabled: it starts from then; nothing written while it was disabled reaches it. The disabled spell
            // lasts over 100 writes, to tell "from then" apart from reader lag.
            long lastBeforeDisable = maxId(changing);
            await().atMost(ServerFixture.WAIT).until(() -> writer.last.get() - lastBeforeDisable > 100);
            int writtenBeforeEnable = writer.last.get();
            assertThat(api.patch("/api/sinks/changing", "{\"status\": \"active\"}")
                            .status())
                    .isEqualTo(200);
            await().atMost(ServerFixture.WAIT).until(() -> {
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
            int atDelete = writer.last.get();
            awaitSteadyPast(atDelete + 100);
            assertThat(maxId(changing)).as("last id delivered once deleted").isLessThanOrEqualTo(atDelete);
        }
        // The steady sink saw every insert exactly once, in order, through all of the above.
        long last;
        try (Connection c = ServerFixture.PG.connect(db);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT max(id) FROM ticks")) {
            rs.next();
            last = rs.getLong(1);
        }
        await().atMost(ServerFixture.WAIT).until(() -> settledUpTo(ids(steady), last));
        List<Long> all = ids(steady);
        assertThat(all.getFirst()).isEqualTo(1L);
        assertContiguous(all);
    }
}
