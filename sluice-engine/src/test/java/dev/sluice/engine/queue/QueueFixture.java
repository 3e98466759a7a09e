package dev.sluice.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.engine.FakeSink;
import dev.sluice.engine.LoadShedding;
import dev.sluice.engine.MessageFunctions;
import dev.sluice.engine.MessageStore;
import dev.sluice.engine.PipelineMetrics;
import dev.sluice.engine.RetryPolicy;
import dev.sluice.engine.SinkSpec;
import dev.sluice.engine.SinkState;
import dev.sluice.testkit.FakeTicker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.jspecify.annotations.Nullable;

/**
 * What the queue's tests share: a sink spec with test defaults, changes of a small {@code orders} table, waits, and
 * the queues a test made (an instance per test class, stopped after each test).
 */
final class QueueFixture {
    static final TableId ORDERS_ID = new TableId("public", "orders");

    static final TableSchema ORDERS = new TableSchema(ORDERS_ID, List.of(column("id"), column("name")), new int[] {0});

    static final MessageContext CONTEXT = new MessageContext(
            "c1", "orders-hook", "{}", "d1", "shop", "{}", "shop", "localhost", TimestampFormat.ISO8601);

    static final tools.jackson.databind.ObjectMapper JSON =
            tools.jackson.databind.json.JsonMapper.builder().build();

    static final Instant COMMITTED = Instant.parse("2025-01-02T03:04:05.123456Z");

    /** A few milliseconds, so retry tests take no noticeable time. */
    static final RetryPolicy FAST = new RetryPolicy(Duration.ofMillis(1), Duration.ofMillis(4), 0);

    /** An update of row {@code id} carrying sequence number {@code seq} in its name column. */
    static Change update(long commitLsn, int idx, String id, int seq) {
        return change(ORDERS, commitLsn, idx, id, String.valueOf(seq));
    }

    /** Each of {@code rows} rows was delivered with strictly increasing sequence numbers. */
    static void assertPerRowSequence(FakeSink sink, int rows) {
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
    static final class SpecBuilder {
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
        long maxSpillBytes = SinkSpec.DEFAULT_MAX_SPILL_BYTES;
        MessageFunctions functions = MessageFunctions.NONE;
        boolean reselectUnchangedToast;

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
                    retry,
                    maxSpillBytes,
                    functions,
                    reselectUnchangedToast);
        }
    }

    static SinkSpec spec(Consumer<SpecBuilder> customize) {
        SpecBuilder b = new SpecBuilder();
        customize.accept(b);
        return b.build();
    }

    /**
     * Waits until the dispatcher has looked at the queue twice since now: once it has, it has seen every change made
     * before this call (a "nothing happened" assertion after this one is about a state the dispatcher saw).
     */
    static void awaitDispatcherLooked(SinkQueue p) {
        long before = p.dispatcherLooks();
        eventually().until(() -> p.dispatcherLooks() >= before + 2);
    }

    static Thread stopInBackground(SinkQueue p, Duration grace) {
        Thread stopper = Thread.ofPlatform().name("test-stop").start(() -> p.stop(grace));
        // Timed waiting only in join(grace): stop has told the worker to finish by then.
        eventually().until(() -> stopper.getState() == Thread.State.TIMED_WAITING);
        return stopper;
    }

    static void assertSameMessages(Batch actual, Batch expected) {
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

    static ConditionFactory eventually() {
        // Generous: a passing test waits only until its condition holds; a loaded CI machine needs the margin.
        return Awaitility.await()
                .atMost(Duration.ofSeconds(15))
                .pollDelay(Duration.ZERO)
                .pollInterval(Duration.ofMillis(2));
    }

    static Column column(String name) {
        return new Column(name, "text", ValueCodec.STRING);
    }

    /** Commit LSN of test transaction {@code n}; its end LSN follows it. */
    static long commitLsn(int n) {
        return 0x1000L * n;
    }

    static long endLsn(int n) {
        return commitLsn(n) + 0x38;
    }

    static Change insert(long commitLsn, int idx, String id) {
        return change(ORDERS, commitLsn, idx, id, "name of " + id);
    }

    static Change read(int idx) {
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

    static Change change(TableSchema table, long commitLsn, int idx, String... values) {
        return new Change(
                table, Action.INSERT, values, null, null, null, new Position(commitLsn, idx), COMMITTED, null);
    }

    private final List<SinkQueue> pipelines = new ArrayList<>();

    /** With a message store, failing groups retried every 20 ms. */
    SinkQueue stored(FakeSink sink, MemoryStore store, Consumer<SpecBuilder> customize) {
        return stored(sink, store, Ticker.SYSTEM, PipelineMetrics.NONE, customize);
    }

    /** With a message store, on {@code ticker}, failing groups retried every 20 ms of it. */
    SinkQueue stored(
            FakeSink sink, MemoryStore store, Ticker ticker, PipelineMetrics metrics, Consumer<SpecBuilder> customize) {
        RetryPolicy retry = new RetryPolicy(Duration.ofMillis(20), Duration.ofMillis(20), 0);
        SinkQueue p = new SinkQueue(
                spec(s -> {
                    s.retry = retry;
                    customize.accept(s);
                }),
                sink,
                metrics,
                store,
                ticker,
                null);
        pipelines.add(p);
        return p;
    }

    SinkQueue pipeline(FakeSink sink, Consumer<SpecBuilder> customize, RetryPolicy retry) {
        return pipeline(sink, customize, retry, Ticker.SYSTEM);
    }

    SinkQueue pipeline(FakeSink sink, Consumer<SpecBuilder> customize, RetryPolicy retry, Ticker ticker) {
        SinkQueue p = new SinkQueue(
                spec(s -> {
                    s.retry = retry;
                    customize.accept(s);
                }),
                sink,
                PipelineMetrics.NONE,
                MessageStore.NONE,
                ticker,
                null);
        pipelines.add(p);
        return p;
    }

    /** Started, on a clock that moves only when the test says. */
    SinkQueue startedAt(FakeTicker ticker, FakeSink sink, Consumer<SpecBuilder> customize) {
        SinkQueue p = pipeline(sink, customize, FAST, ticker);
        p.start();
        return p;
    }

    SinkQueue pipeline(FakeSink sink, Consumer<SpecBuilder> customize) {
        return pipeline(sink, customize, FAST);
    }

    SinkQueue started(FakeSink sink, Consumer<SpecBuilder> customize) {
        SinkQueue p = pipeline(sink, customize);
        p.start();
        return p;
    }

    /** A started queue whose first delivery, of one committed insert, has entered {@code gate} (from {@code sink}). */
    SinkQueue startedDelivering(FakeSink sink, FakeSink.Gate gate) throws InterruptedException {
        SinkQueue p = started(sink, s -> {});
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.markCommit(endLsn(1));
        gate.awaitEntered();
        return p;
    }

    @Nullable
    String groupIdOf(Consumer<SpecBuilder> customize, Change change) throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = started(sink, customize);
        p.enqueue(change);
        p.markCommit(endLsn(9));
        eventually().until(() -> sink.deliveredMessages() == 1);
        return sink.delivered.getFirst().messages().getFirst().groupId();
    }

    /** Stops every queue made since the last call. */
    void stopAll() {
        for (SinkQueue p : pipelines) {
            p.stop(Duration.ofMillis(100));
        }
        pipelines.clear();
    }

    /** A buffer bound that holds about {@code n} of these tests' small messages. */
    static long roomFor(int n) {
        return n * (Msg.ENTRY_OVERHEAD + 100);
    }
}
