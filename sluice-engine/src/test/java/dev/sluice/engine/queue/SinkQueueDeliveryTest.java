package dev.sluice.engine.queue;

import static dev.sluice.engine.queue.QueueFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.MessageContext;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.engine.DeliveryLedger;
import dev.sluice.engine.FakeSink;
import dev.sluice.engine.SinkState;
import dev.sluice.testkit.FakeTicker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Delivery in order: batching, acknowledgement of the slot, backfill reads, group ids and routing. */
class SinkQueueDeliveryTest {
    private final QueueFixture queues = new QueueFixture();

    @AfterEach
    void stopQueues() {
        queues.stopAll();
    }

    @Test
    void aHugeTransactionsProgress_reportsABoundedNumberOfResolvedPositions() throws InterruptedException {
        FakeSink sink = new FakeSink();
        int n = 70_000;
        sink.poison = m -> m.position().commitIdx() == n - 1; // the last one keeps the transaction open
        SinkQueue p = queues.started(sink, s -> s.batchSize = 1000);
        for (int i = 0; i < n; i++) {
            p.enqueue(insert(commitLsn(1), i, "row" + i));
        }
        p.markCommit(endLsn(1));
        eventually().until(() -> sink.deliveredMessages() == n - 1);

        DeliveryLedger.Progress progress = p.progress();
        assertThat(p.acknowledgedLsn()).isLessThan(endLsn(1));
        assertThat(progress.resolvedAfter())
                .as("a restart may deliver the rest again; the ledger row stays small")
                .hasSize(65_536)
                .doesNotHaveDuplicates()
                .allMatch(pos -> pos.commitLsn() == commitLsn(1) && pos.commitIdx() < n - 1);
    }

    @Test
    void enqueueReads_deliversJsonEncodedBeforeQueueingUnderTheSinksContext() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = queues.started(sink, s -> s.batchSize = 10);
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
        SinkQueue p = queues.started(sink, s -> s.batchSize = 10);
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
        SinkQueue p = queues.pipeline(sink, s -> s.maxQueueBytes = 1024); // not started: nothing makes room
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

    @Test
    void deliver_messagesInEnqueueOrder() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = queues.started(sink, s -> s.batchSize = 3);
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
        SinkQueue p = queues.started(sink, s -> {
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
        SinkQueue p = queues.started(sink, s -> s.batchTimeout = Duration.ofMinutes(1));
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
        SinkQueue p = queues.startedAt(ticker, sink, s -> s.batchTimeout = timeout);
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

    @Test
    void ack_reachesTransactionEndOnlyAfterEveryChangeOfItWasDelivered() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate b1 = sink.block();
        FakeSink.Gate b2 = sink.block();
        FakeSink.Gate b3 = sink.block();
        SinkQueue p = queues.started(sink, s -> s.batchSize = 2);
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
        SinkQueue p = queues.startedAt(new FakeTicker(), sink, s -> s.batchTimeout = Duration.ofMinutes(1));
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
        SinkQueue p = queues.started(sink, s -> {});
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
        SinkQueue p = queues.startedDelivering(sink, gate);
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
        SinkQueue p = queues.started(sink, s -> s.batchSize = 1);
        p.enqueue(insert(commitLsn(1), 0, "a"));
        gate.awaitEntered();
        p.markCommit(endLsn(1));
        assertThat(p.acknowledgedLsn()).isZero();

        gate.release();
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(p.idle()).isTrue();
    }

    @Test
    void positionAt_onlyMovesTheAcknowledgementForward() {
        SinkQueue p = queues.started(new FakeSink(), s -> {});
        assertThat(p.positioned()).isFalse();
        p.markCommit(endLsn(3));
        p.positionAt(endLsn(2));
        assertThat(p.positioned()).isTrue();
        assertThat(p.acknowledgedLsn()).isEqualTo(endLsn(3));
        p.positionAt(endLsn(4));
        assertThat(p.acknowledgedLsn()).isEqualTo(endLsn(4));
    }

    @Test
    void groupId_isPrimaryKeyValuesJoinedByColon() throws InterruptedException {
        TableSchema lines = new TableSchema(
                new TableId("public", "order_lines"),
                List.of(column("order_id"), column("note"), column("line_no")),
                new int[] {0, 2});
        assertThat(queues.groupIdOf(s -> {}, change(lines, commitLsn(1), 0, "17", "gift", "3")))
                .isEqualTo("17:3");
        assertThat(queues.groupIdOf(s -> {}, insert(commitLsn(1), 0, "42"))).isEqualTo("42");
    }

    @Test
    void groupId_usesConfiguredGroupColumnsInTheirOrder() throws InterruptedException {
        TableSchema t =
                new TableSchema(ORDERS_ID, List.of(column("id"), column("name"), column("region")), new int[] {0});
        assertThat(queues.groupIdOf(
                        s -> s.groupColumns = Map.of(ORDERS_ID, List.of("region", "name")),
                        change(t, commitLsn(1), 0, "1", "alice", "eu")))
                .isEqualTo("eu:alice");
    }

    @Test
    void groupId_fallsBackToPrimaryKeyWhenGroupColumnIsMissing() throws InterruptedException {
        assertThat(queues.groupIdOf(
                        s -> s.groupColumns = Map.of(ORDERS_ID, List.of("no_such_column")),
                        insert(commitLsn(1), 0, "7")))
                .isEqualTo("7");
    }

    @Test
    void groupId_isNullWithoutMessageGroupingOrPrimaryKey() throws InterruptedException {
        assertThat(queues.groupIdOf(s -> s.messageGrouping = false, insert(commitLsn(1), 0, "7")))
                .isNull();
        TableSchema keyless = new TableSchema(new TableId("public", "events"), List.of(column("body")), new int[0]);
        assertThat(queues.groupIdOf(s -> {}, change(keyless, commitLsn(1), 0, "hello")))
                .isNull();
    }

    @Test
    void accepts_honoursActionsTablesAndDisabledState() {
        TableSchema other = new TableSchema(new TableId("audit", "log"), List.of(column("id")), new int[] {0});
        SinkQueue p = queues.pipeline(new FakeSink(), s -> {
            s.actions = EnumSet.of(Action.INSERT, Action.DELETE);
            s.tables = t -> t.schema().equals("public");
        });
        assertThat(p.accepts(ORDERS, Action.INSERT)).isTrue();
        assertThat(p.accepts(ORDERS, Action.DELETE)).isTrue();
        assertThat(p.accepts(ORDERS, Action.UPDATE)).isFalse();
        assertThat(p.accepts(other, Action.INSERT)).isFalse();

        SinkQueue disabled = queues.pipeline(new FakeSink(), s -> s.state = SinkState.DISABLED);
        for (Action a : Action.values()) {
            assertThat(disabled.accepts(ORDERS, a)).isFalse();
        }
    }

    @Test
    void groups_aHeldGroupHoldsOnlyItsOwnRows_andEveryRowKeepsItsOrder() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate held = sink.block();
        SinkQueue p = queues.started(sink, s -> s.batchSize = 4);
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
        SinkQueue p = queues.startedAt(new FakeTicker(), sink, s -> {
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
    void groups_withoutMessageGrouping_aHeldMessageHoldsNothingElse() throws InterruptedException {
        FakeSink sink = new FakeSink();
        FakeSink.Gate held = sink.block();
        SinkQueue p = queues.started(sink, s -> {
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
        SinkQueue p = queues.startedAt(new FakeTicker(), sink, s -> s.batchSize = 1);
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
}
