package dev.sluice.engine.queue;

import static dev.sluice.engine.queue.QueueFixture.COMMITTED;
import static dev.sluice.engine.queue.QueueFixture.ORDERS;
import static dev.sluice.engine.queue.QueueFixture.change;
import static dev.sluice.engine.queue.QueueFixture.column;
import static dev.sluice.engine.queue.QueueFixture.commitLsn;
import static dev.sluice.engine.queue.QueueFixture.endLsn;
import static dev.sluice.engine.queue.QueueFixture.eventually;
import static dev.sluice.engine.queue.QueueFixture.insert;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Action;
import dev.sluice.core.Change;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import dev.sluice.core.TruncateOption;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.engine.DeliveryLedger;
import dev.sluice.engine.FakeSink;
import dev.sluice.engine.PipelineMetrics;
import dev.sluice.testkit.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A truncate is delivered after every earlier message of its table, whatever their groups, and before every later one;
 * other tables go on meanwhile; a statement's truncates go together; the order holds through a spilled backlog, the
 * acknowledgement and a restart.
 */
class SinkQueueTruncateTest {
    private static final TableSchema CUSTOMERS =
            new TableSchema(new TableId("public", "customers"), List.of(column("id"), column("name")), new int[] {0});
    private static final TableSchema ITEMS =
            new TableSchema(new TableId("public", "items"), List.of(column("id"), column("name")), new int[] {0});

    private final QueueFixture queues = new QueueFixture();
    private final FakeSink sink = new FakeSink();

    @AfterEach
    void stopQueues() {
        queues.stopAll();
    }

    @Test
    void truncate_goesAfterEveryEarlierRowOfItsTable_andBeforeEveryLaterOne_whileOtherTablesGoOn()
            throws InterruptedException {
        // One earlier row of orders keeps failing: the truncate, and orders' later rows, wait for it.
        sink.poison =
                m -> m.action() == Action.INSERT && FakeSink.column(m, "id").equals("slow");
        SinkQueue p = queues.started(sink, s -> s.batchSize = 3);
        for (int i = 0; i < 5; i++) {
            p.enqueue(insert(commitLsn(1), i, i == 2 ? "slow" : "early" + i));
        }
        p.markCommit(endLsn(1));
        p.enqueueTruncate(List.of(truncate(ORDERS, 2, 0)));
        p.markCommit(endLsn(2));
        p.enqueue(change(ORDERS, commitLsn(3), 0, "early0", "again")); // a row changed before: its group waits
        p.enqueue(insert(commitLsn(3), 1, "late"));
        p.enqueue(change(CUSTOMERS, commitLsn(3), 2, "c1", "other table"));
        p.markCommit(endLsn(3));

        eventually()
                .until(() -> delivered().contains("customers:c1") && delivered().size() == 5);
        assertThat(delivered())
                .as("the earlier rows but the failing one, and the other table's")
                .containsExactlyInAnyOrder(
                        "orders:early0", "orders:early1", "orders:early3", "orders:early4", "customers:c1");

        sink.poison = null;
        p.redeliver(null);
        eventually().until(() -> p.acknowledgedLsn() == endLsn(3));
        List<String> order = delivered();
        int truncate = order.indexOf("orders:TRUNCATE");
        assertThat(order.indexOf("orders:slow")).isLessThan(truncate);
        assertThat(order.subList(truncate + 1, order.size()))
                .containsExactlyInAnyOrder("orders:early0 again", "orders:late");
        assertThat(order).hasSize(9).doesNotHaveDuplicates();
    }

    @Test
    void truncatesOfOneStatement_goInOneBatch_evenWhenTheCurrentOneHasNoRoomLeft() throws InterruptedException {
        FakeSink.Gate gate = sink.block();
        SinkQueue p = queues.started(sink, s -> s.batchSize = 4);
        p.enqueue(change(ITEMS, commitLsn(1), 0, "first", "x"));
        p.markCommit(endLsn(1));
        gate.awaitEntered();
        for (int i = 0; i < 3; i++) {
            p.enqueue(change(ITEMS, commitLsn(2), i, "i" + i, "x"));
        }
        p.markCommit(endLsn(2));
        p.enqueueTruncate(List.of(truncate(ORDERS, 3, 0), truncate(CUSTOMERS, 3, 1)));
        p.markCommit(endLsn(3));
        // A full batch's worth is ready: the rows go at once, the truncates wait for a batch with room for both.
        eventually().until(() -> sink.deliveredMessages() == 3);
        gate.release();

        eventually().until(() -> p.acknowledgedLsn() == endLsn(3));
        List<List<String>> batches = sink.delivered.stream()
                .map(b ->
                        b.messages().stream().map(SinkQueueTruncateTest::label).toList())
                .toList();
        assertThat(batches)
                .as("three rows, and no room for both truncates in that batch")
                .containsExactly(
                        List.of("items:i0", "items:i1", "items:i2"),
                        List.of("items:first"),
                        List.of("orders:TRUNCATE", "customers:TRUNCATE"));
    }

    @Test
    void truncate_inASpilledBacklog_holdsTheSlot_isNeverStored_andKeepsItsPlaceAcrossARestart()
            throws InterruptedException {
        FakeTicker ticker = new FakeTicker();
        MemoryStore store = new MemoryStore();
        sink.poison = m -> true; // the peer is down
        SinkQueue first = queues.stored(
                sink, store, ticker, PipelineMetrics.NONE, s -> s.maxQueueBytes = QueueFixture.roomFor(40));
        first.start();
        int early = 200;
        for (int t = 1; t <= early; t++) {
            first.enqueue(insert(commitLsn(t), 0, "row" + (t % 50)));
            first.markCommit(endLsn(t));
        }
        int truncateTxn = early + 1;
        first.enqueueTruncate(List.of(truncate(ORDERS, truncateTxn, 0)));
        first.markCommit(endLsn(truncateTxn));
        int last = truncateTxn + 10;
        for (int t = truncateTxn + 1; t <= last; t++) {
            first.enqueue(insert(commitLsn(t), 0, "row" + (t % 50)));
            first.enqueue(change(CUSTOMERS, commitLsn(t), 1, "c" + t, "x"));
            first.markCommit(endLsn(t));
        }
        // The earlier rows reach the store and stop holding the slot; the truncate does not, nor what waits for it.
        eventually().until(() -> first.acknowledgedLsn() == endLsn(early));
        assertThat(first.storeUse().spilledMessages()).isPositive();
        DeliveryLedger.Progress progress = first.progress();
        first.stop(Duration.ofMillis(100));
        assertThat(store.rows.values().stream().filter(r -> r.table().equals(ORDERS.id())))
                .as("of orders, only what came before the truncate")
                .allSatisfy(r -> assertThat(r.position().commitLsn()).isLessThan(commitLsn(truncateTxn)))
                .hasSize(early);

        // Restarted with the peer back: the stored rows go first, then the slot's replay from the truncate on.
        FakeSink healthy = new FakeSink();
        SinkQueue second = queues.stored(
                healthy, store, ticker, PipelineMetrics.NONE, s -> s.maxQueueBytes = QueueFixture.roomFor(40));
        second.restore(progress);
        second.restoreStored();
        second.start();
        second.enqueueTruncate(List.of(truncate(ORDERS, truncateTxn, 0)));
        second.markCommit(endLsn(truncateTxn));
        for (int t = truncateTxn + 1; t <= last; t++) {
            second.enqueue(insert(commitLsn(t), 0, "row" + (t % 50)));
            second.enqueue(change(CUSTOMERS, commitLsn(t), 1, "c" + t, "x"));
            second.markCommit(endLsn(t));
        }
        ticker.advance(Duration.ofMinutes(1)); // the restored failing groups' back-off ends
        eventually().until(() -> second.acknowledgedLsn() == endLsn(last) && store.rows.isEmpty());

        List<Position> orders = new ArrayList<>();
        Position truncatedAt = null;
        for (Batch b : healthy.delivered) {
            for (SinkMessage m : b.messages()) {
                if (m.table().equals(ORDERS.id())) {
                    orders.add(m.position());
                    if (m.action() == Action.TRUNCATE) {
                        truncatedAt = m.position();
                    }
                }
            }
        }
        assertThat(truncatedAt).isEqualTo(new Position(commitLsn(truncateTxn), 0));
        assertThat(orders).doesNotHaveDuplicates().hasSize(early + 1 + (last - truncateTxn));
        int at = orders.indexOf(truncatedAt);
        assertThat(orders.subList(0, at))
                .allSatisfy(pos -> assertThat(pos.commitLsn()).isLessThan(commitLsn(truncateTxn)));
        assertThat(orders.subList(at + 1, orders.size()))
                .allSatisfy(pos -> assertThat(pos.commitLsn()).isGreaterThan(commitLsn(truncateTxn)));
    }

    @Test
    void twoTruncatesInOneTransaction_eachWaitsForTheRowsBeforeIt_andTheRowsAfterItWaitForIt()
            throws InterruptedException {
        SinkQueue p = queues.started(sink, s -> {});
        p.enqueueTruncate(List.of(truncate(ORDERS, 1, 0)));
        p.enqueue(insert(commitLsn(1), 1, "between"));
        p.enqueueTruncate(List.of(truncate(ORDERS, 1, 2)));
        p.enqueue(insert(commitLsn(1), 3, "after"));
        p.markCommit(endLsn(1));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.delivered.stream()
                        .map(b -> b.messages().stream()
                                .map(SinkQueueTruncateTest::label)
                                .toList())
                        .toList())
                .as("one batch could hold them all; each waits for the one before it")
                .containsExactly(
                        List.of("orders:TRUNCATE"),
                        List.of("orders:between"),
                        List.of("orders:TRUNCATE"),
                        List.of("orders:after"));
        assertThat(sink.delivered.getFirst().messages().getFirst().json())
                .asString()
                .contains("\"action\":\"truncate\"", "\"truncate_options\":[\"cascade\"]", "\"record\":{}");
    }

    private static Change truncate(TableSchema table, int txn, int idx) {
        return Change.truncate(
                table, Set.of(TruncateOption.CASCADE), new Position(commitLsn(txn), idx), COMMITTED, null);
    }

    /** The delivered messages as {@code table:id}, or {@code table:TRUNCATE}, in delivery order. */
    private List<String> delivered() {
        List<String> out = new ArrayList<>();
        for (Batch b : sink.delivered) {
            b.messages().forEach(m -> out.add(label(m)));
        }
        return out;
    }

    /** {@code table:id} ({@code table:id again} for a row's second change here), or {@code table:TRUNCATE}. */
    private static String label(SinkMessage m) {
        if (m.action() == Action.TRUNCATE) {
            return m.table().name() + ":TRUNCATE";
        }
        String again = FakeSink.column(m, "name").equals("again") ? " again" : "";
        return m.table().name() + ":" + FakeSink.column(m, "id") + again;
    }
}
