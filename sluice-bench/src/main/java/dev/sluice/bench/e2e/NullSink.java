package dev.sluice.bench.e2e;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A sink that accepts every batch at once and only counts its messages. */
final class NullSink implements Sink {
    private final ChangeCounter counter;

    NullSink(ChangeCounter counter) {
        this.counter = counter;
    }

    @Override
    public CompletionStage<Void> deliver(Batch batch) {
        counter.add(batch.size());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {}
}
