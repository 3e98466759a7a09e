package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * The server runs as a child JVM and is killed (SIGKILL) or stopped (SIGTERM) while changes flow;
 * after a restart every change has arrived, and any duplicate carries the same idempotency key.
 */
class NoLossIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    // Transactions committed while Sluice is down, before it starts again.
    private static final int WRITTEN_WHILE_DOWN = 100;

    @RegisterExtension
    final ServerFixture sluice = new ServerFixture();

    private String db;
    private WebhookReceiver receiver;
    private Path config;

    @BeforeEach
    void setUp() {
        db = sluice.database("noloss", "CREATE TABLE events (id int PRIMARY KEY, seq int NOT NULL)");
        receiver = sluice.receiver();
        config = sluice.writeConfig(sluice.yaml(db, "batch_size: 25"));
    }

    private ServerProcess startServer() throws Exception {
        return sluice.closeAfter(
                ServerProcess.start(sluice.home(), config, Map.of("SLUICE_DATABASE_URL", PG.jdbcUrl(sluice.metaDb()))));
    }

    /**
     * Each change ({@code "id:seq"}) accepted, with its idempotency key; a duplicate must carry the same key (also
     * ClusterIT's check).
     */
    static Map<String, String> keyByChange(List<JsonNode> accepted) {
        Map<String, String> keyByChange = new HashMap<>();
        for (JsonNode m : accepted) {
            String change = m.get("record").get("id").asInt() + ":"
                    + m.get("record").get("seq").asInt();
            String key = m.get("metadata").get("idempotency_key").asString();
            String prev = keyByChange.putIfAbsent(change, key);
            assertThat(prev == null || prev.equals(key))
                    .as("duplicate of %s carries the same idempotency key", change)
                    .isTrue();
        }
        return keyByChange;
    }

    private void assertEverythingArrivedOnce(Set<String> written) {
        try {
            receiver.awaitAccepted(
                    m -> keyByChange(m).keySet().containsAll(written), WAIT, written.size() + " written changes");
        } catch (AssertionError timeout) {
            // the assertions below say what is missing
        }
        Map<String, String> keyByChange = keyByChange(receiver.acceptedMessages());
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
        try (ServerProcess first = startServer()) {
            first.awaitHealthy(WAIT); // the slot exists from here on: start writing
            writer = new EventWriter(db);
            receiver.awaitAccepted(500, WAIT);
            first.kill();
        }
        int atKill = receiver.acceptedMessages().size();
        int transactionsAtKill = writer.transactions.get();
        await().atMost(WAIT).until(() -> writer.transactions.get() >= transactionsAtKill + WRITTEN_WHILE_DOWN);
        try (ServerProcess second = startServer()) {
            second.awaitHealthy(WAIT);
            receiver.awaitAccepted(atKill + 500, WAIT);
            writer.close();
            assertEverythingArrivedOnce(Set.copyOf(writer.written));
            assertThat(second.stop()).isIn(0, 143);
        }
        assertThat(writer.transactions.get()).isGreaterThan(100);
    }

    @Test
    void gracefulStopAcknowledgesWhatWasDelivered() throws Exception {
        EventWriter writer;
        try (ServerProcess first = startServer()) {
            first.awaitHealthy(WAIT); // the slot exists from here on: start writing
            writer = new EventWriter(db);
            receiver.awaitAccepted(300, WAIT);
            assertThat(first.stop()).isIn(0, 143);
            assertThat(first.output()).contains("Sluice stopped").doesNotContain("Exception");
        }
        writer.close();
        int beforeRestart = receiver.acceptedMessages().size();
        try (ServerProcess second = startServer()) {
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
