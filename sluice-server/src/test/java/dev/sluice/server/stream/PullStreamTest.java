package dev.sluice.server.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class PullStreamTest {
    private static final TableId T = new TableId("public", "t");

    @Test
    void aGroupsNextMessageWaitsUntilTheOutstandingOneIsAcked_otherGroupsGoOn() throws Exception {
        PullStream s = new PullStream(Duration.ofSeconds(30));
        CompletableFuture<Void> done =
                s.deliver(batch(msg(0, "a"), msg(1, "a"), msg(2, "b"))).toCompletableFuture();

        List<PullStream.Received> first = s.receive(10, Duration.ZERO);
        assertThat(first).extracting(r -> r.message().position().commitIdx()).containsExactly(0, 2);
        assertThat(s.receive(10, Duration.ZERO))
                .as("a's second is held while its first is out")
                .isEmpty();

        s.ack(List.of(first.get(0).ackId()));
        List<PullStream.Received> next = s.receive(10, Duration.ZERO);
        assertThat(next).extracting(r -> r.message().position().commitIdx()).containsExactly(1);
        assertThat(done)
                .as("the batch completes only when every message is acked")
                .isNotDone();

        s.ack(List.of(
                first.get(1).ackId(),
                next.get(0).ackId(),
                "unknown",
                first.get(1).ackId()));
        assertThat(done).isCompleted();
        assertThat(s.size()).isZero();
    }

    @Test
    void anUnackedMessageGoesOutAgainAfterTheVisibilityTimeout_withTheSameAckId() throws Exception {
        PullStream s = new PullStream(Duration.ofMillis(200));
        s.deliver(batch(msg(0, "a")));
        PullStream.Received r = s.receive(1, Duration.ZERO).getFirst();
        assertThat(s.receive(1, Duration.ZERO)).isEmpty();

        long t0 = System.nanoTime();
        PullStream.Received again = s.receive(1, Duration.ofSeconds(5)).getFirst();
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(again.ackId()).isEqualTo(r.ackId());
        assertThat(again.deliveries()).isEqualTo(2);
    }

    @Test
    void aNackMakesItAvailableAtOnce() throws Exception {
        PullStream s = new PullStream(Duration.ofMinutes(5));
        s.deliver(batch(msg(0, "a")));
        PullStream.Received r = s.receive(1, Duration.ZERO).getFirst();
        assertThat(s.nack(List.of(r.ackId()))).isEqualTo(1);
        assertThat(s.receive(1, Duration.ZERO))
                .extracting(PullStream.Received::ackId)
                .containsExactly(r.ackId());
    }

    @Test
    void receiveWaitsForMessagesUpToWaitFor() throws Exception {
        PullStream s = new PullStream(Duration.ofSeconds(30));
        CompletableFuture<List<PullStream.Received>> receiving = new CompletableFuture<>();
        Thread receiver = Thread.ofPlatform().start(() -> {
            try {
                receiving.complete(s.receive(5, Duration.ofSeconds(10)));
            } catch (Exception e) {
                receiving.completeExceptionally(e);
            }
        });
        // Blocked in receive with nothing to hand out; a delivery wakes it with the message.
        await().atMost(Duration.ofSeconds(5)).until(() -> receiver.getState() == Thread.State.TIMED_WAITING);
        assertThat(receiving).isNotDone();
        long t0 = System.nanoTime();
        s.deliver(batch(msg(7, null)));
        List<PullStream.Received> got = receiving.get(5, TimeUnit.SECONDS);
        assertThat(got).extracting(r -> r.message().position().commitIdx()).containsExactly(7);
        assertThat(System.nanoTime() - t0).isLessThan(TimeUnit.SECONDS.toNanos(5));

        t0 = System.nanoTime();
        assertThat(s.receive(5, Duration.ofMillis(150))).isEmpty();
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(140));
    }

    @Test
    void ungroupedMessagesGoOutTogether_andCloseFailsWhatIsNotAcked() throws Exception {
        PullStream s = new PullStream(Duration.ofSeconds(30));
        CompletableFuture<Void> done =
                s.deliver(batch(msg(0, null), msg(1, null))).toCompletableFuture();
        assertThat(s.receive(10, Duration.ZERO)).hasSize(2);
        s.close();
        assertThat(done).isCompletedExceptionally();
        assertThat(s.receive(10, Duration.ofSeconds(5))).isEmpty();
        assertThat(s.deliver(batch(msg(2, null))).toCompletableFuture()).isCompletedExceptionally();
    }

    private static Batch batch(SinkMessage... messages) {
        return new Batch(List.of(messages));
    }

    private static SinkMessage msg(int idx, @Nullable String group) {
        return new SinkMessage(
                new Position(100, idx),
                T,
                Action.INSERT,
                Instant.EPOCH,
                ("{\"n\":" + idx + "}").getBytes(StandardCharsets.UTF_8),
                group,
                "k" + idx);
    }
}
