package dev.sluice.sink.aws;

import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Sends one batch through a service's batch call (SQS {@code SendMessageBatch}, Kinesis {@code PutRecords}, …) and
 * folds what happened into one outcome. The sink's {@link Call} makes one request and says, by the service's rules,
 * which messages to send again; this class does the rest:
 *
 * <ul>
 *   <li>The batch is split, in order, into calls of at most {@link Limits#maxEntries} messages and {@link
 *       Limits#maxCallBytes} bytes; calls go one after another.
 *   <li>A message over {@link Limits#maxEntryBytes} can never be sent: it is rejected while the rest is delivered.
 *   <li>What a successful call's answer leaves to send again is sent again, up to {@value #ATTEMPTS} attempts in all
 *       with short pauses (none once the sink is closed); then it is left to retry.
 *   <li>Once a message of a key is left to retry, the key's later messages in the batch are not sent (left to retry
 *       too), so the key's order holds across calls.
 *   <li>A call that fails as a whole (unreachable endpoint, timeout, bad credentials, missing queue or stream) stops the
 *       batch: the messages not yet accepted are left to retry. When nothing was accepted, the whole batch fails.
 * </ul>
 *
 * <p>Runs on the delivering thread (see {@code BlockingSender}) and blocks it for the calls and pauses. Thread-safe:
 * each {@link #send} keeps its state to itself.
 */
public final class BatchCalls {
    /** Attempts of one call, the first included. */
    public static final int ATTEMPTS = 3;

    private static final long[] PAUSES_MS = {50, 200};

    /** One request to the service. */
    @FunctionalInterface
    public interface Call {
        /**
         * Sends the messages at {@code indexes} (in the batch, in batch order) in one request.
         *
         * @return what the service's answer says about them
         * @throws RuntimeException the SDK's exception when the request fails as a whole
         */
        Answer send(List<Integer> indexes);
    }

    /**
     * What a service's answer to one request says.
     *
     * @param again messages to send again, in batch order: those that failed, and any the service's ordering rules add
     * @param rejected messages the service refused for good
     * @param firstError the first failure, for operators (the message's idempotency key and the service's error code);
     *     null when none failed
     */
    public record Answer(
            List<Integer> again, BitSet rejected, @Nullable String firstError) {
        public Answer {
            Objects.requireNonNull(again, "again");
            Objects.requireNonNull(rejected, "rejected");
        }
    }

    /**
     * A service's limits on its batch call, as {@code sizes} count a message.
     *
     * @param service the service's name in messages, such as {@code "SQS"}
     * @param maxEntries most messages in one call
     * @param maxCallBytes most bytes in one call
     * @param maxEntryBytes most bytes of one message; at most {@code maxCallBytes}
     * @param sizeCounts what a size counts besides the message, for the rejection's text, such as {@code " with its
     *     partition key"}; empty when only the message
     */
    public record Limits(String service, int maxEntries, int maxCallBytes, int maxEntryBytes, String sizeCounts) {
        public Limits {
            Objects.requireNonNull(service, "service");
            Objects.requireNonNull(sizeCounts, "sizeCounts");
            if (maxEntries < 1 || maxEntryBytes < 1 || maxEntryBytes > maxCallBytes) {
                throw new IllegalArgumentException("limits must be positive, an entry's at most a call's: " + this);
            }
        }
    }

    private final String what;
    private final String endpoint;
    private final Duration timeout;
    private final Limits limits;
    private final BooleanSupplier closed;

    /**
     * @param what names the peer in failures, such as {@code "SQS queue https://..."}
     * @param endpoint where requests go, for network failures
     * @param timeout the client's timeout of one call, for timeouts
     * @param closed whether the sink is closed: then failed messages are not sent again
     */
    public BatchCalls(String what, String endpoint, Duration timeout, Limits limits, BooleanSupplier closed) {
        this.what = Objects.requireNonNull(what, "what");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.closed = Objects.requireNonNull(closed, "closed");
    }

    /**
     * Sends {@code messages}; returns once the service accepted every one.
     *
     * @param keys per message, the key whose order must hold across calls (a Kinesis partition key, a FIFO message
     *     group); null when the messages are independent
     * @param sizes per message, its bytes as the service counts them against the limits
     * @throws SinkException for the whole batch, or {@linkplain SinkException#partial partial} when some messages were
     *     accepted or rejected for good
     */
    public void send(List<SinkMessage> messages, String @Nullable [] keys, int[] sizes, Call call) {
        int n = messages.size();
        BitSet retry = new BitSet(n);
        BitSet rejected = new BitSet(n);
        Set<String> stalledKeys = new HashSet<>();
        String firstError = null;
        for (int i = 0; i < n; i++) {
            if (sizes[i] > limits.maxEntryBytes()) {
                rejected.set(i);
                if (firstError == null) {
                    firstError = "message " + messages.get(i).idempotencyKey() + " is " + sizes[i] + " bytes"
                            + limits.sizeCounts() + ", over " + limits.service() + "'s limit of "
                            + limits.maxEntryBytes() + " bytes";
                }
            }
        }
        SinkException callFailure = null;
        int next = 0;
        while (next < n) {
            // Fill one call, in batch order.
            List<Integer> indexes = new ArrayList<>(Math.min(limits.maxEntries(), n - next));
            long bytes = 0;
            while (next < n && indexes.size() < limits.maxEntries()) {
                if (rejected.get(next)) {
                    next++;
                } else if (keys != null && stalledKeys.contains(keys[next])) {
                    retry.set(next++);
                } else if (bytes + sizes[next] > limits.maxCallBytes()) {
                    break;
                } else {
                    bytes += sizes[next];
                    indexes.add(next++);
                }
            }
            if (indexes.isEmpty()) {
                continue;
            }
            CallOutcome outcome = sendCall(indexes, call);
            if (outcome.wholeCallFailure != null) {
                callFailure = outcome.wholeCallFailure;
                for (int i : indexes) {
                    retry.set(i);
                }
                for (int i = next; i < n; i++) {
                    if (!rejected.get(i)) {
                        retry.set(i);
                    }
                }
                break;
            }
            retry.or(outcome.retry);
            rejected.or(outcome.rejected);
            if (keys != null) {
                outcome.retry.stream().forEach(i -> stalledKeys.add(keys[i]));
            }
            if (firstError == null) {
                firstError = outcome.firstError;
            }
        }
        if (retry.isEmpty() && rejected.isEmpty()) {
            return;
        }
        if (callFailure != null && retry.cardinality() == n) {
            throw callFailure;
        }
        String reason = callFailure != null ? callFailure.getMessage() : what + ": " + firstError;
        throw SinkException.partial(
                reason + " (" + retry.cardinality() + " of " + n + " messages to retry, " + rejected.cardinality()
                        + " rejected)",
                retry,
                rejected);
    }

    /** Outcome of one call: messages still failing after the quick retries, or a failure of the whole call. */
    private record CallOutcome(
            BitSet retry,
            BitSet rejected,
            @Nullable String firstError,
            @Nullable SinkException wholeCallFailure) {}

    private CallOutcome sendCall(List<Integer> indexes, Call call) {
        BitSet retry = new BitSet();
        BitSet rejected = new BitSet();
        String firstError = null;
        List<Integer> pending = indexes;
        for (int attempt = 1; ; attempt++) {
            Answer answer;
            try {
                answer = call.send(pending);
            } catch (RuntimeException e) {
                SinkException failure = AwsFailure.describe(what, endpoint, timeout, e);
                if (attempt == 1) {
                    return new CallOutcome(retry, rejected, null, failure);
                }
                // Some messages went through on an earlier attempt: only the pending ones are to retry.
                pending.forEach(retry::set);
                return new CallOutcome(retry, rejected, failure.getMessage(), null);
            }
            rejected.or(answer.rejected());
            if (firstError == null) {
                firstError = answer.firstError();
            }
            List<Integer> again = answer.again();
            if (again.isEmpty() || attempt == ATTEMPTS || closed.getAsBoolean()) {
                again.forEach(retry::set);
                return new CallOutcome(retry, rejected, firstError, null);
            }
            pending = again;
            try {
                Thread.sleep(PAUSES_MS[attempt - 1]);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                pending.forEach(retry::set);
                return new CallOutcome(retry, rejected, firstError, null);
            }
        }
    }
}
