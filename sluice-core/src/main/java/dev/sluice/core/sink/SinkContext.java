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
 * @param source what the sink may ask of the database it streams from ({@link SourceCatalog#NONE} when nothing)
 */
public record SinkContext(String sinkId, String sinkName, int batchSize, Ticker ticker, SourceCatalog source) {
    public SinkContext {
        Objects.requireNonNull(sinkId, "sinkId");
        Objects.requireNonNull(sinkName, "sinkName");
        Objects.requireNonNull(ticker, "ticker");
        Objects.requireNonNull(source, "source");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
    }

    /** A context without access to the source. */
    public SinkContext(String sinkId, String sinkName, int batchSize, Ticker ticker) {
        this(sinkId, sinkName, batchSize, ticker, SourceCatalog.NONE);
    }

    /** A context with batches of one message and the system clock. */
    public SinkContext(String sinkId, String sinkName) {
        this(sinkId, sinkName, 1, Ticker.SYSTEM);
    }
}
