package dev.sluice.core.sink;

import dev.sluice.core.Ticker;
import java.util.Objects;

/**
 * What a sink knows about itself when it is created and started.
 *
 * @param sinkId the sink's stable id
 * @param sinkName the sink's name, for logs and error messages
 * @param batchSize the most messages the engine hands over in one {@link Batch} (the sink's {@code batch_size})
 * @param ticker the clock the sink measures time with
 */
public record SinkContext(String sinkId, String sinkName, int batchSize, Ticker ticker) {
    public SinkContext {
        Objects.requireNonNull(sinkId, "sinkId");
        Objects.requireNonNull(sinkName, "sinkName");
        Objects.requireNonNull(ticker, "ticker");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
    }

    /** A context with batches of one message and the system clock. */
    public SinkContext(String sinkId, String sinkName) {
        this(sinkId, sinkName, 1, Ticker.SYSTEM);
    }
}
