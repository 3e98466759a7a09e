package dev.sluice.engine.queue;

import static dev.sluice.engine.queue.QueueFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.Position;
import dev.sluice.core.TableSchema;
import dev.sluice.core.Ticker;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import dev.sluice.engine.FakeSink;
import dev.sluice.engine.LoadShedding;
import dev.sluice.engine.RetryPolicy;
import dev.sluice.engine.SinkState;
import dev.sluice.testkit.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Start, pause, resume, reconfiguration, stop and removal, and a full buffer without a store: backpressure or load shedding. */
class SinkQueueLifecycleTest {
    private final QueueFixture queues = new QueueFixture();

    @AfterEach
    void stopQueues() {
        queues.stopAll();
    }

    @Test
    void start_passesSinkIdAndName() {
        FakeSink sink = new FakeSink();
        queues.started(sink, s -> {});
        assertThat(sink.startedWith).isEqualTo(new SinkContext("s1", "orders-hook", 10, Ticker.SYSTEM));
    }

    @Test
    void enqueue_blocksWhileQueueIsFullAndResumesWhenSinkDrains() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate gate = sink.block();
        SinkQueue p = queues.started(sink, s -> {
            s.batchSize = 1;
            s.maxQueueBytes = QueueFixture.roomFor(5);
        });
        // One row, so one group: nothing can pass the blocked first change.
        p.enqueue(insert(commitLsn(1), 0, "row"));
        gate.awaitEntered();

        int total = 50;
        AtomicInteger enqueued = new AtomicInteger();
        Thread reader = Thread.ofPlatform().name("test-reader").start(() -> {
            try {
                for (int i = 1; i <= total; i++) {
                    p.enqueue(insert(commitLsn(1), i, "row"));
                    enqueued.incrementAndGet();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        // The sink is stuck, so nothing can leave the queue: the reader must stop short and wait.
        eventually().until(() -> reader.getState() == Thread.State.TIMED_WAITING);
        int accepted = enqueued.get();
        assertThat(accepted).isPositive().isLessThan(total);
        assertThat(p.queuedMessages())
                .as("the first, in delivery, still counts")
                .isEqualTo(accepted + 1);

        gate.release();
        reader.join(Duration.ofSeconds(2));
        assertThat(reader.isAlive()).isFalse();
        p.markCommit(endLsn(1));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        List<Position> expected = new ArrayList<>();
        for (int i = 0; i <= total; i++) {
            expected.add(new Position(commitLsn(1), i));
        }
        assertThat(sink.deliveredPositions()).containsExactlyElementsOf(expected);
    }

    @Test
    void discardOnFull_dropsNewMessagesAndCountsThem_withoutHoldingTheSlot() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate held = sink.block();
        SinkQueue p = queues.started(sink, s -> {
            s.batchSize = 1;
            s.maxQueueBytes = QueueFixture.roomFor(5);
            s.loadShedding = LoadShedding.DISCARD_ON_FULL;
        });
        p.enqueue(update(commitLsn(1), 0, "r", 0));
        held.awaitEntered();
        for (int i = 1; i <= 50; i++) {
            p.enqueue(update(commitLsn(1), i, "r", i)); // never blocks
        }
        p.markCommit(endLsn(1));
        int kept = p.queuedMessages();
        assertThat(p.shedCount()).isPositive().isEqualTo(51 - kept);

        held.release();
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.deliveredMessages()).isEqualTo(kept);
        assertPerRowSequence(sink, 1);
    }

    @Test
    void stop_letsBatchInFlightFinishAndAcknowledgesIt() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate gate = sink.block();
        SinkQueue p = queues.started(sink, s -> {});
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.enqueue(insert(commitLsn(1), 1, "b"));
        p.markCommit(endLsn(1));
        gate.awaitEntered();

        Thread stopper = stopInBackground(p, Duration.ofSeconds(5));
        gate.release();
        stopper.join(Duration.ofSeconds(2));

        assertThat(stopper.isAlive()).isFalse();
        assertThat(sink.deliveredMessages()).isEqualTo(2);
        assertThat(p.acknowledgedLsn()).isEqualTo(endLsn(1));
        assertThat(sink.closed).isTrue();
    }

    /**
     * The batch went out before its transaction's commit mark arrived (batch full, or batch timeout in a
     * long transaction). Stopping must still acknowledge the transaction once that batch is delivered;
     * otherwise a graceful restart delivers it again.
     */
    @Test
    void stop_acknowledgesTransactionWhoseMarkArrivedWhileItsLastBatchWasInFlight() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate gate = sink.block();
        SinkQueue p = queues.started(sink, s -> s.batchSize = 1);
        p.enqueue(insert(commitLsn(1), 0, "a"));
        gate.awaitEntered();
        p.markCommit(endLsn(1));

        Thread stopper = stopInBackground(p, Duration.ofSeconds(5));
        gate.release();
        stopper.join(Duration.ofSeconds(2));

        assertThat(stopper.isAlive()).isFalse();
        assertThat(sink.deliveredMessages()).isEqualTo(1);
        assertThat(p.acknowledgedLsn()).isEqualTo(endLsn(1));
    }

    @Test
    void stop_finishesTheTransactionWhoseFirstBatchIsInFlight() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate gate = sink.block();
        SinkQueue p = queues.started(sink, s -> s.batchSize = 2);
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.enqueue(insert(commitLsn(1), 1, "b"));
        gate.awaitEntered();
        p.enqueue(insert(commitLsn(1), 2, "c"));
        p.markCommit(endLsn(1));
        p.enqueue(insert(commitLsn(2), 0, "d"));
        p.markCommit(endLsn(2));

        Thread stopper = stopInBackground(p, Duration.ofSeconds(5));
        gate.release();
        stopper.join(Duration.ofSeconds(2));

        // Transaction 1 had started, so the stop waits for all of it. Transaction 2 is finished only if it had
        // started too; either way everything delivered is acknowledged, so a restart repeats nothing.
        assertThat(stopper.isAlive()).isFalse();
        // Rows a, b and c are groups of their own: c may go out beside the blocked batch, or after it.
        assertThat(sink.deliveredPositions())
                .contains(new Position(commitLsn(1), 0), new Position(commitLsn(1), 1), new Position(commitLsn(1), 2));
        boolean second = sink.deliveredPositions().contains(new Position(commitLsn(2), 0));
        assertThat(sink.deliveredMessages()).isEqualTo(second ? 4 : 3);
        assertThat(p.acknowledgedLsn()).isEqualTo(second ? endLsn(2) : endLsn(1));
    }

    @Test
    void stop_givesUpOnBatchThatOutlastsGraceAndLeavesItUnacknowledged() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate gate = sink.block();
        SinkQueue p = queues.startedDelivering(sink, gate);

        p.stop(Duration.ofMillis(50));

        assertThat(p.acknowledgedLsn()).isZero();
        assertThat(sink.closed).isTrue();
        gate.release(); // a late completion must not acknowledge after stop
        assertThat(p.acknowledgedLsn()).isZero();
    }

    @Test
    void stop_cutsRetryWaitShortWithoutAcknowledging() throws InterruptedException {
        FakeSink sink = new FakeSink().failTimes(1);
        RetryPolicy slow = new RetryPolicy(Duration.ofMinutes(1), Duration.ofMinutes(1), 0);
        SinkQueue p = queues.pipeline(sink, s -> {}, slow);
        p.start();
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.markCommit(endLsn(1));
        eventually().until(() -> sink.attempts.size() == 1 && p.lastError() != null);

        long before = System.nanoTime();
        p.stop(Duration.ofSeconds(5));

        assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(1));
        assertThat(sink.attempts).hasSize(1);
        assertThat(p.acknowledgedLsn()).isZero();
    }

    @Test
    void paused_buffersWithoutDeliveringAndHoldsTheAcknowledgement() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = queues.started(sink, s -> {
            s.state = SinkState.PAUSED;
            s.batchTimeout = Duration.ofMillis(1);
        });
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.markCommit(endLsn(1));

        eventually()
                .during(Duration.ofMillis(100))
                .until(() -> sink.attempts.isEmpty() && p.acknowledgedLsn() == 0 && p.queuedMessages() == 1);
    }

    @Test
    void pause_holdsDeliveriesAndResumeDeliversThemInOrder() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = queues.started(sink, s -> s.batchSize = 2);
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.markCommit(endLsn(1));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));

        p.pause(Duration.ofSeconds(1));
        assertThat(p.state()).isEqualTo(SinkState.PAUSED);
        List<Position> held = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Change c = insert(commitLsn(2), i, "b" + i);
            p.enqueue(c);
            held.add(c.position());
        }
        p.markCommit(endLsn(2));
        eventually()
                .during(Duration.ofMillis(100))
                .until(() -> sink.deliveredMessages() == 1 && p.acknowledgedLsn() == endLsn(1));
        assertThat(p.queuedMessages()).isEqualTo(5);

        p.resume();
        eventually().until(() -> p.acknowledgedLsn() == endLsn(2));
        assertThat(p.state()).isEqualTo(SinkState.ACTIVE);
        assertThat(sink.deliveredPositions().subList(1, 6)).containsExactlyElementsOf(held);
        assertThat(sink.closed).as("pausing keeps the sink open").isFalse();
    }

    @Test
    void pause_putsBatchInRetryBackAtQueueHeadWithItsCommitMarks() throws InterruptedException {
        FakeSink sink = new FakeSink().failTimes(1_000);
        SinkQueue p = queues.pipeline(sink, s -> s.batchSize = 10);
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.markCommit(endLsn(1));
        p.enqueue(insert(commitLsn(2), 0, "b"));
        p.markCommit(endLsn(2));
        p.start(); // queued before the worker runs, so they form one batch
        eventually().until(() -> sink.attempts.size() >= 2); // the batch [a, b] is in retry
        assertThat(p.queuedMessages()).isEqualTo(2);
        assertThat(p.failingGroups()).isEqualTo(2);

        p.pause(Duration.ofSeconds(1));

        assertThat(p.queuedMessages()).isEqualTo(2);
        assertThat(p.acknowledgedLsn()).isZero();
        p.enqueue(insert(commitLsn(3), 0, "c"));
        p.markCommit(endLsn(3));
        FakeSink healthy = new FakeSink();
        p.reconfigure(spec(s -> s.batchSize = 1), healthy, Duration.ofSeconds(1));

        // Batches of one: each mark taken back with the batch acknowledges its own transaction.
        eventually().until(() -> p.acknowledgedLsn() == endLsn(3));
        assertThat(healthy.deliveredPositions())
                .containsExactly(
                        new Position(commitLsn(1), 0), new Position(commitLsn(2), 0), new Position(commitLsn(3), 0));
        assertThat(healthy.delivered).extracting(Batch::size).containsExactly(1, 1, 1);
    }

    @Test
    void pause_whileBatchIsFillingQueuesItsChangesAgain() throws InterruptedException {
        FakeSink sink = new FakeSink();
        // On a clock that does not move, pausing can only return because nothing is in delivery, not because its
        // grace ran out.
        SinkQueue p = queues.startedAt(new FakeTicker(), sink, s -> s.batchTimeout = Duration.ofMinutes(1));
        p.enqueue(insert(commitLsn(1), 0, "a"));
        awaitDispatcherLooked(p); // a partial batch waiting for more of the open transaction

        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> p.pause(Duration.ofSeconds(5)));
        assertThat(p.queuedMessages()).isEqualTo(1);

        p.enqueue(insert(commitLsn(1), 1, "b"));
        p.markCommit(endLsn(1));
        p.resume();
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.deliveredPositions())
                .containsExactly(new Position(commitLsn(1), 0), new Position(commitLsn(1), 1));
    }

    @Test
    void reconfigure_swapsSinkWhileRetryingAndNewSinkGetsEveryMessageOnceInOrder() throws InterruptedException {
        FakeSink failing = new FakeSink().failTimes(1_000);
        SinkQueue p = queues.started(failing, s -> s.batchSize = 3);
        List<Position> all = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            Change c = insert(commitLsn(1), i, "x" + i);
            p.enqueue(c);
            all.add(c.position());
        }
        p.markCommit(endLsn(1));
        eventually().until(() -> failing.attempts.size() >= 2);

        FakeSink fresh = new FakeSink();
        p.reconfigure(spec(s -> s.batchSize = 2), fresh, Duration.ofSeconds(1));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(failing.closed).isTrue();
        assertThat(failing.delivered).isEmpty();
        assertThat(fresh.startedWith).isEqualTo(new SinkContext("s1", "orders-hook", 2, Ticker.SYSTEM));
        assertThat(fresh.deliveredPositions()).containsExactlyElementsOf(all);
        assertThat(fresh.delivered).extracting(Batch::size).containsExactly(2, 2, 2, 1);
        assertThat(p.deliveredCount()).isEqualTo(7);
    }

    @Test
    void reconfigure_abandonsDeliveryOutlastingGraceAndDeliversItAgainWithNewSink() throws InterruptedException {
        FakeSink hung = new FakeSink();
        FakeSink.Gate never = hung.block();
        SinkQueue p = queues.startedDelivering(hung, never);

        FakeSink fresh = new FakeSink();
        p.reconfigure(spec(s -> {}), fresh, Duration.ofMillis(50));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(fresh.deliveredPositions()).containsExactly(new Position(commitLsn(1), 0));
        never.release(); // a late completion of the abandoned call changes nothing
        assertThat(p.deliveredCount()).isEqualTo(1);
    }

    @Test
    void reconfigure_toPausedAndBackWithSameSinkKeepsItOpen() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = queues.started(sink, s -> {});
        p.reconfigure(spec(s -> s.state = SinkState.PAUSED), sink, Duration.ofSeconds(1));
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.markCommit(endLsn(1));
        eventually().during(Duration.ofMillis(50)).until(() -> sink.attempts.isEmpty());
        assertThat(p.state()).isEqualTo(SinkState.PAUSED);

        p.reconfigure(spec(s -> {}), sink, Duration.ofSeconds(1));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.closed).isFalse();
        assertThat(sink.deliveredMessages()).isEqualTo(1);
    }

    @Test
    void reconfigure_newSinkFailingToStartLeavesPipelinePausedWithItsQueue() throws InterruptedException {
        FakeSink failing = new FakeSink().failTimes(1_000);
        SinkQueue p = queues.started(failing, s -> {});
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.markCommit(endLsn(1));
        eventually().until(() -> failing.attempts.size() >= 1);

        FakeSink unreachable = new FakeSink();
        unreachable.startError = new SinkException("connection refused", true);
        assertThatThrownBy(() -> p.reconfigure(spec(s -> {}), unreachable, Duration.ofSeconds(1)))
                .hasMessage("connection refused");
        assertThat(p.state()).isEqualTo(SinkState.PAUSED);
        assertThat(p.queuedMessages()).isEqualTo(1);

        unreachable.startError = null; // the same instance, fixed, is started this time
        p.reconfigure(spec(s -> {}), unreachable, Duration.ofSeconds(1));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(unreachable.deliveredPositions()).containsExactly(new Position(commitLsn(1), 0));
    }

    @Test
    void reconfigure_routingFollowsTheNewSpec() throws InterruptedException {
        SinkQueue p = queues.started(new FakeSink(), s -> s.tables = t -> true);
        assertThat(p.accepts(ORDERS, Action.INSERT)).isTrue(); // cached for this spec

        p.reconfigure(spec(s -> s.tables = t -> false), new FakeSink(), Duration.ofSeconds(1));
        assertThat(p.accepts(ORDERS, Action.INSERT)).isFalse();
    }

    @Test
    void remove_deliversNothingMoreClosesSinkAndReleasesWaitingReader() throws InterruptedException {
        FakeSink sink = new FakeSink().failTimes(1_000);
        SinkQueue p = queues.started(sink, s -> s.maxQueueBytes = QueueFixture.roomFor(5));
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.markCommit(endLsn(1));
        eventually().until(() -> sink.attempts.size() >= 1);
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 1; i < 100; i++) {
                    p.enqueue(insert(commitLsn(2), i, "row-" + i));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        eventually().until(() -> reader.getState() == Thread.State.TIMED_WAITING);

        p.remove(Duration.ofSeconds(1));

        reader.join(Duration.ofSeconds(2));
        assertThat(reader.isAlive())
                .as("the reader is not blocked by a removed sink")
                .isFalse();
        assertThat(sink.closed).isTrue();
        int attempts = sink.attempts.size();
        eventually().during(Duration.ofMillis(50)).until(() -> sink.attempts.size() == attempts);
        assertThat(p.acknowledgedLsn()).isZero();
    }

    @Test
    void groups_reconfiguredGroupColumnsRegroupBufferedMessagesInSlotOrder() throws InterruptedException {
        TableSchema orders =
                new TableSchema(ORDERS_ID, List.of(column("id"), column("name"), column("customer")), new int[] {0});
        FakeSink sink = new FakeSink().failTimes(1_000);
        SinkQueue p = queues.started(sink, s -> s.batchSize = 10);
        for (int i = 0; i < 6; i++) {
            p.enqueue(change(orders, commitLsn(1), i, "o" + i, "n", "cust" + (i % 2)));
        }
        p.markCommit(endLsn(1));
        eventually().until(() -> p.failingGroups() == 6);

        FakeSink healthy = new FakeSink();
        p.reconfigure(
                spec(s -> {
                    s.batchSize = 10;
                    s.groupColumns = Map.of(ORDERS_ID, List.of("customer"));
                }),
                healthy,
                Duration.ofSeconds(1));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        List<String> groupsInOrder = healthy.delivered.stream()
                .flatMap(b -> b.messages().stream())
                .map(m -> m.groupId() + "@" + m.position().commitIdx())
                .toList();
        assertThat(groupsInOrder.stream().filter(g -> g.startsWith("cust0")))
                .containsExactly("cust0@0", "cust0@2", "cust0@4");
        assertThat(groupsInOrder.stream().filter(g -> g.startsWith("cust1")))
                .containsExactly("cust1@1", "cust1@3", "cust1@5");
    }
}
