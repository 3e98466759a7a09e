package dev.sluice.engine.queue;

import static dev.sluice.engine.queue.QueueFixture.commitLsn;
import static dev.sluice.engine.queue.QueueFixture.endLsn;
import static dev.sluice.engine.queue.QueueFixture.eventually;
import static dev.sluice.engine.queue.QueueFixture.insert;
import static dev.sluice.engine.queue.QueueFixture.update;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Ticker;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.engine.FakeSink;
import dev.sluice.engine.MessageFunctions;
import dev.sluice.engine.MessageFunctions.Outcome;
import dev.sluice.engine.PipelineMetrics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A sink's functions as the queue applies them: filtered messages, transformed payloads, failures, routing. */
class SinkQueueFunctionsTest {
    private final QueueFixture queues = new QueueFixture();

    @AfterEach
    void stopQueues() {
        queues.stopAll();
    }

    /** Functions that decide per message. */
    private static MessageFunctions each(Function<SinkMessage, Outcome> f) {
        return messages -> messages.stream().map(f).toList();
    }

    private static Outcome send(SinkMessage m) {
        return new Outcome.Send(m.json(), null);
    }

    @Test
    void filter_rejectedMessagesAreNotSentButAcknowledged() throws InterruptedException {
        FakeSink sink = new FakeSink();
        AtomicInteger filtered = new AtomicInteger();
        PipelineMetrics metrics = new PipelineMetrics() {
            @Override
            public void filtered(String sink, int n) {
                filtered.addAndGet(n);
            }
        };
        SinkQueue p = queues.stored(
                sink,
                new MemoryStore(),
                Ticker.SYSTEM,
                metrics,
                s -> s.functions =
                        each(m -> FakeSink.column(m, "id").startsWith("skip") ? new Outcome.Skip() : send(m)));
        p.start();
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.enqueue(insert(commitLsn(1), 1, "skip-1"));
        p.enqueue(insert(commitLsn(1), 2, "b"));
        p.markCommit(endLsn(1));
        p.enqueue(insert(commitLsn(2), 0, "skip-2"));
        p.markCommit(endLsn(2));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(2));
        assertThat(delivered(sink)).extracting(m -> FakeSink.column(m, "id")).containsExactly("a", "b");
        assertThat(filtered).hasValue(2);
        // A batch of filtered messages only never reaches the sink.
        assertThat(sink.attempts).hasSize(1);
    }

    @Test
    void transform_replacesThePayloadTheSinkReceives() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = queues.started(
                sink,
                s -> s.functions = each(m -> new Outcome.Send(
                        ("{\"id\":\"" + FakeSink.column(m, "id") + "\"}").getBytes(StandardCharsets.UTF_8), null)));
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.enqueue(insert(commitLsn(1), 1, "b"));
        p.markCommit(endLsn(1));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(delivered(sink))
                .extracting(m -> new String(m.json(), StandardCharsets.UTF_8))
                .containsExactly("{\"id\":\"a\"}", "{\"id\":\"b\"}");
        // What the sink routes on is the change's, not the payload's.
        assertThat(delivered(sink)).extracting(SinkMessage::groupId).containsExactly("a", "b");
        // And so is the change's own JSON, for a sink that needs what the transform left out (a document id).
        assertThat(delivered(sink))
                .extracting(m -> new String(m.sourceJson(), StandardCharsets.UTF_8))
                .allSatisfy(j -> assertThat(j).contains("\"record_pks\":["));
    }

    @Test
    void failure_failsThatMessageOnly_itsRowWaitsBehindIt_andItIsRetriedUntilTheFunctionSucceeds()
            throws InterruptedException {
        FakeSink sink = new FakeSink();
        AtomicInteger failuresLeft = new AtomicInteger(3);
        SinkQueue p = queues.started(
                sink,
                s -> s.functions = each(m -> {
                    if (FakeSink.column(m, "id").equals("bad")
                            && FakeSink.column(m, "name").equals("0")
                            && failuresLeft.getAndDecrement() > 0) {
                        return new Outcome.Failed("function f: TypeError at line 3");
                    }
                    return send(m);
                }));
        p.enqueue(update(commitLsn(1), 0, "bad", 0));
        p.enqueue(update(commitLsn(1), 1, "good", 0));
        p.enqueue(update(commitLsn(1), 2, "bad", 1));
        p.enqueue(update(commitLsn(1), 3, "good", 1));
        p.markCommit(endLsn(1));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        List<SinkMessage> delivered = delivered(sink);
        assertThat(delivered).hasSize(4);
        QueueFixture.assertPerRowSequence(sink, 2);
        // The healthy row did not wait for the failing one.
        assertThat(FakeSink.column(delivered.getFirst(), "id")).isEqualTo("good");
        assertThat(failuresLeft.get()).isNegative();
    }

    @Test
    void failure_countsAgainstMaxRetryCount_andTheReasonIsTheFunctionsError() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = queues.started(sink, s -> {
            s.maxRetryCount = 1;
            s.functions = each(m -> FakeSink.column(m, "id").equals("bad")
                    ? new Outcome.Failed("function f: filter must return true or false, got 1")
                    : send(m));
        });
        p.enqueue(insert(commitLsn(1), 0, "bad"));
        p.enqueue(insert(commitLsn(1), 1, "ok"));
        p.markCommit(endLsn(1));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(p.discardedCount()).isEqualTo(1);
        assertThat(delivered(sink)).extracting(m -> FakeSink.column(m, "id")).containsExactly("ok");
        assertThat(p.lastError()).contains("filter must return true or false");
    }

    @Test
    void routing_messagesRoutedDifferentlyNeverShareARequest_andEachRowStaysInOrder() throws InterruptedException {
        FakeSink sink = new FakeSink();
        Map<String, Integer> routes = new ConcurrentHashMap<>();
        SinkQueue p = queues.started(sink, s -> {
            s.batchSize = 50;
            // Each row's changes alternate between two topics.
            s.functions = each(m -> new Outcome.Send(
                    m.json(), Map.of("topic", "t" + Integer.parseInt(FakeSink.column(m, "name")) % 2)));
        });
        for (int seq = 0; seq < 10; seq++) {
            for (int row = 0; row < 3; row++) {
                p.enqueue(update(commitLsn(1), seq * 3 + row, "r" + row, seq));
            }
        }
        p.markCommit(endLsn(1));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        for (Batch b : sink.delivered) {
            assertThat(b.messages())
                    .extracting(SinkMessage::routing)
                    .containsOnly(b.messages().getFirst().routing());
            routes.merge(String.valueOf(b.messages().getFirst().routing().get("topic")), b.size(), Integer::sum);
        }
        assertThat(routes).containsEntry("t0", 15).containsEntry("t1", 15);
        QueueFixture.assertPerRowSequence(sink, 3);
    }

    @Test
    void routing_aSinkFailureOnOneRouteHoldsThatRowsLaterMessages_otherRowsGoOn() throws InterruptedException {
        FakeSink sink = new FakeSink();
        AtomicInteger failures = new AtomicInteger(1);
        sink.poison = m -> "t1".equals(m.routing().get("topic")) && failures.getAndDecrement() > 0;
        SinkQueue p = queues.started(sink, s -> {
            s.batchSize = 50;
            s.functions = each(m -> new Outcome.Send(
                    m.json(), Map.of("topic", "t" + Integer.parseInt(FakeSink.column(m, "name")) % 2)));
        });
        for (int seq = 0; seq < 4; seq++) {
            for (int row = 0; row < 2; row++) {
                p.enqueue(update(commitLsn(1), seq * 2 + row, "r" + row, seq));
            }
        }
        p.markCommit(endLsn(1));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        QueueFixture.assertPerRowSequence(sink, 2);
        assertThat(delivered(sink)).hasSizeGreaterThanOrEqualTo(8);
    }

    @Test
    void recentMessages_areTheLastSentAsTheyWereBeforeTheFunctions_oldestFirst() throws InterruptedException {
        FakeSink sink = new FakeSink();
        SinkQueue p = queues.started(sink, s -> s.functions = each(m -> new Outcome.Send(new byte[] {'1'}, null)));
        assertThat(p.recentMessages(5)).isEmpty();
        for (int i = 0; i < 100; i++) {
            p.enqueue(insert(commitLsn(1), i, "r" + i));
        }
        p.markCommit(endLsn(1));

        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(p.recentMessages(3))
                .extracting(json ->
                        QueueFixture.JSON.readTree(json).get("record").get("id").asString())
                .containsExactly("r97", "r98", "r99");
        assertThat(p.recentMessages(1000)).hasSize(RecentMessages.CAPACITY);
    }

    private static List<SinkMessage> delivered(FakeSink sink) {
        List<SinkMessage> out = new ArrayList<>();
        sink.delivered.forEach(b -> out.addAll(b.messages()));
        return out;
    }
}
