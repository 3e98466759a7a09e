package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Inserts and updates rows of {@code events (id int primary key, seq int)} in small transactions on its
 * own thread until closed. {@link #written} holds every change as {@code "id:seq"}, in commit order, so
 * tests can check that each one arrived and that each row's seq values arrived as 0, 1, 2, ...
 */
final class EventWriter implements AutoCloseable {
    private static final int CHANGES_PER_TRANSACTION = 5;
    private static final int FIRST_INSERTS = 50;

    final List<String> written = new CopyOnWriteArrayList<>();
    final AtomicInteger transactions = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final String database;
    private final Thread thread;
    private volatile @Nullable Throwable failure;

    EventWriter(String database) {
        this.database = database;
        this.thread = Thread.ofPlatform().name("event-writer").start(this::run);
    }

    private void run() {
        Map<Integer, Integer> seq = new HashMap<>();
        int nextId = 0;
        try (Connection c = PG.connect(database);
                Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            while (running.get()) {
                List<String> txn = new ArrayList<>();
                for (int i = 0; i < CHANGES_PER_TRANSACTION; i++) {
                    if (nextId < FIRST_INSERTS || i % 2 == 0) {
                        int id = nextId++;
                        s.execute("INSERT INTO events VALUES (" + id + ", 0)");
                        seq.put(id, 0);
                        txn.add(id + ":0");
                    } else {
                        int id = (nextId * 7 + i) % nextId;
                        int next = seq.merge(id, 1, Integer::sum);
                        s.execute("UPDATE events SET seq = " + next + " WHERE id = " + id);
                        txn.add(id + ":" + next);
                    }
                }
                c.commit();
                written.addAll(txn);
                transactions.incrementAndGet();
                Thread.sleep(2);
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join();
        assertThat(failure).isNull();
    }

    /**
     * Every written change ({@code "id:seq"}) arrived exactly once, and each row's seq values arrived as 0, 1, 2, ...
     * Pass {@link dev.sluice.server.fixture.Messages#firstCopies} of what arrived where redeliveries are expected.
     */
    static void assertExactlyOnceInRowOrder(List<JsonNode> got, List<String> written) {
        Map<String, Integer> copies = new LinkedHashMap<>();
        Map<Integer, Integer> lastSeq = new HashMap<>();
        List<String> outOfOrder = new ArrayList<>();
        for (JsonNode m : got) {
            int id = m.get("record").get("id").asInt();
            int seq = m.get("record").get("seq").asInt();
            copies.merge(id + ":" + seq, 1, Integer::sum);
            Integer prev = lastSeq.put(id, seq);
            if (seq != (prev == null ? 0 : prev + 1)) {
                outOfOrder.add("row " + id + ": " + prev + " then " + seq);
            }
        }
        assertThat(copies.entrySet().stream().filter(e -> e.getValue() > 1).toList())
                .as("duplicates")
                .isEmpty();
        assertThat(outOfOrder).as("per-row order").isEmpty();
        assertThat(copies.keySet()).containsExactlyInAnyOrderElementsOf(written);
    }
}
