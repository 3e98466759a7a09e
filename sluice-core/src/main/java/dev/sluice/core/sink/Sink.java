package dev.sluice.core.sink;

import java.util.Objects;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * A destination for messages. The engine owns batching, ordering, retries and acknowledgements; a sink
 * only moves one batch to its peer and reports how that went.
 *
 * <p>Lifecycle:
 *
 * <ol>
 *   <li>The server creates the sink from its validated configuration.
 *   <li>{@link #start(SinkContext)} is called once before the first delivery; it may connect and check
 *       the peer, and throws {@link SinkException} with a clear reason when it cannot.
 *   <li>{@link #deliver(Batch)} is called repeatedly. For a given group at most one batch is in
 *       flight; the engine may call it concurrently for different groups, so implementations are
 *       thread-safe. The returned stage completes normally once the peer has durably accepted every
 *       message of the batch, or exceptionally (preferably with a {@link SinkException}) otherwise.
 *       A failed batch is delivered again later, unchanged.
 *   <li>{@link #close()} is called once; it releases connections and must not block for long.
 * </ol>
 */
public interface Sink extends AutoCloseable {
    /** Prepares the sink. Called once, before any delivery. */
    default void start(SinkContext context) {}

    /**
     * Delivers every message of {@code batch}, in order. Must not block the caller for I/O: do the
     * work asynchronously or on a virtual thread.
     */
    CompletionStage<Void> deliver(Batch batch);

    /**
     * What a live trace shows of one delivery: the request as sent and the peer's answer, one line each, with no
     * secrets (no credentials, no header values).
     *
     * @param request e.g. {@code POST https://example.com/hooks}; never null
     * @param response e.g. {@code 200}; never null
     */
    record Exchange(String request, String response) {
        public Exchange {
            Objects.requireNonNull(request, "request");
            Objects.requireNonNull(response, "response");
        }
    }

    /**
     * Delivers as {@link #deliver(Batch)} does, and completes with what a live trace shows of it. The engine calls
     * this instead of {@link #deliver(Batch)} only while someone watches the sink's trace, so it may cost a little
     * more. Fails as {@link #deliver(Batch)} does; the failure's message is what the trace shows then.
     *
     * <p>The default completes with {@code null}: the trace then shows only the batch and its outcome.
     */
    default CompletionStage<@Nullable Exchange> deliverTraced(Batch batch) {
        return deliver(batch).thenApply(done -> null);
    }

    @Override
    void close();
}
