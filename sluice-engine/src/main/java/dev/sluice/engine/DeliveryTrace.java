package dev.sluice.engine;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Watches a sink's deliveries for a live trace: told of each request to the sink, after its functions, with what the
 * sink says of it ({@link Sink#deliverTraced}). Asked for through {@link PipelineMetrics#trace(String)} once per
 * batch; while nobody watches there is none, and the engine delivers as it would without this.
 *
 * <p>Called on the sink's completion threads: implementations must be thread-safe, quick and not block (copy what
 * they keep and hand it on).
 */
@FunctionalInterface
public interface DeliveryTrace {
    /**
     * One request to the sink ended.
     *
     * @param batch the messages as sent
     * @param exchange what the sink tells of the request and its answer; null when it tells nothing
     * @param failure why the request failed; null when it succeeded
     * @param took from the call to the sink to its answer
     */
    void delivered(Batch batch, Sink.@Nullable Exchange exchange, @Nullable Throwable failure, Duration took);
}
