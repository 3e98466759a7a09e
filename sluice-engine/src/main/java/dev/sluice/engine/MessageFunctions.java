package dev.sluice.engine;

import dev.sluice.core.sink.SinkMessage;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The user functions of a sink (Sequin's model: enrichment, then filter, then routing and transform), applied to each
 * batch on the sink's delivery thread just before it is sent. The engine knows nothing of how they run; the server
 * backs this with {@code sluice-functions}.
 *
 * <p>Messages are stored and retried as the slot gave them: functions run on every attempt, so a function changed
 * while a message waits applies to its next attempt.
 *
 * <p>Implementations are thread-safe and never throw: a failure is an {@link Outcome.Failed} outcome, which the
 * engine treats like a delivery failure of that message (retried on the sink's back-off, counted against {@code
 * max_retry_count}, its reason shown with the failed message).
 */
public interface MessageFunctions {
    /** No functions: every message is sent as it is (the engine skips the call for this one). */
    MessageFunctions NONE = new MessageFunctions() {
        @Override
        public List<Outcome> apply(List<SinkMessage> messages) {
            return messages.stream()
                    .<Outcome>map(m -> new Outcome.Send(m.json(), null))
                    .toList();
        }

        @Override
        public String toString() {
            return "none";
        }
    };

    /** The outcome for each of {@code messages}, in the same order. */
    List<Outcome> apply(List<SinkMessage> messages);

    /** What the functions made of one message. */
    sealed interface Outcome {
        /**
         * Send it: {@code json} is the payload (the message, or what the transform made of it); {@code routing} the
         * keys the routing function set, already checked against the sink type's routing keys, or null for the sink's
         * own settings. Messages with different routing never share a batch.
         */
        record Send(byte[] json, @Nullable Map<String, Object> routing) implements Outcome {}

        /** The filter rejected it: it counts as delivered. */
        record Skip() implements Outcome {}

        /** A function failed on it, for {@code reason} (which names the function and, for code, the line). */
        record Failed(String reason) implements Outcome {}
    }
}
