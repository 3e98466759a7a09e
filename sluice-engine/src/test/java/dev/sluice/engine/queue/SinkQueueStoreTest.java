package dev.sluice.engine.queue;

import static dev.sluice.engine.queue.QueueFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Position;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.engine.DeliveryLedger;
import dev.sluice.engine.FakeSink;
import dev.sluice.engine.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Failing groups' messages in the message store: they stop holding the slot, come back in order (after a restart too), and the store being down falls back to memory. */
class SinkQueueStoreTest {
    private final QueueFixture queues = new QueueFixture();

    @AfterEach
    void stopQueues() {
        queues.stopAll();
    }

    @Test
    void store_aFailingRowIsStoredAndStopsHoldingTheSlot_thenGoesOutInOrderAndLeavesTheStore()
            throws InterruptedException {
        FakeSink sink = new FakeSink();
        sink.poison = m -> FakeSink.column(m, "id").equals("bad");
        MemoryStore store = new MemoryStore();
        SinkQueue p = queues.stored(sink, store, s -> s.batchSize = 5);
        p.start();
        for (int t = 1; t <= 4; t++) {
            p.enqueue(update(commitLsn(t), 0, "bad", t));
            p.enqueue(update(commitLsn(t), 1, "good", t));
            p.markCommit(endLsn(t));
        }
        // Every good row goes out (retried alone after failing in a batch with the bad one); the bad row's four
        // changes are stored, so every transaction is acknowledged.
        eventually().until(() -> p.acknowledgedLsn() == endLsn(4) && sink.deliveredMessages() == 4);
        eventually().until(() -> store.rows.size() == 4);
        assertThat(store.rows.keySet())
                .containsExactly(
                        new Position(commitLsn(1), 0),
                        new Position(commitLsn(2), 0),
                        new Position(commitLsn(3), 0),
                        new Position(commitLsn(4), 0));
        eventually().until(() -> store.rows.get(new Position(commitLsn(1), 0)).deliverCount() >= 1);
        assertThat(store.rows.firstEntry().getValue().lastError()).contains("poisoned row");
        assertThat(p.failingGroups()).isEqualTo(1);

        // A change joining the failing row is stored too.
        p.enqueue(update(commitLsn(5), 0, "bad", 5));
        p.markCommit(endLsn(5));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(5) && store.rows.size() == 5);

        sink.poison = null;
        eventually().until(() -> store.rows.isEmpty() && p.failingGroups() == 0);
        assertPerRowSequence(sink, 2);
        assertThat(sink.deliveredMessages()).isEqualTo(9);
    }

    @Test
    void store_restoredMessagesGoFirst_andTheSlotsReplayOfThemIsSkipped() throws InterruptedException {
        MemoryStore store = new MemoryStore();
        FakeSink failing = new FakeSink();
        failing.poison = m -> true;
        SinkQueue first = queues.stored(failing, store, s -> s.batchSize = 10);
        first.start();
        first.enqueue(update(commitLsn(1), 0, "r", 1));
        first.enqueue(update(commitLsn(1), 1, "r", 2));
        first.markCommit(endLsn(1));
        eventually().until(() -> first.acknowledgedLsn() == endLsn(1) && store.rows.size() == 2);
        DeliveryLedger.Progress progress = first.progress();
        first.stop(Duration.ofMillis(100));

        // A restart: the stored messages come back, the slot replays transaction 1 (skipped) and then 2.
        FakeSink sink = new FakeSink();
        SinkQueue second = queues.stored(sink, store, s -> s.batchSize = 10);
        second.restore(progress);
        second.restoreStored(store.load("s1", null, Integer.MAX_VALUE, Long.MAX_VALUE));
        second.start();
        second.enqueue(update(commitLsn(1), 0, "r", 1));
        second.enqueue(update(commitLsn(1), 1, "r", 2));
        second.markCommit(endLsn(1));
        second.enqueue(update(commitLsn(2), 0, "r", 3));
        second.markCommit(endLsn(2));
        eventually().until(() -> second.acknowledgedLsn() == endLsn(2) && store.rows.isEmpty());
        assertThat(sink.deliveredPositions())
                .containsExactly(
                        new Position(commitLsn(1), 0), new Position(commitLsn(1), 1), new Position(commitLsn(2), 0));
    }

    @Test
    void store_discardAndRedeliverOnRequest() throws InterruptedException {
        MemoryStore store = new MemoryStore();
        FakeSink sink = new FakeSink();
        sink.poison = m -> FakeSink.column(m, "name").equals("1");
        SinkQueue p = queues.stored(sink, store, s -> {
            s.batchSize = 1;
            s.retry = new RetryPolicy(Duration.ofMinutes(5), Duration.ofMinutes(5), 0);
        });
        p.start();
        p.enqueue(update(commitLsn(1), 0, "r", 1));
        p.enqueue(update(commitLsn(1), 1, "r", 2));
        p.markCommit(endLsn(1));
        eventually().until(() -> store.rows.size() == 2 && p.failingGroups() == 1);
        int attempts = sink.attempts.size();

        // Waiting five minutes: redeliver retries at once.
        assertThat(p.redeliver(null)).isEqualTo(1);
        eventually().until(() -> sink.attempts.size() == attempts + 1);
        assertThat(p.redeliver(new Position(commitLsn(9), 0))).isZero();

        // Discarding the failed change lets the row go on with its next one.
        eventually().until(() -> p.failingGroups() == 1);
        assertThat(p.discard(null)).isEqualTo(1);
        eventually().until(() -> store.rows.isEmpty() && sink.deliveredMessages() == 1);
        assertThat(sink.deliveredPositions()).containsExactly(new Position(commitLsn(1), 1));
        assertThat(p.discardedCount()).isEqualTo(1);
        eventually().until(() -> store.discarded.containsKey(new Position(commitLsn(1), 0)));
        assertThat(store.discarded.get(new Position(commitLsn(1), 0)).lastError())
                .contains("poisoned row");
        eventually().until(() -> p.failingGroups() == 0); // once the next message has succeeded
        assertThat(p.lastError()).isNull();
    }

    @Test
    void spill_whenMemoryRunsShort_aFailingRowsBacklogWaitsInTheStoreOnly_andGoesOutInOrderOnceItSucceeds()
            throws InterruptedException {
        MemoryStore store = new MemoryStore();
        FakeSink sink = new FakeSink();
        sink.poison = m -> FakeSink.column(m, "id").equals("bad");
        Consumer<SpecBuilder> small = s -> {
            s.batchSize = 10;
            s.maxQueueBytes = QueueFixture.roomFor(20); // about 20 messages
        };
        SinkQueue p = queues.stored(sink, store, small);
        p.start();
        int n = 500;
        for (int t = 1; t <= n; t++) {
            p.enqueue(update(commitLsn(t), 0, "bad", t)); // would wait for room forever without spilling
            p.enqueue(update(commitLsn(t), 1, "good" + (t % 5), t));
            p.markCommit(endLsn(t));
        }
        eventually().until(() -> p.acknowledgedLsn() == endLsn(n) && store.rows.size() == n);
        assertThat(p.bufferedBytes()).isLessThanOrEqualTo(QueueFixture.roomFor(20));
        assertThat(p.queuedMessages()).isEqualTo(n);
        assertThat(p.failingGroups()).isEqualTo(1);

        // A reconfiguration keeps the spilled row as it is.
        p.reconfigure(spec(small), sink, Duration.ofSeconds(5));
        sink.poison = null;
        eventually().until(() -> p.queuedMessages() == 0 && store.rows.isEmpty());
        List<Integer> bad = new ArrayList<>();
        for (Batch b : sink.delivered) {
            for (SinkMessage m : b.messages()) {
                if (FakeSink.column(m, "id").equals("bad")) {
                    bad.add(Integer.parseInt(FakeSink.column(m, "name")));
                }
            }
        }
        assertThat(bad)
                .containsExactlyElementsOf(
                        java.util.stream.IntStream.rangeClosed(1, n).boxed().toList());
        assertThat(sink.deliveredMessages()).isEqualTo(2 * n);
        assertPerRowSequence(sink, 6);
        assertThat(store.groupLoads.get()).as("loaded back in chunks").isGreaterThanOrEqualTo(5);
        assertThat(p.failingGroups()).isZero();
    }

    @Test
    void spill_afterARestart_onlyWhatFitsIsLoaded_andTheRestFollowsInOrder() throws InterruptedException {
        MemoryStore store = new MemoryStore();
        FakeSink sink = new FakeSink();
        sink.poison = m -> true;
        Consumer<SpecBuilder> small = s -> {
            s.batchSize = 10;
            s.maxQueueBytes = QueueFixture.roomFor(20);
        };
        SinkQueue first = queues.stored(sink, store, small);
        first.start();
        int n = 300;
        for (int t = 1; t <= n; t++) {
            first.enqueue(update(commitLsn(t), 0, "r" + (t % 3), t));
            first.markCommit(endLsn(t));
        }
        eventually().until(() -> first.acknowledgedLsn() == endLsn(n) && store.rows.size() == n);
        first.stop(Duration.ofSeconds(1));

        FakeSink healthy = new FakeSink();
        SinkQueue second = queues.stored(healthy, store, small);
        second.restoreStored(store.load("s1", null, 100, Long.MAX_VALUE));
        second.restoreStored(store.load("s1", new Position(commitLsn(100), 0), 100, Long.MAX_VALUE));
        second.restoreStored(store.load("s1", new Position(commitLsn(200), 0), 100, Long.MAX_VALUE));
        assertThat(second.bufferedBytes()).isLessThanOrEqualTo(QueueFixture.roomFor(20));
        assertThat(second.queuedMessages()).isEqualTo(n);
        second.start();
        eventually().until(() -> second.queuedMessages() == 0 && store.rows.isEmpty());
        assertThat(healthy.deliveredMessages()).isEqualTo(n);
        assertPerRowSequence(healthy, 3);
    }

    @Test
    void store_whenTheStoreIsDown_failingMessagesStayInMemoryAndHoldTheSlot() throws InterruptedException {
        MemoryStore store = new MemoryStore();
        store.down = true;
        FakeSink sink = new FakeSink();
        sink.poison = m -> true;
        SinkQueue p = queues.stored(sink, store, s -> s.batchSize = 10);
        p.start();
        p.enqueue(update(commitLsn(1), 0, "r", 1));
        p.markCommit(endLsn(1));
        eventually().until(() -> sink.attempts.size() >= 2);
        assertThat(p.acknowledgedLsn()).isZero();
        assertThat(store.rows).isEmpty();

        sink.poison = null;
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.deliveredMessages()).isEqualTo(1);
    }
}
