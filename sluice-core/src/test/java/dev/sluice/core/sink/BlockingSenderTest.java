package dev.sluice.core.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BlockingSenderTest {
    @Test
    void runsTheSendOnAVirtualThreadAndCompletesWhenItReturns() throws Exception {
        CompletableFuture<Thread> ranOn = new CompletableFuture<>();
        try (BlockingSender sender = new BlockingSender("peer", "test-sink-")) {
            sender.submit(() -> ranOn.complete(Thread.currentThread()))
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        }
        assertThat(ranOn.get().isVirtual()).isTrue();
        assertThat(ranOn.get().getName()).startsWith("test-sink-");
    }

    @Test
    void doesNotBlockTheCallerWhileTheSendBlocks() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (BlockingSender sender = new BlockingSender("peer", "test-sink-")) {
            CompletableFuture<Void> stage = sender.submit(() -> {
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    })
                    .toCompletableFuture();

            assertThat(stage).isNotDone();
            release.countDown();
            stage.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void completesExceptionallyWithWhatTheSendThrew() {
        SinkException thrown = new SinkException("peer: down", true);
        try (BlockingSender sender = new BlockingSender("peer", "test-sink-")) {
            CompletionException e = catchThrowableOfType(
                    CompletionException.class,
                    () -> sender.submit(() -> {
                                throw thrown;
                            })
                            .toCompletableFuture()
                            .join());
            assertThat(e).isNotNull();
            assertThat(e.getCause()).isSameAs(thrown);
        }
    }

    @Test
    void afterCloseFailsRetriablyNamingThePeer() {
        BlockingSender sender = new BlockingSender("SQS queue q", "test-sink-");
        sender.close();

        assertThat(sender.isClosed()).isTrue();
        CompletionException e = catchThrowableOfType(
                CompletionException.class,
                () -> sender.submit(() -> {}).toCompletableFuture().join());
        assertThat(e).isNotNull();
        assertThat(e.getCause())
                .isInstanceOfSatisfying(
                        SinkException.class, s -> assertThat(s.retriable()).isTrue())
                .hasMessage("SQS queue q: sink is closed");
    }
}
