package dev.sluice.server.runtime;

import static dev.sluice.server.runtime.E2e.PG;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The server runs as a child JVM and is killed (SIGKILL) or stopped (SIGTERM) while changes flow;
 * after a restart every change has arrived, and any duplicate carries the same idempotency key.
 */
class NoLossIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path home;

    private String db;
    private String meta;
    private String slot;
    private WebhookReceiver receiver;
    private Path config;
    private ServerProcess current;

    @BeforeEach
    void setUp() throws Exception {
        db = PG.createDatabase("noloss");
        meta = PG.createDatabase("meta");
        slot = "slot_" + db;
        receiver = WebhookReceiver.start();
        PG.execute(db, "CREATE TABLE events (id int PRIMARY KEY, seq int NOT NULL)");
        config = E2e.write(home, E2e.yaml(db, slot, receiver, "batch_size: 25"));
    }

    @AfterEach
    void tearDown() {
        receiver.close();
        E2e.dropSlot(db, slot);
    }

    private Map<String, String> env() {
        return Map.of("SLUICE_DATABASE_URL", PG.jdbcUrl(meta));
    }

    private void awaitAccepted(int n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (receiver.acceptedMessages().size() < n && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    private void assertEverythingArrivedOnce(Set<String> written) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        Map<String, String> keyByChange = new HashMap<>();
        Map<String, Integer> copies = new HashMap<>();
        while (System.nanoTime() < deadline) {
            keyByChange.clear();
            copies.clear();
            for (JsonNode m : receiver.acceptedMessages()) {
                String change = m.get("record").get("id").asInt() + ":"
                        + m.get("record").get("seq").asInt();
                String key = m.get("metadata").get("idempotency_key").asString();
                String prev = keyByChange.putIfAbsent(change, key);
                assertThat(prev == null || prev.equals(key))
                        .as("duplicate of %s carries the same idempotency key", change)
                        .isTrue();
                copies.merge(change, 1, Integer::sum);
            }
            if (keyByChange.keySet().containsAll(written)) {
                break;
            }
            Thread.sleep(100);
        }
        Set<String> missing = new HashSet<>(written);
        missing.removeAll(keyByChange.keySet());
        Set<String> idsSeen = new HashSet<>();
        for (JsonNode m : receiver.acceptedMessages()) {
            idsSeen.add(m.get("record").get("id").asString());
        }
        String sample = missing.stream()
                .limit(3)
                .map(c -> c + (idsSeen.contains(c.split(":")[0]) ? "(id seen)" : "(id never seen)"))
                .toList()
                .toString();
        assertThat(missing)
                .as(
                        "changes never delivered (of %d written, %d received; %s)",
                        written.size(), receiver.acceptedMessages().size(), sample)
                .isEmpty();
        assertThat(keyByChange.keySet())
                .as("nothing delivered that was not written")
                .isEqualTo(written);
    }

    @Test
    void sigkillMidStreamThenRestartDeliversEveryChange() throws Exception {
        EventWriter writer;
        try (ServerProcess first = ServerProcess.start(home, config, env())) {
            first.awaitHealthy(WAIT); // the slot exists from here on: start writing
            writer = new EventWriter(db);
            awaitAccepted(500);
            first.kill();
        }
        int atKill = receiver.acceptedMessages().size();
        Thread.sleep(500); // changes keep coming while Sluice is down
        try (ServerProcess second = ServerProcess.start(home, config, env())) {
            current = second;
            second.awaitHealthy(WAIT);
            awaitAccepted(atKill + 500);
            writer.close();
            assertEverythingArrivedOnce(Set.copyOf(writer.written));
            assertThat(second.stop()).isIn(0, 143);
        }
        assertThat(writer.transactions.get()).isGreaterThan(100);
    }

    @Test
    void gracefulStopAcknowledgesWhatWasDelivered() throws Exception {
        EventWriter writer;
        try (ServerProcess first = ServerProcess.start(home, config, env())) {
            first.awaitHealthy(WAIT); // the slot exists from here on: start writing
            writer = new EventWriter(db);
            awaitAccepted(300);
            assertThat(first.stop()).isIn(0, 143);
            assertThat(first.output()).contains("Sluice stopped").doesNotContain("Exception");
        }
        writer.close();
        int beforeRestart = receiver.acceptedMessages().size();
        try (ServerProcess second = ServerProcess.start(home, config, env())) {
            current = second;
            second.awaitHealthy(WAIT);
            assertEverythingArrivedOnce(Set.copyOf(writer.written));
            second.stop();
        }
        // After a graceful stop nothing already delivered is delivered again.
        List<JsonNode> all = receiver.acceptedMessages();
        Set<String> keys = new HashSet<>();
        for (JsonNode m : all) {
            keys.add(m.get("metadata").get("idempotency_key").asString());
        }
        assertThat(keys).hasSize(all.size());
        assertThat(all.size()).isGreaterThanOrEqualTo(beforeRestart);
    }
}
