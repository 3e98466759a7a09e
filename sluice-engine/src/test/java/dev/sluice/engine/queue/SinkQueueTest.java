package dev.sluice.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.Column;
import dev.sluice.core.MessageContext;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import dev.sluice.core.Ticker;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.ValueCodec;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.engine.DeliveryLedger;
import dev.sluice.engine.FakeSink;
import dev.sluice.engine.LoadShedding;
import dev.sluice.engine.MessageStore;
import dev.sluice.engine.PipelineMetrics;
import dev.sluice.engine.RetryPolicy;
import dev.sluice.engine.SinkSpec;
import dev.sluice.engine.SinkState;
import dev.sluice.testkit.FakeTicker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SinkQueueTest {
    private static final TableId ORDERS_ID = new TableId("public", "orders");
    private static final TableSchema ORDERS =
            new TableSchema(ORDERS_ID, List.of(column("id"), column("name")), new int[] {0});
    private static final MessageContext CONTEXT = new MessageContext(
            "c1", "orders-hook", "{}", "d1", "shop", "{}", "shop", "localhost", TimestampFormat.ISO8601);
    private static final Instant COMMITTED = Instant.parse("2025-01-02T03:04:05.123456Z");
    /** A few milliseconds, so retry tests take no noticeable time. */
    private static final RetryPolicy FAST = new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(4), 0);

    private final List<SinkQueue> pipelines = new ArrayList<>();

    @AfterEach
    void stopPipelines() {
        for (SinkQueue p : pipelines) {
            p.stop(Duration.ofMillis(100));
        }
    }

    // ---- backfill reads ----

    @Test
    void enqueueReads_deliversJsonEncodedBeforeQueueingUnderTheSinksContext() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = started(sink, s -> s.batchSize = 10);
        java.util.concurrent.atomic.AtomicInteger resolved = new java.util.concurrent.atomic.AtomicInteger();
        List<SinkQueue.Read> reads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            reads.add(new SinkQueue.Read(read(i), "k" + i, ("pre-" + i).getBytes(StandardCharsets.UTF_8), 100));
        }

        assertThat(p.enqueueReads(reads, CONTEXT, resolved::incrementAndGet, () -> {}, () -> false))
                .isEqualTo(3);

        eventually().until(() -> resolved.get() == 3);
        List<SinkMessage> delivered =
                sink.delivered.stream().flatMap(b -> b.messages().stream()).toList();
        assertThat(delivered)
                .extracting(m -> new String(m.json(), StandardCharsets.UTF_8))
                .containsExactly("pre-0", "pre-1", "pre-2");
        assertThat(delivered).extracting(SinkMessage::idempotencyKey).containsExactly("k0", "k1", "k2");
    }

    @Test
    void enqueueReads_encodesAgainWhenTheSinksContextDiffersFromTheOneEncodedWith() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = started(sink, s -> s.batchSize = 10);
        MessageContext stale = new MessageContext(
                "c1", "old-name", "{}", "d1", "shop", "{}", "shop", "localhost", TimestampFormat.ISO8601);
        Change read = read(0);

        p.enqueueReads(
                List.of(new SinkQueue.Read(read, "k0", "stale".getBytes(StandardCharsets.UTF_8), 100)),
                stale,
                () -> {},
                () -> {},
                () -> false);

        eventually().until(() -> sink.deliveredMessages() == 1);
        assertThat(sink.delivered.getFirst().messages().getFirst().json())
                .isEqualTo(dev.sluice.core.MessageEncoder.encode(read, CONTEXT, "k0"));
    }

    @Test
    void enqueueReads_waitingForRoom_returnsOnceGivenUp() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = pipeline(sink, s -> s.maxQueueBytes = 1024); // not started: nothing makes room
        List<SinkQueue.Read> reads = List.of(
                new SinkQueue.Read(read(0), "k0", new byte[1024], 100),
                new SinkQueue.Read(read(1), "k1", new byte[1024], 100));
        // The backfill gives up the second time it is asked, after one wait for room.
        AtomicInteger asked = new AtomicInteger();

        // The first fits into the empty buffer; the second waits for room until the backfill gives up.
        assertThat(p.enqueueReads(reads, CONTEXT, () -> {}, () -> {}, () -> asked.incrementAndGet() > 1))
                .isEqualTo(1);
        assertThat(asked).hasValue(2);
        assertThat(p.queuedMessages()).isEqualTo(1);
    }

    // ---- ordering and batching ----

    @Test
    void deliver_messagesInEnqueueOrder() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = started(sink, s -> s.batchSize = 3);
        List<Position> enqueued = new ArrayList<>();
        for (int txn = 1; txn <= 4; txn++) {
            for (int i = 0; i < txn + 1; i++) {
                Change c = insert(commitLsn(txn), i, txn + "-" + i);
                p.enqueue(c);
                enqueued.add(c.position());
            }
            p.markCommit(endLsn(txn));
        }

        eventually().until(() -> p.acknowledgedLsn() == endLsn(4));
        assertThat(sink.deliveredPositions()).containsExactlyElementsOf(enqueued);
        assertThat(p.deliveredCount()).isEqualTo(enqueued.size());
    }

    @Test
    void batch_neverExceedsBatchSize() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate first = sink.block();
        // While a batch is out, a partial one waits up to the batch timeout for more.
        SinkQueue p = started(sink, s -> {
            s.batchSize = 3;
            s.batchTimeout = Duration.ofMillis(50);
        });
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.markCommit(endLsn(1));
        first.awaitEntered();
        // Other rows, so other groups: they go while a's batch is held, as full as allowed.
        for (int i = 0; i < 10; i++) {
            p.enqueue(insert(commitLsn(2), i, "b" + i));
        }
        p.markCommit(endLsn(2));
        eventually().until(() -> sink.deliveredMessages() == 10);
        assertThat(p.acknowledgedLsn()).as("transaction 1 is still out").isZero();
        first.release();

        eventually().until(() -> p.acknowledgedLsn() == endLsn(2));
        // The b rows are other groups: they go while a's batch is held, in full batches.
        assertThat(sink.delivered).allSatisfy(b -> assertThat(b.size()).isBetween(1, 3));
        assertThat(sink.delivered).extracting(Batch::size).containsExactly(3, 3, 3, 1, 1);
        assertThat(sink.deliveredPositions().getLast()).isEqualTo(new Position(commitLsn(1), 0));
        assertThat(sink.deliveredMessages()).isEqualTo(11);
    }

    @Test
    void partialBatch_deliveredAtOnceWhenTransactionEnds() throws InterruptedException {
        FakeSink sink = new FakeSink();
        // A minute-long batch timeout: only the commit mark can close this batch within the test.
        SinkQueue p = started(sink, s -> s.batchTimeout = Duration.ofMinutes(1));
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.enqueue(insert(commitLsn(1), 1, "b"));
        p.markCommit(endLsn(1));

        eventually().until(() -> sink.deliveredMessages() == 2);
        assertThat(sink.delivered).extracting(Batch::size).containsExactly(2);
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
    }

    @Test
    void partialBatch_deliveredAfterBatchTimeoutWhileTransactionIsOpen() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeTicker ticker = new FakeTicker();
        Duration timeout = Duration.ofMillis(150);
        SinkQueue p = startedAt(ticker, sink, s -> s.batchTimeout = timeout);
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.enqueue(insert(commitLsn(1), 1, "b"));
        ticker.advance(timeout.minusNanos(1));
        awaitDispatcherLooked(p);
        assertThat(sink.attempts).as("the timeout is not over").isEmpty();

        ticker.advance(Duration.ofNanos(1));
        eventually().until(() -> sink.deliveredMessages() == 2);
        assertThat(sink.delivered).extracting(Batch::size).containsExactly(2);
        assertThat(p.acknowledgedLsn()).as("the transaction has not ended").isZero();

        p.markCommit(endLsn(1));
        assertThat(p.acknowledgedLsn()).isEqualTo(endLsn(1));
    }

    // ---- acknowledgement ----

    @Test
    void ack_reachesTransactionEndOnlyAfterEveryChangeOfItWasDelivered() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate b1 = sink.block();
        FakeSink.Gate b2 = sink.block();
        FakeSink.Gate b3 = sink.block();
        SinkQueue p = started(sink, s -> s.batchSize = 2);
        // One row, so one batch at a time. Transaction 1: a0 a1 a2; transaction 2: b0 b1.
        p.enqueue(update(commitLsn(1), 0, "x", 0));
        p.enqueue(update(commitLsn(1), 1, "x", 1));
        b1.awaitEntered(); // [a0 a1]
        p.enqueue(update(commitLsn(1), 2, "x", 2));
        p.markCommit(endLsn(1));
        p.enqueue(update(commitLsn(2), 0, "x", 3));
        p.enqueue(update(commitLsn(2), 1, "x", 4));
        p.markCommit(endLsn(2));
        assertThat(p.acknowledgedLsn()).as("nothing delivered yet").isZero();

        b1.release();
        b2.awaitEntered(); // [a2 b0]
        assertThat(p.acknowledgedLsn()).as("a2 is still in flight").isZero();

        b2.release();
        b3.awaitEntered(); // [b1]
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.deliveredPositions())
                .contains(new Position(commitLsn(1), 2))
                .doesNotContain(new Position(commitLsn(2), 1));
        assertThat(p.acknowledgedLsn()).as("b1 is still in flight").isEqualTo(endLsn(1));

        b3.release();
        eventually().until(() -> p.acknowledgedLsn() == endLsn(2));
        assertThat(sink.delivered).extracting(Batch::size).containsExactly(2, 2, 1);
    }

    /**
     * Regression: the delivery thread had already taken the change off the queue and was waiting for more
     * to fill the batch, so the queue looked empty and nothing looked in flight. The commit mark was then
     * acknowledged on the spot, before its change was delivered (a crash at that point loses it), and the
     * partial batch waited for the full batch timeout.
     */
    @Test
    void ack_commitArrivingWhileBatchIsFillingWaitsForDelivery() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate gate = sink.block();
        SinkQueue p = startedAt(new FakeTicker(), sink, s -> s.batchTimeout = Duration.ofMinutes(1));
        p.enqueue(insert(commitLsn(1), 0, "a"));
        awaitDispatcherLooked(p);
        assertThat(sink.attempts)
                .as("the batch waits for more of the open transaction")
                .isEmpty();

        p.markCommit(endLsn(1));
        assertThat(p.acknowledgedLsn()).isZero();
        gate.awaitEntered(); // the mark closed the batch without waiting a minute
        assertThat(p.acknowledgedLsn()).isZero();

        gate.release();
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.deliveredMessages()).isEqualTo(1);
    }

    @Test
    void ack_markWithoutChangesAcknowledgesAtOnceWhenIdle() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = started(sink, s -> {});
        p.markCommit(endLsn(1));
        assertThat(p.acknowledgedLsn()).isEqualTo(endLsn(1));

        p.enqueue(insert(commitLsn(2), 0, "a"));
        p.markCommit(endLsn(2));
        eventually().until(p::idle);
        p.markCommit(endLsn(3));
        assertThat(p.acknowledgedLsn()).isEqualTo(endLsn(3));
    }

    @Test
    void ack_markWithoutChangesWaitsBehindBatchInFlight() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate gate = sink.block();
        SinkQueue p = started(sink, s -> {});
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.markCommit(endLsn(1));
        gate.awaitEntered();
        p.markCommit(endLsn(2)); // a transaction with no change for this sink
        assertThat(p.acknowledgedLsn()).isZero();

        gate.release();
        eventually().until(() -> p.acknowledgedLsn() == endLsn(2));
    }

    /**
     * The commit mark of a batch's transaction arrives while that batch is in flight. Once the batch is
     * delivered, the transaction is acknowledged without waiting for another pass of the delivery loop.
     */
    @Test
    void ack_markArrivingDuringDeliveryIsRecordedWithThatBatch() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate gate = sink.block();
        SinkQueue p = started(sink, s -> s.batchSize = 1);
        p.enqueue(insert(commitLsn(1), 0, "a"));
        gate.awaitEntered();
        p.markCommit(endLsn(1));
        assertThat(p.acknowledgedLsn()).isZero();

        gate.release();
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(p.idle()).isTrue();
    }

    // ---- failures ----

    @Test
    void retry_aFailedRowIsRetriedHeadFirstWithTheSameMessage_thenTheRestInOneBatch() throws InterruptedException {
        FakeSink sink = new FakeSink().failTimes(2);
        SinkQueue p = started(sink, s -> {});
        for (int i = 0; i < 3; i++) {
            p.enqueue(update(commitLsn(1), i, "r", i));
        }
        p.markCommit(endLsn(1));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        // [r0 r1 r2] fails, [r0] fails, [r0] succeeds, [r1 r2] succeeds.
        assertThat(sink.attempts).extracting(Batch::size).containsExactly(3, 1, 1, 2);
        Batch first = sink.attempts.getFirst();
        assertThat(first.messages())
                .extracting(SinkMessage::idempotencyKey)
                .containsExactly(
                        new Position(commitLsn(1), 0).idempotencyKey(),
                        new Position(commitLsn(1), 1).idempotencyKey(),
                        new Position(commitLsn(1), 2).idempotencyKey());
        Batch head = new Batch(List.of(first.messages().getFirst()));
        assertSameMessages(sink.attempts.get(1), head);
        assertSameMessages(sink.attempts.get(2), head);
        assertThat(sink.deliveredPositions())
                .containsExactly(
                        new Position(commitLsn(1), 0), new Position(commitLsn(1), 1), new Position(commitLsn(1), 2));
        assertThat(p.deliveredCount()).isEqualTo(3);
        assertThat(p.discardedCount()).isZero();
        assertThat(p.lastError()).as("cleared by the successful attempt").isNull();
    }

    @Test
    void retry_maxRetryCountTwoDiscardsAfterThreeAttemptsAndMovesOn() throws InterruptedException {
        FakeSink sink = new FakeSink().failTimes(3);
        SinkQueue p = started(sink, s -> s.maxRetryCount = 2);
        p.enqueue(update(commitLsn(1), 0, "x", 0));
        p.enqueue(update(commitLsn(1), 1, "x", 1));
        p.markCommit(endLsn(1));

        // x0 is attempted 3 times (with x1 the first time) and discarded; x1 then goes.
        eventually().until(() -> p.discardedCount() == 1 && p.deliveredCount() == 1);
        assertThat(sink.attempts).extracting(Batch::size).containsExactly(2, 1, 1, 1);
        assertThat(sink.deliveredPositions()).containsExactly(new Position(commitLsn(1), 1));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(p.lastError()).as("no group is failing any more").isNull();

        p.enqueue(insert(commitLsn(2), 0, "y0"));
        p.markCommit(endLsn(2));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(2));
        assertThat(sink.deliveredPositions())
                .containsExactly(new Position(commitLsn(1), 1), new Position(commitLsn(2), 0));
        assertThat(sink.attempts).hasSize(5);
        assertThat(p.deliveredCount()).isEqualTo(2);
        assertThat(p.discardedCount()).isEqualTo(1);
    }

    @Test
    void retry_maxRetryCountZeroDiscardsAfterOneAttempt() throws InterruptedException {
        FakeSink sink = new FakeSink().failTimes(1);
        SinkQueue p = started(sink, s -> s.maxRetryCount = 0);
        p.enqueue(insert(commitLsn(1), 0, "x"));
        p.markCommit(endLsn(1));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.attempts).hasSize(1);
        assertThat(p.discardedCount()).isEqualTo(1);
    }

    @Test
    void retry_nonRetriableSinkExceptionIsDiscardedAtOnce() throws InterruptedException {
        FakeSink sink = new FakeSink().failPermanently();
        SinkQueue p = started(sink, s -> {}); // retries forever otherwise
        p.enqueue(insert(commitLsn(1), 0, "x0"));
        p.enqueue(insert(commitLsn(1), 1, "x1"));
        p.markCommit(endLsn(1));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.attempts).hasSize(1);
        assertThat(p.discardedCount()).isEqualTo(2);
        assertThat(p.lastError()).isEqualTo("message too large");

        p.enqueue(insert(commitLsn(2), 0, "y0"));
        p.markCommit(endLsn(2));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(2));
        assertThat(sink.deliveredPositions()).containsExactly(new Position(commitLsn(2), 0));
    }

    // ---- backpressure and stop ----

    @Test
    void enqueue_blocksWhileQueueIsFullAndResumesWhenSinkDrains() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate gate = sink.block();
        SinkQueue p = started(sink, s -> {
            s.batchSize = 1;
            s.maxQueueBytes = 1024;
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
    void stop_letsBatchInFlightFinishAndAcknowledgesIt() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate gate = sink.block();
        SinkQueue p = started(sink, s -> {});
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
        SinkQueue p = started(sink, s -> s.batchSize = 1);
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
        SinkQueue p = started(sink, s -> s.batchSize = 2);
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
        assertThat(sink.deliveredPositions())
                .startsWith(new Position(commitLsn(1), 2))
                .contains(new Position(commitLsn(1), 0), new Position(commitLsn(1), 1));
        boolean second = sink.deliveredPositions().contains(new Position(commitLsn(2), 0));
        assertThat(sink.deliveredMessages()).isEqualTo(second ? 4 : 3);
        assertThat(p.acknowledgedLsn()).isEqualTo(second ? endLsn(2) : endLsn(1));
    }

    @Test
    void stop_givesUpOnBatchThatOutlastsGraceAndLeavesItUnacknowledged() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate gate = sink.block();
        SinkQueue p = started(sink, s -> {});
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.markCommit(endLsn(1));
        gate.awaitEntered();

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
        SinkQueue p = pipeline(sink, s -> {}, slow);
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
    void start_passesSinkIdAndName() {
        FakeSink sink = new FakeSink();
        started(sink, s -> {});
        assertThat(sink.startedWith).isEqualTo(new SinkContext("s1", "orders-hook", 10, Ticker.SYSTEM));
    }

    @Test
    void paused_buffersWithoutDeliveringAndHoldsTheAcknowledgement() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = started(sink, s -> {
            s.state = SinkState.PAUSED;
            s.batchTimeout = Duration.ofMillis(1);
        });
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.markCommit(endLsn(1));

        eventually()
                .during(Duration.ofMillis(100))
                .until(() -> sink.attempts.isEmpty() && p.acknowledgedLsn() == 0 && p.queuedMessages() == 1);
    }

    // ---- runtime reconfiguration ----

    @Test
    void pause_holdsDeliveriesAndResumeDeliversThemInOrder() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = started(sink, s -> s.batchSize = 2);
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
        SinkQueue p = pipeline(sink, s -> s.batchSize = 10);
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
        SinkQueue p = startedAt(new FakeTicker(), sink, s -> s.batchTimeout = Duration.ofMinutes(1));
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
        SinkQueue p = started(failing, s -> s.batchSize = 3);
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
        SinkQueue p = started(hung, s -> {});
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.markCommit(endLsn(1));
        never.awaitEntered();

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
        SinkQueue p = started(sink, s -> {});
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
        SinkQueue p = started(failing, s -> {});
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
        SinkQueue p = started(new FakeSink(), s -> s.tables = t -> true);
        assertThat(p.accepts(ORDERS, Action.INSERT)).isTrue(); // cached for this spec

        p.reconfigure(spec(s -> s.tables = t -> false), new FakeSink(), Duration.ofSeconds(1));
        assertThat(p.accepts(ORDERS, Action.INSERT)).isFalse();
    }

    @Test
    void remove_deliversNothingMoreClosesSinkAndReleasesWaitingReader() throws InterruptedException {
        FakeSink sink = new FakeSink().failTimes(1_000);
        SinkQueue p = started(sink, s -> s.maxQueueBytes = 1024);
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
    void positionAt_onlyMovesTheAcknowledgementForward() {
        SinkQueue p = started(new FakeSink(), s -> {});
        assertThat(p.positioned()).isFalse();
        p.markCommit(endLsn(3));
        p.positionAt(endLsn(2));
        assertThat(p.positioned()).isTrue();
        assertThat(p.acknowledgedLsn()).isEqualTo(endLsn(3));
        p.positionAt(endLsn(4));
        assertThat(p.acknowledgedLsn()).isEqualTo(endLsn(4));
    }

    // ---- group ids ----

    @Test
    void groupId_isPrimaryKeyValuesJoinedByColon() throws InterruptedException {
        TableSchema lines = new TableSchema(
                new TableId("public", "order_lines"),
                List.of(column("order_id"), column("note"), column("line_no")),
                new int[] {0, 2});
        assertThat(groupIdOf(s -> {}, change(lines, commitLsn(1), 0, "17", "gift", "3")))
                .isEqualTo("17:3");
        assertThat(groupIdOf(s -> {}, insert(commitLsn(1), 0, "42"))).isEqualTo("42");
    }

    @Test
    void groupId_usesConfiguredGroupColumnsInTheirOrder() throws InterruptedException {
        TableSchema t =
                new TableSchema(ORDERS_ID, List.of(column("id"), column("name"), column("region")), new int[] {0});
        assertThat(groupIdOf(
                        s -> s.groupColumns = Map.of(ORDERS_ID, List.of("region", "name")),
                        change(t, commitLsn(1), 0, "1", "alice", "eu")))
                .isEqualTo("eu:alice");
    }

    @Test
    void groupId_fallsBackToPrimaryKeyWhenGroupColumnIsMissing() throws InterruptedException {
        assertThat(groupIdOf(
                        s -> s.groupColumns = Map.of(ORDERS_ID, List.of("no_such_column")),
                        insert(commitLsn(1), 0, "7")))
                .isEqualTo("7");
    }

    @Test
    void groupId_isNullWithoutMessageGroupingOrPrimaryKey() throws InterruptedException {
        assertThat(groupIdOf(s -> s.messageGrouping = false, insert(commitLsn(1), 0, "7")))
                .isNull();
        TableSchema keyless = new TableSchema(new TableId("public", "events"), List.of(column("body")), new int[0]);
        assertThat(groupIdOf(s -> {}, change(keyless, commitLsn(1), 0, "hello")))
                .isNull();
    }

    // ---- routing ----

    @Test
    void accepts_honoursActionsTablesAndDisabledState() {
        TableSchema other = new TableSchema(new TableId("audit", "log"), List.of(column("id")), new int[] {0});
        SinkQueue p = pipeline(new FakeSink(), s -> {
            s.actions = EnumSet.of(Action.INSERT, Action.DELETE);
            s.tables = t -> t.schema().equals("public");
        });
        assertThat(p.accepts(ORDERS, Action.INSERT)).isTrue();
        assertThat(p.accepts(ORDERS, Action.DELETE)).isTrue();
        assertThat(p.accepts(ORDERS, Action.UPDATE)).isFalse();
        assertThat(p.accepts(other, Action.INSERT)).isFalse();

        SinkQueue disabled = pipeline(new FakeSink(), s -> s.state = SinkState.DISABLED);
        for (Action a : Action.values()) {
            assertThat(disabled.accepts(ORDERS, a)).isFalse();
        }
    }

    // ---- groups: order within, parallel across ----

    @Test
    void groups_aHeldGroupHoldsOnlyItsOwnRows_andEveryRowKeepsItsOrder() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate held = sink.block();
        SinkQueue p = started(sink, s -> s.batchSize = 4);
        // Row r0's first change is held by the sink; 200 changes over rows r0..r9 follow, 20 per row.
        p.enqueue(update(commitLsn(1), 0, "r0", 0));
        p.markCommit(endLsn(1));
        held.awaitEntered();
        for (int i = 0; i < 200; i++) {
            p.enqueue(update(commitLsn(2), i, "r" + (i % 10), i / 10 + 1));
        }
        p.markCommit(endLsn(2));

        // Every other row is delivered, all of it, while r0 waits behind its held change.
        eventually().until(() -> sink.deliveredMessages() == 180);
        assertThat(sink.delivered.stream().flatMap(b -> b.messages().stream()).noneMatch(m -> "r0".equals(m.groupId())))
                .isTrue();
        assertThat(p.acknowledgedLsn()).isZero();

        held.release();
        eventually().until(() -> p.acknowledgedLsn() == endLsn(2));
        assertThat(sink.deliveredMessages()).isEqualTo(201);
        assertPerRowSequence(sink, 10);
        assertThat(sink.delivered)
                .allSatisfy(b -> assertThat(b.messages().stream()
                                .map(SinkMessage::groupId)
                                .distinct()
                                .count())
                        .as("a batch may hold several rows, each row's messages once")
                        .isPositive());
    }

    @Test
    void groups_atMostMaxInFlightBatchesAreInDelivery() throws InterruptedException {
        FakeSink sink = new FakeSink();
        List<FakeSink.Gate> gates = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            gates.add(sink.block());
        }
        SinkQueue p = startedAt(new FakeTicker(), sink, s -> {
            s.batchSize = 1;
            s.maxInFlight = 3;
        });
        for (int i = 0; i < 10; i++) {
            p.enqueue(insert(commitLsn(1), i, "row" + i));
        }
        p.markCommit(endLsn(1));
        eventually().until(() -> sink.attempts.size() == 3);
        awaitDispatcherLooked(p);
        assertThat(sink.attempts).hasSize(3);
        gates.forEach(FakeSink.Gate::release);
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.maxInFlight.get()).isEqualTo(3);
        assertThat(sink.deliveredMessages()).isEqualTo(10);
    }

    @Test
    void groups_aFailingRowIsRetriedAlone_whileOtherRowsFlow_andItsLaterChangesWaitBehindIt()
            throws InterruptedException {
        FakeSink sink = new FakeSink();
        sink.poison = m -> "bad".equals(m.groupId());
        // Back-offs long enough to see the group waiting between attempts.
        SinkQueue p =
                pipeline(sink, s -> s.batchSize = 5, new RetryPolicy(Duration.ofMillis(20), Duration.ofMillis(20), 0));
        p.start();
        for (int i = 0; i < 30; i++) {
            p.enqueue(update(commitLsn(1), i, i % 3 == 0 ? "bad" : "good" + (i % 3), i / 3));
        }
        p.markCommit(endLsn(1));
        eventually().until(() -> sink.deliveredMessages() == 20);
        eventually().until(() -> sink.attempts.size() >= sink.delivered.size() + 3);
        eventually().until(() -> p.failingGroups() == 1);
        assertThat(p.lastError()).contains("poisoned row");
        assertThat(p.acknowledgedLsn())
                .as("the failing row holds its transaction")
                .isZero();
        // Retries carry the failing row only: the others were delivered once each.
        assertThat(sink.attempts.stream().skip(1).filter(b -> !sink.delivered.contains(b)))
                .allSatisfy(b -> assertThat(b.messages()).allMatch(m -> "bad".equals(m.groupId())));

        sink.poison = null;
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.deliveredMessages()).isEqualTo(30);
        assertThat(p.failingGroups()).isZero();
        assertThat(p.lastError()).isNull();
        assertPerRowSequence(sink, 3);
    }

    @Test
    void groups_maxRetryCountDiscardsTheFailingChangeOnly_thenTheRowGoesOn() throws InterruptedException {
        FakeSink sink = new FakeSink();
        Change poisoned = update(commitLsn(1), 0, "r", 0);
        sink.poison = m -> m.position().equals(poisoned.position());
        SinkQueue p = started(sink, s -> {
            s.batchSize = 1;
            s.maxRetryCount = 2;
        });
        p.enqueue(poisoned);
        p.enqueue(update(commitLsn(1), 1, "r", 1));
        p.enqueue(update(commitLsn(1), 2, "other", 0));
        p.markCommit(endLsn(1));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(p.discardedCount()).isEqualTo(1);
        assertThat(sink.attempts.stream()
                        .filter(b -> b.messages().getFirst().position().equals(poisoned.position())))
                .hasSize(3);
        assertThat(sink.deliveredPositions())
                .containsExactlyInAnyOrder(new Position(commitLsn(1), 1), new Position(commitLsn(1), 2));
    }

    @Test
    void groups_withoutMessageGrouping_aHeldMessageHoldsNothingElse() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate held = sink.block();
        SinkQueue p = started(sink, s -> {
            s.messageGrouping = false;
            s.batchSize = 1;
        });
        p.enqueue(update(commitLsn(1), 0, "r", 0));
        held.awaitEntered();
        p.enqueue(update(commitLsn(1), 1, "r", 1));
        p.markCommit(endLsn(1));
        eventually().until(() -> sink.deliveredMessages() == 1);
        assertThat(sink.deliveredPositions()).containsExactly(new Position(commitLsn(1), 1));
        assertThat(sink.delivered.getFirst().messages().getFirst().groupId()).isNull();
        held.release();
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
    }

    @Test
    void groups_aTableWithoutKeyIsOneGroup_soItsChangesStayInOrder() throws InterruptedException {
        TableSchema keyless = new TableSchema(new TableId("public", "events"), List.of(column("v")), new int[0]);
        FakeSink sink = new FakeSink();
        FakeSink.Gate held = sink.block();
        SinkQueue p = startedAt(new FakeTicker(), sink, s -> s.batchSize = 1);
        p.enqueue(change(keyless, commitLsn(1), 0, "first"));
        held.awaitEntered();
        p.enqueue(change(keyless, commitLsn(1), 1, "second"));
        p.markCommit(endLsn(1));
        awaitDispatcherLooked(p);
        assertThat(sink.deliveredMessages()).isZero();
        held.release();
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.deliveredPositions())
                .containsExactly(new Position(commitLsn(1), 0), new Position(commitLsn(1), 1));
    }

    @Test
    void groups_reconfiguredGroupColumnsRegroupBufferedMessagesInSlotOrder() throws InterruptedException {
        TableSchema orders =
                new TableSchema(ORDERS_ID, List.of(column("id"), column("name"), column("customer")), new int[] {0});
        FakeSink sink = new FakeSink().failTimes(1_000);
        SinkQueue p = started(sink, s -> s.batchSize = 10);
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

    @Test
    void retry_rowsThatFailedTogetherAreRetriedApart_soABadRowDoesNotHoldTheOthers() throws InterruptedException {
        FakeSink sink = new FakeSink();
        sink.poison = m -> FakeSink.column(m, "id").equals("bad");
        SinkQueue p = started(sink, s -> s.batchSize = 10);
        p.enqueue(update(commitLsn(1), 0, "bad", 0));
        p.enqueue(update(commitLsn(1), 1, "a", 0));
        p.enqueue(update(commitLsn(1), 2, "b", 0));
        p.markCommit(endLsn(1));
        eventually().until(() -> sink.deliveredMessages() == 2);
        assertThat(sink.attempts.getFirst().size()).isEqualTo(3);
        assertThat(sink.delivered).allSatisfy(b -> assertThat(b.size()).isEqualTo(1));
        assertThat(sink.attempts.stream().skip(1))
                .as("retries: one message per batch")
                .allSatisfy(b -> assertThat(b.size()).isEqualTo(1));
        assertThat(p.failingGroups()).isEqualTo(1);
    }

    @Test
    void partialFailure_onlyTheFailedMessagesGoAgain_andARejectedOneIsDiscardedAtOnce() throws InterruptedException {
        FakeSink sink = new FakeSink();
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        sink.partially = batch -> {
            java.util.BitSet retry = new java.util.BitSet();
            java.util.BitSet rejected = new java.util.BitSet();
            for (int i = 0; i < batch.size(); i++) {
                String id = FakeSink.column(batch.messages().get(i), "id");
                if (id.equals("big")) {
                    rejected.set(i); // never fits
                } else if (id.equals("c") && first.getAndSet(false)) {
                    retry.set(i); // a throttled entry, once
                }
            }
            return retry.isEmpty() && rejected.isEmpty()
                    ? null
                    : SinkException.partial("2 entries failed (scripted)", retry, rejected);
        };
        SinkQueue p = started(sink, s -> s.batchSize = 10);
        String[] ids = {"a", "big", "b", "c", "d"};
        for (int i = 0; i < ids.length; i++) {
            p.enqueue(update(commitLsn(1), i, ids[i], 0));
        }
        p.markCommit(endLsn(1));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));

        List<String> got = new ArrayList<>();
        sink.delivered.forEach(b -> b.messages().forEach(m -> got.add(FakeSink.column(m, "id"))));
        assertThat(got).containsExactlyInAnyOrder("a", "b", "c", "d");
        assertThat(sink.attempts).hasSize(2);
        assertThat(sink.attempts.get(1).messages())
                .singleElement()
                .satisfies(m -> assertThat(FakeSink.column(m, "id")).isEqualTo("c"));
        assertThat(p.discardedCount()).isEqualTo(1);
        assertThat(p.failingGroups()).isZero();
    }

    @Test
    void partialFailure_aRowsLaterChangesGoAgainAfterItsFailedOne_keepingTheirOrder() throws InterruptedException {
        FakeSink sink = new FakeSink();
        java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        // The peer took the row's second change but not its first: sending the first alone would put it last.
        sink.partially = batch -> {
            if (!first.getAndSet(false)) {
                return null;
            }
            java.util.BitSet retry = new java.util.BitSet();
            retry.set(0);
            return SinkException.partial("first entry throttled (scripted)", retry, new java.util.BitSet());
        };
        SinkQueue p = started(sink, s -> s.batchSize = 10);
        p.enqueue(update(commitLsn(1), 0, "x", 1));
        p.enqueue(update(commitLsn(1), 1, "x", 2));
        p.markCommit(endLsn(1));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));

        // The peer has the second change early (at least once), then both again, in order: the row ends right.
        assertThat(sink.deliveredPositions())
                .containsExactly(
                        new Position(commitLsn(1), 1), new Position(commitLsn(1), 0), new Position(commitLsn(1), 1));
    }

    @Test
    void retry_whenEveryBatchFails_theSinkProbesOneBatchAtATimeInsteadOfEveryRowRetrying() throws InterruptedException {
        FakeSink sink = new FakeSink();
        sink.poison = m -> true; // the peer is down
        FakeTicker ticker = new FakeTicker();
        SinkQueue p = pipeline(
                sink,
                s -> {
                    s.batchSize = 1;
                    s.maxInFlight = 1; // one failure at a time, so that the count is exact
                },
                new RetryPolicy(Duration.ofMillis(100), Duration.ofMillis(100), 0),
                ticker);
        p.start();
        for (int i = 0; i < 50; i++) {
            p.enqueue(update(commitLsn(1), i, "row" + i, 0));
        }
        p.markCommit(endLsn(1));
        // 50 first attempts would be 50 requests, and 50 rows retrying every 100 ms another 500 a second; after 8
        // failures in a row the sink sends one probe per 100 ms.
        eventually().until(() -> sink.attempts.size() == 8);
        awaitDispatcherLooked(p);
        assertThat(sink.attempts)
                .as("the peer looks down: nothing until the next probe")
                .hasSize(8);
        for (int probe = 1; probe <= 10; probe++) {
            ticker.advance(Duration.ofMillis(100));
            int expected = 8 + probe;
            eventually().until(() -> sink.attempts.size() >= expected);
            awaitDispatcherLooked(p);
            assertThat(sink.attempts).as("one probe per 100 ms").hasSize(expected);
        }
        sink.poison = null;
        ticker.advance(Duration.ofMillis(100));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.deliveredMessages()).isEqualTo(50);
    }

    @Test
    void retry_probesBackOffFromTheBaseDelay_evenWhenManyBatchesFailedTogether() throws InterruptedException {
        FakeSink sink = new FakeSink();
        sink.poison = m -> true; // the peer is down
        FakeTicker ticker = new FakeTicker();
        SinkQueue p = pipeline(
                sink, s -> s.batchSize = 1, new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(20), 0), ticker);
        p.start();
        for (int i = 0; i < 50; i++) {
            p.enqueue(update(commitLsn(1), i, "row" + i, 0));
        }
        p.markCommit(endLsn(1));
        // The first burst: up to 32 batches in flight fail at about the same moment, without time moving.
        eventually().until(() -> sink.attempts.size() >= 8 && p.failingGroups() == sink.attempts.size());
        awaitDispatcherLooked(p);
        int burst = sink.attempts.size();
        // Probes follow after 100 ms, 200 ms, 400 ms, ...: not after the delay of the 25th or so failure (capped at
        // 20 s here), which a burst of failures in flight together would otherwise count.
        long[] gaps = {100, 200, 400, 800};
        for (int i = 0; i < gaps.length; i++) {
            ticker.advance(Duration.ofMillis(gaps[i] - 1));
            awaitDispatcherLooked(p);
            assertThat(sink.attempts).as("before probe %d", i + 1).hasSize(burst + i);
            ticker.advance(Duration.ofMillis(1));
            int expected = burst + i + 1;
            eventually().until(() -> sink.attempts.size() >= expected);
            awaitDispatcherLooked(p);
            assertThat(sink.attempts).as("probe %d", i + 1).hasSize(expected);
        }
        sink.poison = null;
        ticker.advance(Duration.ofSeconds(2));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
    }

    @Test
    void retry_aReconfiguredBackOffTakesEffect() throws InterruptedException {
        FakeSink sink = new FakeSink();
        sink.poison = m -> true;
        FakeTicker ticker = new FakeTicker();
        SinkQueue p = startedAt(ticker, sink, s -> {});
        p.enqueue(update(commitLsn(1), 0, "r", 0));
        p.markCommit(endLsn(1));
        for (int attempt = 1; attempt <= 3; attempt++) {
            int expected = attempt;
            eventually().until(() -> sink.attempts.size() == expected);
            awaitDispatcherLooked(p); // the failure is applied: its back-off counts from now
            if (attempt < 3) {
                // FAST: a few milliseconds apart. Not after the third: a fourth attempt under the
                // old policy would race the reconfiguration below.
                ticker.advance(Duration.ofMillis(4));
            }
        }
        p.reconfigure(
                spec(s -> s.retry = new RetryPolicy(Duration.ofMinutes(5), Duration.ofMinutes(5), 0)),
                sink,
                Duration.ofSeconds(1));
        // Regrouped, the row goes at once, fails, and now waits five minutes.
        eventually().until(() -> p.failingGroups() == 1 && sink.attempts.size() == 4);
        ticker.advance(Duration.ofMinutes(5).minusMillis(1));
        awaitDispatcherLooked(p);
        assertThat(sink.attempts).as("the next attempt waits five minutes").hasSize(4);
        ticker.advance(Duration.ofMillis(1));
        eventually().until(() -> sink.attempts.size() == 5);
    }

    @Test
    void health_lagGrowsWhileAChangeIsOut_andTheOldestFailureIsWhenItFirstFailed() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate held = sink.block();
        SinkQueue p = started(sink, s -> {});
        p.enqueue(change(ORDERS, commitLsn(1), 0, "r", "0")); // committed in 2025: far behind
        p.markCommit(endLsn(1));
        held.awaitEntered();
        assertThat(p.lag()).isGreaterThan(Duration.ofDays(1));
        assertThat(p.oldestFailure()).isNull();
        held.release();
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(p.lag()).isZero();

        sink.poison = m -> true;
        java.time.Instant before = java.time.Instant.now();
        p.enqueue(update(commitLsn(2), 0, "r", 1));
        p.markCommit(endLsn(2));
        eventually().until(() -> sink.attempts.size() >= 4);
        assertThat(p.oldestFailure()).isBetween(before, java.time.Instant.now());
        java.time.Instant first = p.oldestFailure();
        eventually().until(() -> sink.attempts.size() >= 6);
        assertThat(p.oldestFailure()).as("the first failure, not the latest").isEqualTo(first);
        sink.poison = null;
        eventually().until(() -> p.oldestFailure() == null);
    }

    // ---- failed messages in the store ----

    /** A message store in memory, that can be made to fail. */
    static final class MemoryStore implements MessageStore {
        final java.util.concurrent.ConcurrentSkipListMap<Position, Stored> rows =
                new java.util.concurrent.ConcurrentSkipListMap<>();
        volatile boolean down;

        @Override
        public void save(String sinkId, List<Stored> messages) {
            if (down) {
                throw new IllegalStateException("store is down");
            }
            messages.forEach(m -> rows.put(m.position(), m));
        }

        @Override
        public void delete(String sinkId, List<Position> positions) {
            if (down) {
                throw new IllegalStateException("store is down");
            }
            positions.forEach(rows::remove);
        }

        final java.util.concurrent.ConcurrentSkipListMap<Position, Stored> discarded =
                new java.util.concurrent.ConcurrentSkipListMap<>();
        final java.util.concurrent.atomic.AtomicInteger groupLoads = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void discarded(String sinkId, List<Stored> messages) {
            if (down) {
                throw new IllegalStateException("store is down");
            }
            messages.forEach(m -> {
                rows.remove(m.position());
                discarded.put(m.position(), m);
            });
        }

        @Override
        public List<Stored> load(String sinkId, @Nullable Position after, int limit) {
            return (after == null ? rows : rows.tailMap(after, false))
                    .values().stream().limit(limit).toList();
        }

        @Override
        public List<Stored> loadGroup(
                String sinkId, @Nullable String groupId, TableId table, Position after, Position upTo, int limit) {
            if (down) {
                throw new IllegalStateException("store is down");
            }
            groupLoads.incrementAndGet();
            return rows.subMap(after, false, upTo, true).values().stream()
                    .filter(m -> groupId == null
                            ? m.groupId() == null && m.table().equals(table)
                            : groupId.equals(m.groupId()))
                    .limit(limit)
                    .toList();
        }
    }

    private SinkQueue stored(FakeSink sink, MemoryStore store, Consumer<SpecBuilder> customize) {
        RetryPolicy retry = new RetryPolicy(Duration.ofMillis(20), Duration.ofMillis(20), 0);
        SinkQueue p = new SinkQueue(
                spec(s -> {
                    s.retry = retry;
                    customize.accept(s);
                }),
                sink,
                PipelineMetrics.NONE,
                store,
                Ticker.SYSTEM);
        pipelines.add(p);
        return p;
    }

    @Test
    void store_aFailingRowIsStoredAndStopsHoldingTheSlot_thenGoesOutInOrderAndLeavesTheStore()
            throws InterruptedException {
        FakeSink sink = new FakeSink();
        sink.poison = m -> FakeSink.column(m, "id").equals("bad");
        MemoryStore store = new MemoryStore();
        SinkQueue p = stored(sink, store, s -> s.batchSize = 5);
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
        SinkQueue first = stored(failing, store, s -> s.batchSize = 10);
        first.start();
        first.enqueue(update(commitLsn(1), 0, "r", 1));
        first.enqueue(update(commitLsn(1), 1, "r", 2));
        first.markCommit(endLsn(1));
        eventually().until(() -> first.acknowledgedLsn() == endLsn(1) && store.rows.size() == 2);
        DeliveryLedger.Progress progress = first.progress();
        first.stop(Duration.ofMillis(100));

        // A restart: the stored messages come back, the slot replays transaction 1 (skipped) and then 2.
        FakeSink sink = new FakeSink();
        SinkQueue second = stored(sink, store, s -> s.batchSize = 10);
        second.restore(progress);
        second.restoreStored(store.load("s1", null, Integer.MAX_VALUE));
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
        SinkQueue p = new SinkQueue(
                spec(s -> {
                    s.batchSize = 1;
                    s.retry = new RetryPolicy(Duration.ofMinutes(5), Duration.ofMinutes(5), 0);
                }),
                sink,
                PipelineMetrics.NONE,
                store,
                Ticker.SYSTEM);
        pipelines.add(p);
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
            s.maxQueueBytes = 4096; // about 20 messages
        };
        SinkQueue p = stored(sink, store, small);
        p.start();
        int n = 500;
        for (int t = 1; t <= n; t++) {
            p.enqueue(update(commitLsn(t), 0, "bad", t)); // would wait for room forever without spilling
            p.enqueue(update(commitLsn(t), 1, "good" + (t % 5), t));
            p.markCommit(endLsn(t));
        }
        eventually().until(() -> p.acknowledgedLsn() == endLsn(n) && store.rows.size() == n);
        assertThat(p.bufferedBytes()).isLessThanOrEqualTo(4096);
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
            s.maxQueueBytes = 4096;
        };
        SinkQueue first = stored(sink, store, small);
        first.start();
        int n = 300;
        for (int t = 1; t <= n; t++) {
            first.enqueue(update(commitLsn(t), 0, "r" + (t % 3), t));
            first.markCommit(endLsn(t));
        }
        eventually().until(() -> first.acknowledgedLsn() == endLsn(n) && store.rows.size() == n);
        first.stop(Duration.ofSeconds(1));

        FakeSink healthy = new FakeSink();
        SinkQueue second = stored(healthy, store, small);
        second.restoreStored(store.load("s1", null, 100));
        second.restoreStored(store.load("s1", new Position(commitLsn(100), 0), 100));
        second.restoreStored(store.load("s1", new Position(commitLsn(200), 0), 100));
        assertThat(second.bufferedBytes()).isLessThanOrEqualTo(4096);
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
        SinkQueue p = stored(sink, store, s -> s.batchSize = 10);
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

    // ---- load shedding ----

    @Test
    void discardOnFull_dropsNewMessagesAndCountsThem_withoutHoldingTheSlot() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate held = sink.block();
        SinkQueue p = started(sink, s -> {
            s.batchSize = 1;
            s.maxQueueBytes = 1024;
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

    // ---- helpers ----

    /** An update of row {@code id} carrying sequence number {@code seq} in its name column. */
    private static Change update(long commitLsn, int idx, String id, int seq) {
        return change(ORDERS, commitLsn, idx, id, String.valueOf(seq));
    }

    /** Each of {@code rows} rows was delivered with strictly increasing sequence numbers. */
    private static void assertPerRowSequence(FakeSink sink, int rows) {
        Map<String, List<Integer>> seqs = new java.util.TreeMap<>();
        for (Batch b : sink.delivered) {
            for (SinkMessage m : b.messages()) {
                seqs.computeIfAbsent(FakeSink.column(m, "id"), k -> new ArrayList<>())
                        .add(Integer.parseInt(FakeSink.column(m, "name")));
            }
        }
        assertThat(seqs).hasSize(rows);
        seqs.forEach((row, list) -> {
            assertThat(list).as("row %s", row).isSorted().doesNotHaveDuplicates();
        });
    }

    /** Mutable defaults for a {@link SinkSpec}: batches close on a full batch or a commit mark only. */
    private static final class SpecBuilder {
        Predicate<TableId> tables = t -> true;
        Set<Action> actions = EnumSet.allOf(Action.class);
        Map<TableId, List<String>> groupColumns = Map.of();
        boolean messageGrouping = true;
        int batchSize = 10;
        Duration batchTimeout = Duration.ofMinutes(1);

        @Nullable
        Integer maxRetryCount;

        SinkState state = SinkState.ACTIVE;
        long maxQueueBytes = 1 << 20;
        int maxInFlight = SinkSpec.DEFAULT_MAX_IN_FLIGHT;
        LoadShedding loadShedding = LoadShedding.PAUSE_ON_FULL;
        RetryPolicy retry = FAST;

        SinkSpec build() {
            return new SinkSpec(
                    "s1",
                    "orders-hook",
                    tables,
                    actions,
                    groupColumns,
                    messageGrouping,
                    batchSize,
                    batchTimeout,
                    maxRetryCount,
                    state,
                    CONTEXT,
                    maxQueueBytes,
                    maxInFlight,
                    loadShedding,
                    retry);
        }
    }

    private static SinkSpec spec(Consumer<SpecBuilder> customize) {
        SpecBuilder b = new SpecBuilder();
        customize.accept(b);
        return b.build();
    }

    private SinkQueue pipeline(FakeSink sink, Consumer<SpecBuilder> customize, RetryPolicy retry) {
        return pipeline(sink, customize, retry, Ticker.SYSTEM);
    }

    private SinkQueue pipeline(FakeSink sink, Consumer<SpecBuilder> customize, RetryPolicy retry, Ticker ticker) {
        SinkQueue p = new SinkQueue(
                spec(s -> {
                    s.retry = retry;
                    customize.accept(s);
                }),
                sink,
                PipelineMetrics.NONE,
                MessageStore.NONE,
                ticker);
        pipelines.add(p);
        return p;
    }

    /** Started, on a clock that moves only when the test says. */
    private SinkQueue startedAt(FakeTicker ticker, FakeSink sink, Consumer<SpecBuilder> customize) {
        SinkQueue p = pipeline(sink, customize, FAST, ticker);
        p.start();
        return p;
    }

    /**
     * Waits until the dispatcher has looked at the queue twice since now: once it has, it has seen every change made
     * before this call (a "nothing happened" assertion after this one is about a state the dispatcher saw).
     */
    private static void awaitDispatcherLooked(SinkQueue p) {
        long before = p.dispatcherLooks();
        eventually().until(() -> p.dispatcherLooks() >= before + 2);
    }

    private SinkQueue pipeline(FakeSink sink, Consumer<SpecBuilder> customize) {
        return pipeline(sink, customize, FAST);
    }

    private SinkQueue started(FakeSink sink, Consumer<SpecBuilder> customize) {
        SinkQueue p = pipeline(sink, customize);
        p.start();
        return p;
    }

    private @Nullable String groupIdOf(Consumer<SpecBuilder> customize, Change change) throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = started(sink, customize);
        p.enqueue(change);
        p.markCommit(endLsn(9));
        eventually().until(() -> sink.deliveredMessages() == 1);
        return sink.delivered.getFirst().messages().getFirst().groupId();
    }

    private static Thread stopInBackground(SinkQueue p, Duration grace) {
        Thread stopper = Thread.ofPlatform().name("test-stop").start(() -> p.stop(grace));
        // Timed waiting only in join(grace): stop has told the worker to finish by then.
        eventually().until(() -> stopper.getState() == Thread.State.TIMED_WAITING);
        return stopper;
    }

    private static void assertSameMessages(Batch actual, Batch expected) {
        assertThat(actual.size()).isEqualTo(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            SinkMessage a = actual.messages().get(i);
            SinkMessage e = expected.messages().get(i);
            assertThat(a.idempotencyKey()).isEqualTo(e.idempotencyKey());
            assertThat(a.groupId()).isEqualTo(e.groupId());
            assertThat(a.json()).isEqualTo(e.json());
            assertThat(a.position()).isEqualTo(e.position());
        }
    }

    private static ConditionFactory eventually() {
        return Awaitility.await()
                .atMost(Duration.ofSeconds(2))
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(2));
    }

    private static Column column(String name) {
        return new Column(name, "text", ValueCodec.STRING);
    }

    /** Commit LSN of test transaction {@code n}; its end LSN follows it. */
    private static long commitLsn(int n) {
        return 0x1000L * n;
    }

    private static long endLsn(int n) {
        return commitLsn(n) + 0x38;
    }

    private static Change insert(long commitLsn, int idx, String id) {
        return change(ORDERS, commitLsn, idx, id, "name of " + id);
    }

    private static Change read(int idx) {
        return new Change(
                ORDERS,
                Action.READ,
                new String[] {"r" + idx, "row " + idx},
                null,
                null,
                null,
                new Position(commitLsn(1), idx),
                COMMITTED,
                null);
    }

    private static Change change(TableSchema table, long commitLsn, int idx, String... values) {
        return new Change(
                table, Action.INSERT, values, null, null, null, new Position(commitLsn, idx), COMMITTED, null);
    }
}
