package dev.sluice.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Position;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A sink that records every delivery attempt and follows a script: each call to {@link #deliver} takes the next
 * scripted outcome (fail, or block until released); an empty script succeeds at once.
 */
public final class FakeSink implements Sink {
    private sealed interface Outcome {}

    /** Fails the next {@code times} deliveries, all with the same error (a million of them cost one entry). */
    private record Fail(RuntimeException error, AtomicInteger times) implements Outcome {}

    private record Block(Gate gate) implements Outcome {}

    /** A delivery held open until {@link #release()}. */
    public static final class Gate {
        private final CountDownLatch entered = new CountDownLatch(1);
        private final CompletableFuture<Void> released = new CompletableFuture<>();

        /** Waits until the pipeline has handed the blocked batch to the sink. */
        public void awaitEntered() throws InterruptedException {
            assertThat(entered.await(2, TimeUnit.SECONDS))
                    .as("batch reached the sink")
                    .isTrue();
        }

        public boolean entered() {
            return entered.getCount() == 0;
        }

        public void release() {
            released.complete(null);
        }
    }

    public final List<Batch> attempts = new CopyOnWriteArrayList<>();
    public final List<Batch> delivered = new CopyOnWriteArrayList<>();
    private final AtomicInteger messagesDelivered = new AtomicInteger();
    private final ConcurrentLinkedDeque<Outcome> script = new ConcurrentLinkedDeque<>();
    public volatile @Nullable SinkContext startedWith;
    /** Thrown by {@link #start} when set. */
    public volatile @Nullable RuntimeException startError;

    public volatile boolean closed;

    /** The next {@code n} deliveries fail with a retriable error. */
    public FakeSink failTimes(int n) {
        if (n > 0) {
            script.addLast(new Fail(
                    new SinkException("peer said 503 (attempt scripted to fail)", true), new AtomicInteger(n)));
        }
        return this;
    }

    /** The next delivery fails with an error that retrying cannot fix. */
    public FakeSink failPermanently() {
        script.addLast(new Fail(new SinkException("message too large", false), new AtomicInteger(1)));
        return this;
    }

    /** The next delivery blocks until the returned gate is released. */
    public Gate block() {
        Gate g = new Gate();
        script.addLast(new Block(g));
        return g;
    }

    @Override
    public void start(SinkContext context) {
        RuntimeException e = startError;
        if (e != null) {
            throw e;
        }
        startedWith = context;
    }

    /** Batches holding a message this matches fail (retriable), whatever the script says. */
    public volatile java.util.function.@Nullable Predicate<SinkMessage> poison;

    public final AtomicInteger inFlight = new AtomicInteger();
    public final AtomicInteger maxInFlight = new AtomicInteger();

    /**
     * Says, per batch, which of its messages fail (a {@link SinkException#partial}; null: the batch succeeds); the
     * others count as delivered.
     */
    public volatile java.util.function.@Nullable Function<Batch, @Nullable SinkException> partially;

    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        attempts.add(batch);
        var p = poison;
        if (p != null && batch.messages().stream().anyMatch(p)) {
            return CompletableFuture.failedFuture(new SinkException("poisoned row (scripted to fail)", true));
        }
        var split = partially;
        SinkException some = split == null ? null : split.apply(batch);
        if (some != null) {
            List<SinkMessage> took = new ArrayList<>();
            for (int i = 0; i < batch.size(); i++) {
                if (!some.toRetry(i) && !some.rejected(i)) {
                    took.add(batch.messages().get(i));
                }
            }
            if (!took.isEmpty()) {
                record(new Batch(took));
            }
            return CompletableFuture.failedFuture(some);
        }
        Outcome next = nextOutcome();
        return switch (next) {
            case null -> {
                record(batch);
                yield CompletableFuture.completedFuture(null);
            }
            case Fail f -> CompletableFuture.failedFuture(f.error());
            case Block b -> {
                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                b.gate.entered.countDown();
                // Recorded before the returned stage completes, so an acknowledgement can never be seen first.
                yield b.gate.released.thenRun(() -> {
                    inFlight.decrementAndGet();
                    record(batch);
                });
            }
        };
    }

    private synchronized @Nullable Outcome nextOutcome() {
        Outcome next = script.peekFirst();
        if (!(next instanceof Fail f) || f.times().decrementAndGet() == 0) {
            script.pollFirst();
        }
        return next;
    }

    private void record(Batch batch) {
        delivered.add(batch);
        messagesDelivered.addAndGet(batch.size());
    }

    @Override
    public void close() {
        closed = true;
    }

    /** Positions of the delivered messages, in delivery order. */
    public List<Position> deliveredPositions() {
        List<Position> out = new ArrayList<>();
        for (Batch b : delivered) {
            for (SinkMessage m : b.messages()) {
                out.add(m.position());
            }
        }
        return out;
    }

    /** A column of a message's {@code record}, as text. */
    public static String column(SinkMessage m, String name) {
        return JSON.readTree(m.json()).get("record").get(name).asString();
    }

    private static final tools.jackson.databind.ObjectMapper JSON =
            tools.jackson.databind.json.JsonMapper.builder().build();

    /** Messages delivered so far (repeats included); cheap enough to poll. */
    public int deliveredMessages() {
        return messagesDelivered.get();
    }
}
