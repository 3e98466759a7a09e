package dev.sluice.sink.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.sluice.core.Action;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@link BatchCalls} against a scripted {@link BatchCalls.Call}: what is sent in which call, and the outcome. */
class BatchCallsTest {
    private static final BatchCalls.Limits LIMITS = new BatchCalls.Limits("Svc", 3, 100, 60, " with its key");

    private final List<List<Integer>> calls = new ArrayList<>();
    private boolean closed;

    @Test
    void splitsTheBatchInOrderByEntriesAndBytes() {
        int[] sizes = {10, 10, 10, 10, 50, 50, 10};

        send(7, null, sizes, accept());

        assertThat(calls).containsExactly(List.of(0, 1, 2), List.of(3, 4), List.of(5, 6));
    }

    @Test
    void rejectsAMessageOverTheEntryLimitAndDeliversTheRest() {
        SinkException e = failure(3, null, new int[] {10, 61, 10}, accept());

        assertThat(calls).containsExactly(List.of(0, 2));
        assertThat(e.isPartial()).isTrue();
        assertThat(e.retriable()).isFalse();
        assertThat(e.rejected(1)).isTrue();
        assertThat(e.rejected(0) || e.rejected(2) || e.toRetry(0) || e.toRetry(2))
                .isFalse();
        assertThat(e.getMessage())
                .isEqualTo("peer: message k1 is 61 bytes with its key, over Svc's limit of 60 bytes"
                        + " (0 of 3 messages to retry, 1 rejected)");
    }

    @Test
    void sendsWhatTheAnswerLeavesAgainThenLeavesItToRetry() {
        // Message 1 always fails: it is sent ATTEMPTS times, then left to retry with the first error.
        SinkException e =
                failure(3, null, sizes(3, 10), indexes -> answer(indexes.contains(1) ? List.of(1) : List.of()));

        assertThat(calls).containsExactly(List.of(0, 1, 2), List.of(1), List.of(1));
        assertThat(calls).hasSize(BatchCalls.ATTEMPTS);
        assertThat(e.isPartial()).isTrue();
        assertThat(e.toRetry(1)).isTrue();
        assertThat(e.toRetry(0) || e.toRetry(2)).isFalse();
        assertThat(e.getMessage()).isEqualTo("peer: message k1 failed (1 of 3 messages to retry, 0 rejected)");
    }

    @Test
    void aSecondAttemptThatSucceedsDeliversEverything() {
        send(2, null, sizes(2, 10), indexes -> answer(calls.size() == 1 ? List.of(0) : List.of()));

        assertThat(calls).containsExactly(List.of(0, 1), List.of(0));
    }

    @Test
    void aKeyLeftToRetryHoldsItsLaterMessagesBackInLaterCalls() {
        String[] keys = {"a", "b", "c", "a", "b"};
        // One message a call of three; message 0 ("a") fails every time.
        SinkException e =
                failure(5, keys, sizes(5, 10), indexes -> answer(indexes.contains(0) ? List.of(0) : List.of()));

        assertThat(calls).containsExactly(List.of(0, 1, 2), List.of(0), List.of(0), List.of(4));
        assertThat(e.toRetry(0)).isTrue();
        assertThat(e.toRetry(3)).as("a's later message is not sent").isTrue();
        assertThat(e.toRetry(1) || e.toRetry(2) || e.toRetry(4)).isFalse();
    }

    @Test
    void independentMessagesAreNotHeldBack() {
        SinkException e =
                failure(5, null, sizes(5, 10), indexes -> answer(indexes.contains(0) ? List.of(0) : List.of()));

        assertThat(calls).containsExactly(List.of(0, 1, 2), List.of(0), List.of(0), List.of(3, 4));
        assertThat(IntStream.range(0, 5).filter(e::toRetry)).containsExactly(0);
    }

    @Test
    void aRejectionInTheAnswerIsKeptAsRejected() {
        BitSet one = new BitSet();
        one.set(1);
        SinkException e = failure(
                3, null, sizes(3, 10), indexes -> new BatchCalls.Answer(List.of(), one, "message k1 is at fault"));

        assertThat(calls).hasSize(1);
        assertThat(e.rejected(1)).isTrue();
        assertThat(e.retriable()).isFalse();
        assertThat(e.getMessage()).startsWith("peer: message k1 is at fault");
    }

    @Test
    void aFirstCallFailingAsAWholeFailsTheWholeBatch() {
        SinkException e = failure(4, null, sizes(4, 10), indexes -> {
            throw new IllegalStateException("connection refused");
        });

        assertThat(calls).containsExactly(List.of(0, 1, 2));
        assertThat(e.isPartial()).isFalse();
        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage()).isEqualTo("peer: IllegalStateException: connection refused");
    }

    @Test
    void aLaterCallFailingAsAWholeLeavesTheRestToRetry() {
        SinkException e = failure(5, null, sizes(5, 10), indexes -> {
            if (calls.size() > 1) {
                throw new IllegalStateException("connection reset");
            }
            return answer(List.of());
        });

        assertThat(calls).containsExactly(List.of(0, 1, 2), List.of(3, 4));
        assertThat(e.isPartial()).isTrue();
        assertThat(IntStream.range(0, 5).filter(e::toRetry)).containsExactly(3, 4);
        assertThat(e.getMessage()).startsWith("peer: IllegalStateException: connection reset (2 of 5");
    }

    @Test
    void aClosedSinkDoesNotSendAgain() {
        closed = true;

        SinkException e = failure(2, null, sizes(2, 10), indexes -> answer(List.of(0)));

        assertThat(calls).containsExactly(List.of(0, 1));
        assertThat(e.toRetry(0)).isTrue();
    }

    // ---- helpers ----

    private void send(int n, String[] keys, int[] sizes, Function<List<Integer>, BatchCalls.Answer> service) {
        BatchCalls batchCalls = new BatchCalls("peer", "http://peer", Duration.ofSeconds(1), LIMITS, () -> closed);
        batchCalls.send(messages(n), keys, sizes, indexes -> {
            calls.add(List.copyOf(indexes));
            return service.apply(indexes);
        });
    }

    private SinkException failure(
            int n, String[] keys, int[] sizes, Function<List<Integer>, BatchCalls.Answer> service) {
        SinkException e = catchThrowableOfType(SinkException.class, () -> send(n, keys, sizes, service));
        assertThat(e).as("the batch fails").isNotNull();
        return e;
    }

    private static Function<List<Integer>, BatchCalls.Answer> accept() {
        return indexes -> answer(List.of());
    }

    private static BatchCalls.Answer answer(List<Integer> again) {
        return new BatchCalls.Answer(
                again, new BitSet(), again.isEmpty() ? null : "message k" + again.get(0) + " failed");
    }

    private static int[] sizes(int n, int size) {
        int[] sizes = new int[n];
        Arrays.fill(sizes, size);
        return sizes;
    }

    private static List<SinkMessage> messages(int n) {
        List<SinkMessage> messages = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            messages.add(new SinkMessage(
                    new Position(100, i),
                    new TableId("public", "t"),
                    Action.INSERT,
                    Instant.EPOCH,
                    ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8),
                    null,
                    "k" + i));
        }
        return messages;
    }
}
