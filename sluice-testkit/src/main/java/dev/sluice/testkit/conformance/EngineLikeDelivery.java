package dev.sluice.testkit.conformance;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives a sink the way the engine does, without the engine: lanes of batches, each lane one batch in flight at a
 * time (a lane owns its groups), lanes concurrent; a failed batch is delivered again after a back-off, unchanged, or,
 * after a partial failure, only its messages to retry; messages rejected for good are recorded, not retried.
 *
 * <p>Thread-safe: the sink's callbacks record failures from any thread.
 */
final class EngineLikeDelivery {
    private static final Duration BACKOFF = Duration.ofMillis(100);

    private final Sink sink;
    private final Duration giveUpAfter;
    private final Executor retryLater = CompletableFuture.delayedExecutor(BACKOFF.toMillis(), TimeUnit.MILLISECONDS);
    private final List<SinkException> failures = new CopyOnWriteArrayList<>();
    private final List<SinkMessage> rejected = new CopyOnWriteArrayList<>();
    private final AtomicInteger batchesDone = new AtomicInteger();

    EngineLikeDelivery(Sink sink, Duration giveUpAfter) {
        this.sink = sink;
        this.giveUpAfter = giveUpAfter;
    }

    /** Sends each lane's batches in order, one at a time; completes when every batch of every lane is done. */
    CompletableFuture<Void> lanes(List<List<Batch>> lanes) {
        return lanes(lanes, Integer.MAX_VALUE, CompletableFuture.completedFuture(null));
    }

    /**
     * As {@link #lanes(List)}, each lane holding before its batch {@code holdBefore} until {@code gate} completes: a
     * test can act (stop the peer) while every lane is mid-stream.
     */
    CompletableFuture<Void> lanes(List<List<Batch>> lanes, int holdBefore, CompletableFuture<Void> gate) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (List<Batch> lane : lanes) {
            CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
            for (int i = 0; i < lane.size(); i++) {
                Batch b = lane.get(i);
                if (i == holdBefore) {
                    chain = chain.thenCompose(v -> gate);
                }
                chain = chain.thenCompose(v -> deliver(b));
            }
            all.add(chain);
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    /** Delivers {@code batch} until each message is delivered or rejected for good. */
    CompletableFuture<Void> deliver(Batch batch) {
        long deadline = System.nanoTime() + giveUpAfter.toNanos();
        return attempt(batch, deadline).thenRun(batchesDone::incrementAndGet);
    }

    /** Every failure the sink reported, in the order reported. */
    List<SinkException> failures() {
        return List.copyOf(failures);
    }

    /** The messages rejected for good. */
    List<SinkMessage> rejected() {
        return List.copyOf(rejected);
    }

    /** How many batches are fully done (delivered or rejected). */
    int batchesDone() {
        return batchesDone.get();
    }

    private CompletableFuture<Void> attempt(Batch batch, long deadline) {
        CompletableFuture<Void> sent;
        try {
            sent = sink.deliver(batch).toCompletableFuture();
        } catch (RuntimeException e) {
            throw new AssertionError("deliver threw instead of failing its stage", e);
        }
        return sent.handle((ok, error) -> {
                    if (error == null) {
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    SinkException failure = sinkException(error);
                    failures.add(failure);
                    List<SinkMessage> again = new ArrayList<>();
                    for (int i = 0; i < batch.size(); i++) {
                        if (failure.toRetry(i)) {
                            again.add(batch.messages().get(i));
                        } else if (failure.rejected(i)) {
                            rejected.add(batch.messages().get(i));
                        }
                    }
                    if (again.isEmpty()) {
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError(
                                "still failing after " + giveUpAfter + ": " + failure.getMessage(), failure);
                    }
                    Batch retry = new Batch(again);
                    return CompletableFuture.runAsync(() -> {}, retryLater).thenCompose(v -> attempt(retry, deadline));
                })
                .thenCompose(f -> f);
    }

    private static SinkException sinkException(Throwable error) {
        Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (t instanceof SinkException e) {
            return e;
        }
        throw new AssertionError("a sink fails its stage with a SinkException, got " + t, t);
    }
}
