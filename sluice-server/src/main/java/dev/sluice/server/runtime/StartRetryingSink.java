package dev.sluice.server.runtime;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sink whose start may fail without failing the configuration change that adds it. A peer that is down or not yet
 * resolvable when a sink is created is an outage like any other: the sink is added, its messages queue (holding the
 * slot), and each delivery attempt first tries the start again, failing retriably with the start's reason until it
 * succeeds, so the engine's back-off and the sink's health apply as they do to failed deliveries.
 */
final class StartRetryingSink implements Sink {
    private static final Logger log = LoggerFactory.getLogger(StartRetryingSink.class);

    private final Sink delegate;
    private final String name;
    private @Nullable SinkContext context;
    private volatile boolean started;
    private boolean failed;

    StartRetryingSink(Sink delegate, String name) {
        this.delegate = delegate;
        this.name = name;
    }

    @Override
    public synchronized void start(SinkContext context) {
        this.context = context;
        try {
            tryStart();
        } catch (RuntimeException e) {
            failed = true;
            log.warn(
                    "sink {}: cannot start ({}); its messages wait and the start is tried again with each delivery",
                    name,
                    e.getMessage());
        }
    }

    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        SinkException notStarted = ensureStarted();
        return notStarted != null ? CompletableFuture.failedFuture(notStarted) : delegate.deliver(batch);
    }

    @Override
    public CompletionStage<Sink.@Nullable Exchange> deliverTraced(Batch batch) {
        SinkException notStarted = ensureStarted();
        return notStarted != null ? CompletableFuture.failedFuture(notStarted) : delegate.deliverTraced(batch);
    }

    /** Starts the sink if it has not yet; null when it runs, else why it cannot start. */
    private @Nullable SinkException ensureStarted() {
        if (!started) {
            try {
                synchronized (this) {
                    tryStart();
                }
            } catch (RuntimeException e) {
                return new SinkException("the sink cannot start: " + e.getMessage(), true, e);
            }
        }
        return null;
    }

    private void tryStart() {
        if (started) {
            return;
        }
        if (context == null) {
            throw new IllegalStateException("delivery before start");
        }
        delegate.start(context);
        started = true;
        if (failed) {
            log.info("sink {}: started after all", name);
        }
    }

    @Override
    public void close() {
        delegate.close();
    }
}
