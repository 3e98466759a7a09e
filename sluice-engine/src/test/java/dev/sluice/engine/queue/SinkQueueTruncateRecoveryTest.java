package dev.sluice.engine.queue;

import static dev.sluice.engine.queue.QueueFixture.COMMITTED;
import static dev.sluice.engine.queue.QueueFixture.ORDERS;
import static dev.sluice.engine.queue.QueueFixture.awaitDispatcherLooked;
import static dev.sluice.engine.queue.QueueFixture.change;
import static dev.sluice.engine.queue.QueueFixture.column;
import static dev.sluice.engine.queue.QueueFixture.commitLsn;
import static dev.sluice.engine.queue.QueueFixture.endLsn;
import static dev.sluice.engine.queue.QueueFixture.eventually;
import static dev.sluice.engine.queue.QueueFixture.update;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import dev.sluice.core.TruncateOption;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.engine.FakeSink;
import dev.sluice.engine.PipelineMetrics;
import dev.sluice.engine.RetryPolicy;
import dev.sluice.testkit.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A truncate queued while the peer is down, behind many failing groups of its table, is delivered once they are, and
 * the rows after it follow: whichever way those groups finish (retried after their back-off, redelivered on request,
 * discarded, loaded back from the store), and when the groups ahead of it had finished and gone before it came. While
 * it waits, it and what waits for it count as queued.
 */
class SinkQueueTruncateRecoveryTest {
    private static final TableSchema CUSTOMERS =
            new TableSchema(new TableId("public", "customers"), List.of(column("id"), column("name")), new int[] {0});
    private static final int ROWS = 300;
    private static final int EARLY_TXNS = 3;
    private static final int TRUNCATE_TXN = EARLY_TXNS + 1;
    private static final int LATE_TXN = TRUNCATE_TXN + 1;
    private static final RetryPolicy BACK_OFF = new RetryPolicy(Duration.ofMillis(100), Duration.ofSeconds(1), 0);

    private final QueueFixture queues = new QueueFixture();
    private final FakeSink sink = new FakeSink();
    private final FakeTicker ticker = new FakeTicker();

    @AfterEach
    void stopQueues() {
        queues.stopAll();
    }

    @Test
    void truncateQueuedDuringAnOutage_goesOnceTheFailedGroupsAreRetried_thenTheRowsAfterIt()
            throws InterruptedException {
        sink.poison = m -> true; // the peer is down
        SinkQueue p = queues.pipeline(sink, s -> s.batchSize = 10, BACK_OFF, ticker);
        p.start();
        outageThenTruncate(p);

        sink.poison = null; // the peer is back: every group goes after its back-off
        recover(p);
        assertDeliveredInOrder(EARLY_TXNS);
    }

    @Test
    void truncateQueuedDuringAnOutage_withTheFailedGroupsStoredAndSpilled_goesOnceTheyAreLoadedBackAndDelivered()
            throws InterruptedException {
        MemoryStore store = new MemoryStore();
        sink.poison = m -> true;
        SinkQueue p = queues.stored(sink, store, ticker, PipelineMetrics.NONE, s -> {
            s.batchSize = 10;
            s.retry = BACK_OFF;
            s.maxQueueBytes = QueueFixture.roomFor(ROWS); // less than the backlog: stored messages leave memory
        });
        p.start();
        outageThenTruncate(p);
        eventually().until(() -> p.storeUse().spilledMessages() > 0);

        sink.poison = null;
        recover(p);
        eventually().until(() -> store.rows.isEmpty());
        assertThat(store.groupLoads.get() + store.scans.get())
                .as("spilled messages were loaded back")
                .isPositive();
        assertDeliveredInOrder(EARLY_TXNS);
    }

    @Test
    void truncateQueuedDuringAnOutage_goesWhenTheFailedGroupsAreRedeliveredOnRequest() throws InterruptedException {
        sink.poison = m -> true;
        SinkQueue p = queues.pipeline(sink, s -> s.batchSize = 10, BACK_OFF, ticker);
        p.start();
        outageThenTruncate(p);

        sink.poison = null;
        // No time passes: the groups go because they are asked to, one redelivery per round of failures.
        eventually().atMost(Duration.ofSeconds(20)).until(() -> {
            p.redeliver(null);
            return p.acknowledgedLsn() == endLsn(LATE_TXN);
        });
        assertDeliveredInOrder(EARLY_TXNS);
    }

    @Test
    void truncateQueuedDuringAnOutage_goesWhenTheFailedRowsAreDiscarded() throws InterruptedException {
        sink.poison = m -> m.table().equals(ORDERS.id()) && m.action() != Action.TRUNCATE;
        SinkQueue p = queues.pipeline(sink, s -> s.batchSize = 10, BACK_OFF, ticker);
        p.start();
        enqueueEarly(p);
        eventually().until(() -> p.failingGroups() > 0);
        p.enqueueTruncate(List.of(truncate(ORDERS, TRUNCATE_TXN, 0)));
        p.markCommit(endLsn(TRUNCATE_TXN));
        enqueueLate(p);
        awaitDispatcherLooked(p);

        // Every earlier row of orders is given up on, group by group as each fails, whatever its back-off.
        sink.poison = m -> m.table().equals(ORDERS.id())
                && m.action() != Action.TRUNCATE
                && m.position().commitLsn() < commitLsn(TRUNCATE_TXN);
        eventually().atMost(Duration.ofSeconds(20)).until(() -> {
            p.discard(null);
            ticker.advance(Duration.ofSeconds(1));
            return p.acknowledgedLsn() == endLsn(LATE_TXN);
        });
        List<String> orders = ordersDelivered();
        assertThat(orders.getFirst()).isEqualTo("TRUNCATE");
        assertThat(orders.subList(1, orders.size()))
                .hasSize(ROWS / 2)
                .allSatisfy(o -> assertThat(o).startsWith("late"));
    }

    @Test
    void truncate_afterTheGroupsOfItsTableWereDeliveredAndGone_goesAtOnce_andTheRowsAfterItFollow()
            throws InterruptedException {
        SinkQueue p = queues.pipeline(sink, s -> s.batchSize = 10, BACK_OFF, ticker);
        p.start();
        enqueueEarly(p);
        eventually().until(() -> p.acknowledgedLsn() == endLsn(EARLY_TXNS));
        assertThat(p.queuedMessages()).isZero();

        p.enqueueTruncate(List.of(truncate(ORDERS, TRUNCATE_TXN, 0)));
        p.markCommit(endLsn(TRUNCATE_TXN));
        enqueueLate(p);
        eventually().until(() -> p.acknowledgedLsn() == endLsn(LATE_TXN));
        assertDeliveredInOrder(EARLY_TXNS);
    }

    @Test
    void truncate_afterAnOutageWasOver_goesAtOnce_andTheRowsAfterItFollow() throws InterruptedException {
        sink.poison = m -> true;
        SinkQueue p = queues.pipeline(sink, s -> s.batchSize = 10, BACK_OFF, ticker);
        p.start();
        enqueueEarly(p);
        eventually().until(() -> p.failingGroups() > 0);
        sink.poison = null;
        eventually().atMost(Duration.ofSeconds(20)).until(() -> {
            ticker.advance(Duration.ofSeconds(1));
            return p.acknowledgedLsn() == endLsn(EARLY_TXNS);
        });
        assertThat(p.queuedMessages()).isZero();
        assertThat(p.failingGroups()).isZero();

        // As in the sync after its target's outage: a truncate, and rows after it, on a queue that is caught up.
        p.enqueueTruncate(List.of(truncate(ORDERS, TRUNCATE_TXN, 0)));
        p.markCommit(endLsn(TRUNCATE_TXN));
        enqueueLate(p);
        eventually().until(() -> p.acknowledgedLsn() == endLsn(LATE_TXN));
        assertDeliveredInOrder(EARLY_TXNS);
    }

    /**
     * Queues the earlier rows while the peer is down, then, with many groups failing, the truncate and the rows after
     * it; checks that none of them goes out meanwhile and that they all count as queued.
     */
    private void outageThenTruncate(SinkQueue p) throws InterruptedException {
        enqueueEarly(p);
        // Many groups fail and wait for their back-off; the peer looks down: probes only.
        eventually().until(() -> p.failingGroups() >= 20);
        for (int i = 0; i < 3; i++) {
            ticker.advance(Duration.ofMillis(150));
            awaitDispatcherLooked(p);
        }
        p.enqueueTruncate(List.of(truncate(ORDERS, TRUNCATE_TXN, 0)));
        p.markCommit(endLsn(TRUNCATE_TXN));
        enqueueLate(p);
        ticker.advance(Duration.ofMillis(150));
        awaitDispatcherLooked(p);
        assertThat(p.queuedMessages())
                .as("every row, the truncate and what waits for it")
                .isEqualTo(EARLY_TXNS * ROWS + 1 + ROWS / 2 + 1);
        assertThat(sink.delivered).isEmpty();
    }

    /** Moves time on until everything is delivered: each failed group goes after its back-off. */
    private void recover(SinkQueue p) {
        eventually().atMost(Duration.ofSeconds(20)).until(() -> {
            ticker.advance(Duration.ofSeconds(1));
            return p.acknowledgedLsn() == endLsn(LATE_TXN);
        });
        assertThat(p.queuedMessages()).isZero();
        assertThat(p.failingGroups()).isZero();
    }

    /** {@link #EARLY_TXNS} transactions each updating every one of {@link #ROWS} rows of orders. */
    private static void enqueueEarly(SinkQueue p) throws InterruptedException {
        for (int t = 1; t <= EARLY_TXNS; t++) {
            for (int i = 0; i < ROWS; i++) {
                p.enqueue(update(commitLsn(t), i, "row" + i, t));
            }
            p.markCommit(endLsn(t));
        }
    }

    /** After the truncate: half of the rows again, and a row of another table. */
    private static void enqueueLate(SinkQueue p) throws InterruptedException {
        for (int i = 0; i < ROWS / 2; i++) {
            p.enqueue(change(ORDERS, commitLsn(LATE_TXN), i, "row" + i, "late" + i));
        }
        p.enqueue(change(CUSTOMERS, commitLsn(LATE_TXN), ROWS / 2, "c1", "x"));
        p.markCommit(endLsn(LATE_TXN));
    }

    /**
     * Orders' messages, in delivery order: {@code earlyPerRow} earlier changes of each row before the truncate, the
     * truncate once, then the later ones once each; every row's changes in order.
     */
    private void assertDeliveredInOrder(int earlyPerRow) {
        List<Position> positions = new ArrayList<>();
        Map<String, List<Position>> perRow = new HashMap<>();
        for (Batch b : sink.delivered) {
            for (SinkMessage m : b.messages()) {
                if (m.table().equals(ORDERS.id())) {
                    positions.add(m.position());
                    if (m.action() != Action.TRUNCATE) {
                        perRow.computeIfAbsent(FakeSink.column(m, "id"), k -> new ArrayList<>())
                                .add(m.position());
                    }
                }
            }
        }
        assertThat(perRow).hasSize(ROWS);
        perRow.forEach((row, list) -> assertThat(list).as("row %s", row).isSorted());
        Position truncatedAt = new Position(commitLsn(TRUNCATE_TXN), 0);
        assertThat(positions).doesNotHaveDuplicates().contains(truncatedAt);
        int at = positions.indexOf(truncatedAt);
        assertThat(positions.subList(0, at))
                .as("before the truncate: every earlier change of orders")
                .hasSize(earlyPerRow * ROWS)
                .allSatisfy(pos -> assertThat(pos.commitLsn()).isLessThan(truncatedAt.commitLsn()));
        assertThat(positions.subList(at + 1, positions.size()))
                .as("after it: the later ones")
                .hasSize(ROWS / 2)
                .allSatisfy(pos -> assertThat(pos.commitLsn()).isEqualTo(commitLsn(LATE_TXN)));
    }

    /** Orders' messages in delivery order: {@code TRUNCATE}, or the name column. */
    private List<String> ordersDelivered() {
        List<String> out = new ArrayList<>();
        for (Batch b : sink.delivered) {
            for (SinkMessage m : b.messages()) {
                if (m.table().equals(ORDERS.id())) {
                    out.add(m.action() == Action.TRUNCATE ? "TRUNCATE" : FakeSink.column(m, "name"));
                }
            }
        }
        return out;
    }

    private static Change truncate(TableSchema table, int txn, int idx) {
        return Change.truncate(
                table, Set.of(TruncateOption.CASCADE), new Position(commitLsn(txn), idx), COMMITTED, null);
    }
}
