package dev.sluice.core.sink;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;

/**
 * Runs a sink's blocking sends, each on a virtual thread of its own, so that {@link Sink#deliver} never blocks: for a
 * sink whose client blocks, or that waits between the calls of one batch.
 *
 * <pre>{@code
 * public CompletionStage<Void> deliver(Batch batch) {
 *     return sender.submit(() -> send(batch.messages()));
 * }
 * }</pre>
 *
 * <p>Once {@link #close()} is called, a submission fails at once with a retriable {@link SinkException} {@code
 * "<what>: sink is closed"}; sends already running carry on, and may ask {@link #isClosed()} to stop early.
 *
 * <p>Thread-safe.
 */
public final class BlockingSender implements AutoCloseable {
    private final String what;
    private final ExecutorService executor;
    private volatile boolean closed;

    /**
     * @param what names the peer in failures, such as {@code "SQS queue https://..."}; never a secret
     * @param threadPrefix names the threads, numbered from 0, such as {@code "sqs-sink-"}
     */
    public BlockingSender(String what, String threadPrefix) {
        this.what = Objects.requireNonNull(what, "what");
        this.executor = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name(threadPrefix, 0).factory());
    }

    /**
     * Runs {@code send} on a new virtual thread. The stage completes normally when it returns, or exceptionally with
     * what it threw (a {@link SinkException}, preferably).
     */
    public CompletionStage<Void> submit(Runnable send) {
        if (closed) {
            return CompletableFuture.failedFuture(closedFailure(null));
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    send.run();
                    result.complete(null);
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
        } catch (RuntimeException e) { // RejectedExecutionException: closed concurrently
            result.completeExceptionally(closedFailure(e));
        }
        return result;
    }

    /** Whether {@link #close()} was called: a send in progress may stop retrying. */
    public boolean isClosed() {
        return closed;
    }

    /** Takes no more sends; does not wait for those in progress. */
    @Override
    public void close() {
        closed = true;
        executor.shutdown();
    }

    private SinkException closedFailure(@Nullable Throwable cause) {
        return new SinkException(what + ": sink is closed", true, cause);
    }
}
