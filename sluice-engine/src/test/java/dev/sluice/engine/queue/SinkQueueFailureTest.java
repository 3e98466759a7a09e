package dev.sluice.engine.queue;

import static dev.sluice.engine.queue.QueueFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Change;
import dev.sluice.core.Position;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.engine.FakeSink;
import dev.sluice.engine.RetryPolicy;
import dev.sluice.testkit.FakeTicker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Failed deliveries: retries and their back-off, max_retry_count, partial failures, a failing row isolated from the others, outage probes, and what health shows. */
class SinkQueueFailureTest {
    private final QueueFixture queues = new QueueFixture();

    @AfterEach
    void stopQueues() {
        queues.stopAll();
    }

    @Test
    void retry_aFailedRowIsRetriedHeadFirstWithTheSameMessage_thenTheRestInOneBatch() throws InterruptedException {
        FakeSink sink = new FakeSink().failTimes(2);
        SinkQueue p = queues.started(sink, s -> {});
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
        SinkQueue p = queues.started(sink, s -> s.maxRetryCount = 2);
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
        SinkQueue p = queues.started(sink, s -> s.maxRetryCount = 0);
        p.enqueue(insert(commitLsn(1), 0, "x"));
        p.markCommit(endLsn(1));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(sink.attempts).hasSize(1);
        assertThat(p.discardedCount()).isEqualTo(1);
    }

    @Test
    void retry_nonRetriableSinkExceptionIsDiscardedAtOnce() throws InterruptedException {
        FakeSink sink = new FakeSink().failPermanently();
        SinkQueue p = queues.started(sink, s -> {}); // retries forever otherwise
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

    @Test
    void groups_aFailingRowIsRetriedAlone_whileOtherRowsFlow_andItsLaterChangesWaitBehindIt()
            throws InterruptedException {
        FakeSink sink = new FakeSink();
        sink.poison = m -> "bad".equals(m.groupId());
        // Back-offs long enough to see the group waiting between attempts.
        SinkQueue p = queues.pipeline(
                sink, s -> s.batchSize = 5, new RetryPolicy(Duration.ofMillis(20), Duration.ofMillis(20), 0));
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
        SinkQueue p = queues.started(sink, s -> {
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
    void retry_rowsThatFailedTogetherAreRetriedApart_soABadRowDoesNotHoldTheOthers() throws InterruptedException {
        FakeSink sink = new FakeSink();
        sink.poison = m -> FakeSink.column(m, "id").equals("bad");
        SinkQueue p = queues.started(sink, s -> s.batchSize = 10);
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
        SinkQueue p = queues.started(sink, s -> s.batchSize = 10);
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
        SinkQueue p = queues.started(sink, s -> s.batchSize = 10);
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
        SinkQueue p = queues.pipeline(
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
        SinkQueue p = queues.pipeline(
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
        SinkQueue p = queues.startedAt(ticker, sink, s -> {});
        p.enqueue(update(commitLsn(1), 0, "r", 0));
        p.markCommit(endLsn(1));
        for (int attempt = 1; attempt <= 3; attempt++) {
            int expected = attempt;
            eventually().until(() -> sink.attempts.size() == expected);
            awaitDispatcherLooked(p); // the failure is applied: its back-off counts from now
            if (attempt < 3) {
                // FAST: a few milliseconds apart. Not after the third, whose retry would race the reconfiguration.
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
        SinkQueue p = queues.started(sink, s -> {});
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
}
