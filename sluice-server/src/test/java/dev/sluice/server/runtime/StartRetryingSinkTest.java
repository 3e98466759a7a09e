package dev.sluice.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class StartRetryingSinkTest {
    /** A sink whose peer is unreachable until {@code reachable} is set. */
    static final class PeerSink implements Sink {
        volatile boolean reachable;
        int starts;
        final List<Batch> delivered = new ArrayList<>();
        boolean closed;

        @Override
        public void start(SinkContext context) {
            starts++;
            if (!reachable) {
                throw new SinkException("broker kafka.internal:9092 does not resolve", false);
            }
        }

        @Override
        public CompletionStage<Void> deliver(Batch batch) {
            delivered.add(batch);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static Batch batch() {
        return new Batch(List.of(new SinkMessage(
                new Position(1, 0),
                new TableId("public", "orders"),
                Action.INSERT,
                Instant.EPOCH,
                "{}".getBytes(StandardCharsets.UTF_8),
                null,
                "k")));
    }

    private final PeerSink peer = new PeerSink();
    private final StartRetryingSink sink = new StartRetryingSink(peer, "orders");

    @Test
    void aFailedStartIsNotThrownAndEachDeliveryFailsRetriablyWithItsReason() {
        assertThatCode(() -> sink.start(new SinkContext("1", "orders"))).doesNotThrowAnyException();

        CompletableFuture<Void> first = sink.deliver(batch()).toCompletableFuture();
        assertThat(first).isCompletedExceptionally();
        assertThat(first)
                .failsWithin(java.time.Duration.ZERO)
                .withThrowableOfType(ExecutionException.class)
                .havingCause()
                .isInstanceOfSatisfying(SinkException.class, e -> {
                    // A start failure is an outage: retried, never a reason to fail the messages for good.
                    assertThat(e.retriable()).isTrue();
                    assertThat(e.getMessage()).contains("cannot start").contains("does not resolve");
                });
        assertThat(peer.delivered).isEmpty();
        assertThat(peer.starts).isEqualTo(2);
    }

    @Test
    void theStartIsRetriedUntilItSucceedsThenOnlyDelivers() {
        sink.start(new SinkContext("1", "orders"));
        assertThat(sink.deliver(batch()).toCompletableFuture()).isCompletedExceptionally();

        peer.reachable = true;
        assertThat(sink.deliver(batch()).toCompletableFuture()).isCompleted();
        assertThat(sink.deliver(batch()).toCompletableFuture()).isCompleted();

        assertThat(peer.starts).isEqualTo(3); // the failed one, the failed retry, the good one: never again after
        assertThat(peer.delivered).hasSize(2);
        sink.close();
        assertThat(peer.closed).isTrue();
    }

    @Test
    void aSinkThatStartsAtOnceIsStartedOnce() {
        peer.reachable = true;
        sink.start(new SinkContext("1", "orders"));
        sink.deliver(batch());
        assertThat(peer.starts).isEqualTo(1);
        assertThat(peer.delivered).hasSize(1);
    }
}
