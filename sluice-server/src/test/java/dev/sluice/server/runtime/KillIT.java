package dev.sluice.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * The server runs as a child JVM on the embedded metadata store and is SIGKILLed five times at random
 * points while a writer updates rows at a steady rate. Nothing is lost, each row's changes arrive in
 * commit order except for replays after a restart, every replayed change carries its first delivery's
 * idempotency key, and the replays per kill stay within what can have been in flight.
 *
 * <p>Seed: printed at the start; rerun one with {@code -Dsluice.kill.seed=<seed>}.
 */
class KillIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int ROWS = 200;
    private static final int CHANGES_PER_SECOND = 750;
    private static final int KILLS = 5;
    private static final int BATCH_SIZE = 20;
    // Batches a sink may have in flight at once in the per-group delivery engine. A SIGKILL can at
    // worst lose the acknowledgement of all of them, plus as many delivered just before whose slot
    // flush had not gone out yet: hence the factor 2.
    private static final int MAX_BATCHES_IN_FLIGHT = 32;
    private static final int MAX_DUPLICATES_PER_KILL = 2 * BATCH_SIZE * MAX_BATCHES_IN_FLIGHT;

    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    private String db;
    private WebhookReceiver receiver;

    @BeforeEach
    void setUp() {
        // Inserted before the slot exists, so only the updates are captured: each row's seq 1, 2, 3, ...
        db = sluice.database(
                "kill",
                "CREATE TABLE events (id int PRIMARY KEY, seq int NOT NULL)",
                "INSERT INTO events SELECT g, 0 FROM generate_series(0, " + (ROWS - 1) + ") g");
        receiver = sluice.receiver();
    }

    /**
     * Lets the server run under load while the writer commits {@code changes} more changes: at its steady rate, a
     * stretch of time measured in work done.
     */
    private static void runFor(UpdateWriter writer, int changes) {
        long target = writer.changes.get() + changes;
        await().atMost(WAIT).until(() -> writer.changes.get() >= target);
    }

    /** One accepted message: the row, its seq, its idempotency key, and how many kills preceded it. */
    private record Delivery(int id, int seq, String key, int afterKill) {}

    @Test
    void fiveSigkillsUnderLoadLoseNothingAndReplayOnlyInFlightChangesWithTheirIdempotencyKeys() throws Exception {
        long seed = Long.getLong("sluice.kill.seed", System.nanoTime());
        System.out.println("KillIT seed " + seed + " (rerun with -Dsluice.kill.seed=" + seed + ")");
        Random random = new Random(seed);
        Path config = sluice.writeConfig(sluice.yaml(db, "batch_size: " + BATCH_SIZE));
        Path sluiceHome = sluice.home().resolve("home");
        // Index into receiver.requests() at each kill: every request of the killed JVM lies before it.
        List<Integer> killedAt = new ArrayList<>();
        UpdateWriter writer = null;
        ServerProcess server = null;
        long started = System.nanoTime();
        try {
            server = ServerProcess.start(sluiceHome, config, Map.of()).awaitHealthy(WAIT);
            writer = new UpdateWriter(db, ROWS, CHANGES_PER_SECOND, random.nextLong());
            for (int kill = 1; kill <= KILLS; kill++) {
                // Killed at a random point: after 1 to 4 s' worth of changes.
                int running = CHANGES_PER_SECOND + random.nextInt(3 * CHANGES_PER_SECOND);
                runFor(writer, running);
                server.kill();
                server.close();
                killedAt.add(receiver.requests().size());
                System.out.printf(
                        "KillIT kill %d after %d more changes: %d messages accepted, %d changes committed%n",
                        kill, running, receiver.acceptedMessages().size(), writer.changes.get());
                long down = System.nanoTime();
                server = ServerProcess.start(sluiceHome, config, Map.of()).awaitHealthy(WAIT);
                System.out.printf(
                        "KillIT restart %d healthy after %d ms%n", kill, (System.nanoTime() - down) / 1_000_000);
            }
            runFor(
                    writer,
                    CHANGES_PER_SECOND + random.nextInt(CHANGES_PER_SECOND)); // under load after the last restart
            writer.close();
            Map<Integer, List<Integer>> committed = writer.committed();
            System.out.printf(
                    "KillIT writer: %d changes in %d transactions, %.0f changes/s%n",
                    writer.changes.get(), writer.transactions.get(), writer.rate());
            awaitEverything(committed);
            sluice.slot(db).awaitCaughtUp(); // a straggling duplicate would have arrived by now
            assertThat(server.stop()).isIn(0, 143);

            List<Delivery> deliveries = deliveries(killedAt);
            System.out.printf(
                    "KillIT %d messages accepted in %d s%n",
                    deliveries.size(), (System.nanoTime() - started) / 1_000_000_000);
            assertDeliveredInOrderWithReplays(committed, deliveries);
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

    /** Waits until each row's last committed seq was accepted. */
    private void awaitEverything(Map<Integer, List<Integer>> committed) {
        try {
            receiver.awaitAccepted(
                    accepted -> {
                        Map<Integer, Integer> maxSeen = new HashMap<>();
                        for (JsonNode m : accepted) {
                            maxSeen.merge(
                                    m.get("record").get("id").asInt(),
                                    m.get("record").get("seq").asInt(),
                                    Math::max);
                        }
                        return committed.entrySet().stream()
                                .allMatch(e -> maxSeen.getOrDefault(e.getKey(), 0)
                                        >= e.getValue().getLast());
                    },
                    WAIT,
                    "each row's last committed change");
        } catch (AssertionError timeout) {
            // Fall through: the assertions name what is missing.
        }
    }

    private List<Delivery> deliveries(List<Integer> killedAt) {
        List<WebhookReceiver.Request> requests = receiver.requests();
        List<Delivery> out = new ArrayList<>();
        int kills = 0;
        for (int i = 0; i < requests.size(); i++) {
            while (kills < killedAt.size() && killedAt.get(kills) <= i) {
                kills++;
            }
            WebhookReceiver.Request r = requests.get(i);
            if (!r.accepted()) {
                continue;
            }
            for (JsonNode m : r.messages()) {
                out.add(new Delivery(
                        m.get("record").get("id").asInt(),
                        m.get("record").get("seq").asInt(),
                        m.get("metadata").get("idempotency_key").asString(),
                        kills));
            }
        }
        return out;
    }

    /**
     * At-least-once with replays: a restart resumes from the slot's confirmed position, so for each row
     * the first message after a restart may go back to a seq already delivered (a replay of a suffix),
     * and otherwise each message is the row's next committed seq. With the replays collapsed in place,
     * each row's arrivals are exactly its committed sequence.
     */
    private static void assertDeliveredInOrderWithReplays(
            Map<Integer, List<Integer>> committed, List<Delivery> deliveries) {
        Map<Integer, Integer> last = new HashMap<>(); // row -> seq of its last arrival
        Map<Integer, Integer> lastKill = new HashMap<>(); // row -> afterKill of its last arrival
        Map<String, String> firstKey = new HashMap<>(); // "id:seq" -> idempotency key
        Map<Integer, List<Integer>> collapsed = new HashMap<>(); // row -> distinct seqs, first arrival order
        int[] duplicatesAfterKill = new int[KILLS + 1];
        int[] replayedRowsAfterKill = new int[KILLS + 1];
        List<String> orderViolations = new ArrayList<>();
        List<String> keyViolations = new ArrayList<>();
        for (Delivery d : deliveries) {
            String change = d.id() + ":" + d.seq();
            @Nullable Integer prev = last.put(d.id(), d.seq());
            @Nullable Integer prevKill = lastKill.put(d.id(), d.afterKill());
            int expectedNext = (prev == null ? 0 : prev) + 1;
            boolean firstAfterRestart = prevKill == null || prevKill < d.afterKill();
            if (d.seq() != expectedNext) {
                boolean replay = d.seq() < expectedNext && d.seq() >= 1 && firstAfterRestart && d.afterKill() > 0;
                if (replay) {
                    replayedRowsAfterKill[d.afterKill()]++;
                } else {
                    orderViolations.add(
                            "row " + d.id() + ": " + prev + " then " + d.seq() + " (after kill " + d.afterKill() + ")");
                }
            }
            @Nullable String key = firstKey.putIfAbsent(change, d.key());
            if (key == null) {
                collapsed.computeIfAbsent(d.id(), k -> new ArrayList<>()).add(d.seq());
            } else {
                duplicatesAfterKill[d.afterKill()]++;
                if (!key.equals(d.key())) {
                    keyViolations.add(change + ": " + key + " then " + d.key());
                }
            }
        }
        for (int k = 1; k <= KILLS; k++) {
            System.out.printf(
                    "KillIT kill %d: %d duplicates over %d rows (bound %d)%n",
                    k, duplicatesAfterKill[k], replayedRowsAfterKill[k], MAX_DUPLICATES_PER_KILL);
        }

        List<String> lost = new ArrayList<>();
        List<String> notAsCommitted = new ArrayList<>();
        for (Map.Entry<Integer, List<Integer>> e : committed.entrySet()) {
            List<Integer> got = collapsed.getOrDefault(e.getKey(), List.of());
            for (int seq : e.getValue()) {
                if (!got.contains(seq)) {
                    lost.add(e.getKey() + ":" + seq);
                }
            }
            if (!got.equals(e.getValue())) {
                notAsCommitted.add("row " + e.getKey() + ": committed " + e.getValue() + ", arrived " + got);
            }
        }
        assertThat(lost)
                .as("committed changes never delivered (%d)", lost.size())
                .isEmpty();
        assertThat(orderViolations)
                .as("per-row order: each row's next seq, or a replay at its first message after a restart")
                .isEmpty();
        assertThat(notAsCommitted.stream().limit(5).toList())
                .as("each row's arrivals with duplicates collapsed are its committed sequence")
                .isEmpty();
        assertThat(collapsed.keySet()).as("no message for a row never updated").isSubsetOf(committed.keySet());
        assertThat(keyViolations)
                .as("duplicates carry the first delivery's idempotency key")
                .isEmpty();
        assertThat(duplicatesAfterKill[0])
                .as("duplicates before the first kill")
                .isZero();
        List<String> overBound = new ArrayList<>();
        for (int k = 1; k <= KILLS; k++) {
            if (duplicatesAfterKill[k] > MAX_DUPLICATES_PER_KILL) {
                overBound.add("kill " + k + ": " + duplicatesAfterKill[k]);
            }
        }
        // Each sink's progress is saved every 50 ms, so a restart's replay skips what was delivered before: what
        // comes again is what was in flight at the kill, plus what was resolved in the last 50 ms.
        String excess = "duplicates per kill above " + MAX_DUPLICATES_PER_KILL + " (" + MAX_BATCHES_IN_FLIGHT
                + " batches of " + BATCH_SIZE + " in flight, twice): " + overBound;
        assertThat(overBound).as(excess).isEmpty();
    }
}
