package dev.sluice.engine.queue;

import static dev.sluice.engine.queue.QueueFixture.commitLsn;
import static dev.sluice.engine.queue.QueueFixture.endLsn;
import static dev.sluice.engine.queue.QueueFixture.eventually;
import static dev.sluice.engine.queue.QueueFixture.insert;
import static dev.sluice.engine.queue.QueueFixture.update;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.sluice.core.Position;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.engine.DeliveryLedger;
import dev.sluice.engine.FakeSink;
import dev.sluice.engine.LoadShedding;
import dev.sluice.engine.PipelineMetrics;
import dev.sluice.engine.SinkState;
import dev.sluice.testkit.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A full buffer moves the sink's backlog to the message store, so that the reader (and the slot, and the other sinks)
 * go on while its peer is down: within the spill budget, in per-row order, across a restart. Time is a
 * {@link FakeTicker} that only the test moves: a peer that is down is never retried until the test says.
 */
class SinkQueueSpillTest {
    private static final long SMALL = QueueFixture.roomFor(40); // about 40 messages in memory
    // Messages of groups that joined since the buffer was last full stay in memory, holding the slot: at most this
    // many transactions of one small message each.
    private static final int HELD_AT_MOST = (int) (SMALL / Msg.ENTRY_OVERHEAD);
    private static final Duration READER_LIMIT = Duration.ofSeconds(10);

    private final QueueFixture queues = new QueueFixture();
    private final FakeTicker ticker = new FakeTicker();
    private final MemoryStore store = new MemoryStore();
    private final FakeSink sink = new FakeSink();

    @AfterEach
    void stopQueues() {
        queues.stopAll();
    }

    @Test
    void fullSink_withItsPeerDown_movesItsBacklogToTheStore_soTheReaderAndTheSlotGoOn_andNothingIsLostOrReordered() {
        sink.poison = m -> true; // down: after a few failures only probes go, on the ticker
        SinkQueue p = spilling(s -> {});
        int txns = 300;
        int rows = 20;

        // Without the store, the reader would wait for room as long as the peer is down.
        assertTimeoutPreemptively(READER_LIMIT, () -> {
            for (int t = 1; t <= txns; t++) {
                for (int i = 0; i < 5; i++) {
                    int seq = t * 5 + i;
                    p.enqueue(update(commitLsn(t), i, "row" + (seq % rows), seq));
                }
                p.markCommit(endLsn(t));
            }
        });
        eventually().until(() -> p.acknowledgedLsn() == endLsn(txns)); // every row's group was marked for the store
        assertThat(p.bufferedBytes()).isLessThanOrEqualTo(SMALL);
        assertThat(p.queuedMessages()).isEqualTo(txns * 5);
        assertThat(p.shedCount()).isZero();
        SinkQueue.StoreUse use = p.storeUse();
        assertThat(use.spilledMessages()).isPositive();
        assertThat(use.storedBytes()).as("counted as the store has them").isEqualTo(store.bytes());

        peerBack(p);
        eventually().until(() -> p.queuedMessages() == 0 && store.rows.isEmpty());
        assertEveryRowInOrder(txns * 5, rows);
        assertThat(p.storeUse()).isEqualTo(new SinkQueue.StoreUse(0, 0));
    }

    @Test
    void fullSink_withAGroupPerRow_loadsItsBacklogBackByScanningTheStoreInSlotOrder() {
        sink.poison = m -> true;
        SinkQueue p = spilling(s -> s.batchSize = 50);
        int n = 2000; // inserts: every row a group of its own
        assertTimeoutPreemptively(READER_LIMIT, () -> {
            for (int t = 1; t <= n; t++) {
                p.enqueue(insert(commitLsn(t), 0, "row" + t));
                p.markCommit(endLsn(t));
            }
        });
        eventually().until(() -> p.acknowledgedLsn() >= endLsn(n - HELD_AT_MOST));
        assertThat(store.rows.size()).isGreaterThan(n - HELD_AT_MOST);

        peerBack(p);
        eventually().until(() -> p.queuedMessages() == 0 && store.rows.isEmpty());
        assertThat(sink.deliveredPositions()).doesNotHaveDuplicates().hasSize(n);
        assertThat(store.groupLoads.get())
                .as("group by group would be a query per row: %d scans", store.scans.get())
                .isLessThan(n / 10);
    }

    @Test
    void fullSink_withoutMessageGrouping_spillsAndLoadsEachMessageAlone() {
        sink.poison = m -> true;
        SinkQueue p = spilling(s -> s.messageGrouping = false);
        int n = 500;
        assertTimeoutPreemptively(READER_LIMIT, () -> {
            for (int t = 1; t <= n; t++) {
                p.enqueue(update(commitLsn(t), 0, "same-row", t));
                p.markCommit(endLsn(t));
            }
        });
        eventually().until(() -> p.acknowledgedLsn() >= endLsn(n - HELD_AT_MOST));

        peerBack(p);
        eventually().until(() -> p.queuedMessages() == 0 && store.rows.isEmpty());
        assertThat(sink.deliveredPositions()).doesNotHaveDuplicates().hasSize(n);
    }

    @Test
    void fullSink_onceItsSpillBudgetIsUsedUp_shedsWithDiscardOnFull_andStoresNoMore() throws InterruptedException {
        sink.poison = m -> true;
        long budget = 40_000; // a few dozen messages of JSON
        SinkQueue p = spilling(s -> {
            s.maxSpillBytes = budget;
            s.loadShedding = LoadShedding.DISCARD_ON_FULL;
        });
        int n = 1000;
        // Ten rows: each failing group keeps its head in memory, and fifty heads would fill the buffer alone (then
        // nothing can be stored and shedding starts before the budget is used up). Each group fails once before the
        // flood: a group whose batch is in delivery cannot be stored, so a buffer full of first attempts sheds at
        // once, whatever the budget (how many that is would depend on the machine's speed).
        for (int t = 1; t <= 10; t++) {
            p.enqueue(update(commitLsn(t), 0, "row" + (t % 10), t));
            p.markCommit(endLsn(t));
        }
        eventually().until(() -> p.failingGroups() == 10);
        assertTimeoutPreemptively(READER_LIMIT, () -> {
            for (int t = 11; t <= n; t++) {
                p.enqueue(update(commitLsn(t), 0, "row" + (t % 10), t)); // never waits for the peer
                p.markCommit(endLsn(t));
            }
        });
        assertThat(p.shedCount()).as("shed once the budget was used up").isPositive();
        assertThat(p.queuedMessages() + p.shedCount()).isEqualTo(n);
        long oneMessage = store.rows.firstEntry().getValue().json().length;
        assertThat(store.bytes()).isBetween(budget - 2 * oneMessage, budget + oneMessage);
        assertThat(p.storeUse().storedBytes()).isEqualTo(store.bytes());

        peerBack(p);
        eventually().until(() -> p.queuedMessages() == 0 && store.rows.isEmpty());
        QueueFixture.assertPerRowSequence(sink, 10);
    }

    @Test
    void fullSink_onceItsSpillBudgetIsUsedUp_holdsTheReaderWithPauseOnFull_untilDeliveriesFreeIt()
            throws InterruptedException {
        sink.poison = m -> true;
        SinkQueue p = spilling(s -> s.maxSpillBytes = 40_000);
        AtomicLong enqueued = new AtomicLong();
        Thread reader = Thread.ofPlatform().name("test-reader").start(() -> {
            try {
                for (int t = 1; t <= 1000; t++) {
                    p.enqueue(update(commitLsn(t), 0, "row" + (t % 50), t));
                    p.markCommit(endLsn(t));
                    enqueued.incrementAndGet();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        eventually().until(() -> reader.getState() == Thread.State.TIMED_WAITING && store.bytes() > 30_000);
        long held = enqueued.get();
        assertThat(held).as("the reader waits").isLessThan(1000);
        assertThat(p.acknowledgedLsn()).as("what memory holds, holds the slot").isLessThan(endLsn((int) held));

        peerBack(p);
        reader.join(READER_LIMIT);
        assertThat(reader.isAlive()).isFalse();
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1000) && store.rows.isEmpty());
        assertThat(p.shedCount()).isZero();
        QueueFixture.assertPerRowSequence(sink, 50);
        assertThat(sink.deliveredMessages()).isEqualTo(1000);
    }

    @Test
    void fullSink_thatOnlyLooksSlow_holdsTheReader_andMovesItsBacklogToTheStoreOnceItLooksStuck()
            throws InterruptedException {
        List<FakeSink.Gate> gates = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            gates.add(sink.block()); // every batch sent hangs until released
        }
        SinkQueue p = spilling(s -> {});
        int n = 2000; // inserts: a group per row, so most groups have no batch in delivery and can be stored
        AtomicLong enqueued = new AtomicLong();
        Thread reader = Thread.ofPlatform().name("test-reader").start(() -> {
            try {
                for (int t = 1; t <= n; t++) {
                    p.enqueue(insert(commitLsn(t), 0, "row" + t));
                    p.markCommit(endLsn(t));
                    enqueued.incrementAndGet();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        eventually()
                .until(() -> reader.getState() == Thread.State.TIMED_WAITING
                        && gates.getFirst().entered());
        assertThat(store.rows)
                .as("within %s of its start, a sink is taken for slow: backpressure", "2 s")
                .isEmpty();
        assertThat(enqueued.get()).as("the reader waits").isLessThan(n);

        ticker.advance(Outcomes.STUCK_AFTER.plusSeconds(1)); // no batch has come back since: stuck
        reader.join(READER_LIMIT);
        assertThat(reader.isAlive())
                .as("the backlog went to the store and the reader went on")
                .isFalse();
        assertThat(store.rows).isNotEmpty();

        gates.forEach(FakeSink.Gate::release);
        eventually().until(() -> p.queuedMessages() == 0 && store.rows.isEmpty());
        assertThat(sink.deliveredPositions()).doesNotHaveDuplicates().hasSize(n);
    }

    @Test
    void fullSink_whenTheStoreIsDown_holdsTheReaderAsWithoutAStore() throws InterruptedException {
        sink.poison = m -> true;
        store.down = true;
        SinkQueue p = spilling(s -> {});
        Thread reader = waitingReader(p);
        assertThat(store.rows).isEmpty();
        assertThat(p.acknowledgedLsn()).isZero();

        store.down = false;
        // The store's retry pause passes. The failed call that set it may end after any one advance (the dispatcher
        // runs apart from this thread), so time goes on in steps until the reader is free.
        eventually().until(() -> {
            ticker.advance(Duration.ofSeconds(5));
            reader.join(Duration.ofMillis(50));
            return !reader.isAlive();
        });
        eventually().until(() -> p.acknowledgedLsn() == endLsn(500));
        peerBack(p);
        eventually().until(() -> p.queuedMessages() == 0 && store.rows.isEmpty());
        QueueFixture.assertPerRowSequence(sink, 10);
    }

    @Test
    void pausedSink_keepsItsBufferInMemory_andHoldsTheSlot() throws InterruptedException {
        SinkQueue p = spilling(s -> s.state = SinkState.PAUSED);
        Thread reader = waitingReader(p);
        assertThat(store.rows).isEmpty();
        assertThat(p.acknowledgedLsn()).isZero();

        p.resume();
        reader.join(READER_LIMIT);
        eventually().until(() -> p.acknowledgedLsn() == endLsn(500));
        // Acknowledged may mean stored: once resumed, a busy machine can spill what the sink has not taken yet.
        eventually().until(() -> p.queuedMessages() == 0 && store.rows.isEmpty());
        QueueFixture.assertPerRowSequence(sink, 10);
    }

    @Test
    void restart_midOutage_loadsOnlyWhatFits_andTheRestFollowsInOrderAheadOfTheSlotsReplay()
            throws InterruptedException {
        sink.poison = m -> true;
        SinkQueue first = spilling(s -> {});
        int txns = 400;
        for (int t = 1; t <= txns; t++) {
            first.enqueue(insert(commitLsn(t), 0, "row" + t));
            first.enqueue(update(commitLsn(t), 1, "hot", t));
            first.markCommit(endLsn(t));
        }
        eventually().until(() -> first.acknowledgedLsn() >= endLsn(txns - HELD_AT_MOST));
        DeliveryLedger.Progress progress = first.progress();
        first.stop(Duration.ofMillis(100)); // what memory held is the slot's to send again, as after a crash

        FakeSink healthy = new FakeSink();
        SinkQueue second = queues.stored(healthy, store, ticker, PipelineMetrics.NONE, s -> s.maxQueueBytes = SMALL);
        second.restore(progress);
        second.restoreStored();
        assertThat(second.bufferedBytes()).isLessThanOrEqualTo(SMALL);
        assertThat(second.queuedMessages()).isEqualTo(store.rows.size());
        assertThat(second.storeUse().storedBytes()).isEqualTo(store.bytes());
        second.start();
        // The slot sends again what was not acknowledged; what the sink had stored is skipped. Then it goes on.
        for (int t = 1; t <= txns + 1; t++) {
            if (endLsn(t) > progress.acknowledgedLsn()) {
                second.enqueue(insert(commitLsn(t), 0, "row" + t));
                second.enqueue(update(commitLsn(t), 1, "hot", t));
                second.markCommit(endLsn(t));
            }
        }
        ticker.advance(Duration.ofMinutes(1)); // the restored failing groups resume their back-off
        eventually().until(() -> second.acknowledgedLsn() == endLsn(txns + 1) && second.queuedMessages() == 0);
        eventually().until(() -> store.rows.isEmpty());
        List<Integer> hot = new ArrayList<>();
        for (Batch b : healthy.delivered) {
            for (SinkMessage m : b.messages()) {
                if ("hot".equals(m.groupId())) {
                    hot.add(Integer.parseInt(FakeSink.column(m, "name")));
                }
            }
        }
        assertThat(hot).isEqualTo(IntStream.rangeClosed(1, txns + 1).boxed().toList());
        assertThat(healthy.deliveredPositions()).doesNotHaveDuplicates().hasSize(2 * (txns + 1));
    }

    @Test
    void metrics_showTheStoredBytesAndTheBudget() {
        sink.poison = m -> true;
        Map<String, long[]> seen = new HashMap<>();
        PipelineMetrics metrics = new PipelineMetrics() {
            @Override
            public void ingested(String s, int n) {}

            @Override
            public void delivered(String s, int n, long latencyNanos) {}

            @Override
            public void failed(String s, int n) {}

            @Override
            public void discarded(String s, int n) {}

            @Override
            public void stored(String s, long bytes, long maxBytes) {
                synchronized (seen) {
                    seen.put(s, new long[] {bytes, maxBytes});
                }
            }
        };
        SinkQueue p = queues.stored(sink, store, ticker, metrics, s -> {
            s.maxQueueBytes = SMALL;
            s.maxSpillBytes = 1 << 20;
        });
        p.start();
        assertTimeoutPreemptively(READER_LIMIT, () -> {
            for (int t = 1; t <= 200; t++) {
                p.enqueue(insert(commitLsn(t), 0, "row" + t));
                p.markCommit(endLsn(t));
            }
        });
        eventually().until(() -> {
            synchronized (seen) {
                long[] v = seen.get("orders-hook");
                return v != null && v[0] == store.bytes() && v[1] == 1 << 20;
            }
        });
        peerBack(p);
        eventually().until(() -> {
            synchronized (seen) {
                return seen.get("orders-hook")[0] == 0;
            }
        });
    }

    /** Started, on the test's ticker and store, with a small buffer. */
    private SinkQueue spilling(Consumer<QueueFixture.SpecBuilder> customize) {
        SinkQueue p = queues.stored(sink, store, ticker, PipelineMetrics.NONE, s -> {
            s.maxQueueBytes = SMALL;
            customize.accept(s);
        });
        p.start();
        return p;
    }

    /** A reader of 500 one-change transactions over 10 rows, once it waits for room in {@code p}. */
    private static Thread waitingReader(SinkQueue p) {
        Thread reader = Thread.ofPlatform().name("test-reader").start(() -> {
            try {
                for (int t = 1; t <= 500; t++) {
                    p.enqueue(update(commitLsn(t), 0, "row" + (t % 10), t));
                    p.markCommit(endLsn(t));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        eventually().until(() -> reader.getState() == Thread.State.TIMED_WAITING);
        return reader;
    }

    /** The peer answers again: a probe goes now, and every back-off of the outage runs out. */
    private void peerBack(SinkQueue p) {
        sink.poison = null;
        p.resume();
        p.redeliver(null);
        ticker.advance(Duration.ofMinutes(1));
    }

    /** Every change 5..5*(txns+1)-1 was delivered, once, and each row's in order. */
    private void assertEveryRowInOrder(int changes, int rows) {
        List<Integer> seqs = new ArrayList<>();
        for (Batch b : sink.delivered) {
            for (SinkMessage m : b.messages()) {
                seqs.add(Integer.parseInt(FakeSink.column(m, "name")));
            }
        }
        assertThat(seqs).doesNotHaveDuplicates().hasSize(changes);
        QueueFixture.assertPerRowSequence(sink, rows);
        assertThat(sink.deliveredPositions()).doesNotHaveDuplicates();
        assertThat(sink.deliveredPositions().stream().map(Position::commitLsn).distinct())
                .hasSize(changes / 5);
    }
}
