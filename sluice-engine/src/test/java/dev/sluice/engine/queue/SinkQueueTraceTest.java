package dev.sluice.engine.queue;

import static dev.sluice.engine.queue.QueueFixture.commitLsn;
import static dev.sluice.engine.queue.QueueFixture.endLsn;
import static dev.sluice.engine.queue.QueueFixture.eventually;
import static dev.sluice.engine.queue.QueueFixture.insert;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Ticker;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import dev.sluice.engine.DeliveryTrace;
import dev.sluice.engine.FakeSink;
import dev.sluice.engine.PipelineMetrics;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The live trace hook and the delivered-bytes meter: told per request only while someone watches. */
class SinkQueueTraceTest {
    private final QueueFixture queues = new QueueFixture();

    @AfterEach
    void stopQueues() {
        queues.stopAll();
    }

    private record Seen(
            Batch batch,
            Sink.@Nullable Exchange exchange,
            @Nullable Throwable failure) {}

    /** Metrics that hand out {@code trace} while {@code watching}, and count delivered bytes. */
    private static final class Watched implements PipelineMetrics {
        volatile boolean watching;
        final AtomicInteger asked = new AtomicInteger();
        final AtomicLong bytes = new AtomicLong();
        final List<Seen> seen = new CopyOnWriteArrayList<>();

        @Override
        public void deliveredBytes(String sink, long n) {
            bytes.addAndGet(n);
        }

        @Override
        public @Nullable DeliveryTrace trace(String sink) {
            asked.incrementAndGet();
            return watching ? (batch, exchange, failure, took) -> seen.add(new Seen(batch, exchange, failure)) : null;
        }
    }

    @Test
    void trace_toldOfEachRequestWithItsOutcome_onlyWhileWatched() throws InterruptedException {
        FakeSink sink = new FakeSink();
        Watched metrics = new Watched();
        SinkQueue p = queues.stored(sink, new MemoryStore(), Ticker.SYSTEM, metrics, s -> {});
        p.start();
        p.enqueue(insert(commitLsn(1), 0, "unwatched"));
        p.markCommit(endLsn(1));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));
        assertThat(metrics.seen).isEmpty();
        assertThat(metrics.asked).hasPositiveValue();

        metrics.watching = true;
        sink.failTimes(1);
        p.enqueue(insert(commitLsn(2), 0, "watched"));
        p.markCommit(endLsn(2));
        // The failed attempt, then the retry that went through (the store may acknowledge before the retry).
        eventually().until(() -> sink.delivered.size() == 2 && metrics.seen.size() == 2);
        // A sink that tells nothing gives no exchange.
        assertThat(metrics.seen.get(0).failure()).hasMessageContaining("scripted to fail");
        assertThat(metrics.seen.get(1).failure()).isNull();
        assertThat(metrics.seen.get(1).exchange()).isNull();
        assertThat(new String(metrics.seen.get(1).batch().messages().getFirst().json()))
                .contains("watched");
    }

    @Test
    void deliveredBytes_countsTheJsonOfAcknowledgedBatches() throws InterruptedException {
        FakeSink sink = new FakeSink();
        Watched metrics = new Watched();
        SinkQueue p = queues.stored(sink, new MemoryStore(), Ticker.SYSTEM, metrics, s -> {});
        p.start();
        p.enqueue(insert(commitLsn(1), 0, "a"));
        p.enqueue(insert(commitLsn(1), 1, "b"));
        p.markCommit(endLsn(1));
        eventually().until(() -> p.acknowledgedLsn() == endLsn(1));

        long expected = sink.delivered.stream()
                .flatMap(b -> b.messages().stream())
                .mapToLong(m -> m.json().length)
                .sum();
        assertThat(expected).isPositive();
        eventually().until(() -> metrics.bytes.get() == expected);
    }
}
