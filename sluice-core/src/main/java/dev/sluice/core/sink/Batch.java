package dev.sluice.core.sink;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Messages delivered in one request, in delivery order. Never empty. */
public record Batch(List<SinkMessage> messages) {
    public Batch {
        messages = List.copyOf(messages);
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a batch holds at least one message");
        }
    }

    public int size() {
        return messages.size();
    }

    /**
     * The routing of the batch: that of its first message, as every message of a batch has equal routing (see {@link
     * SinkMessage#routing()}); null when the sink has no routing function.
     */
    public @Nullable Map<String, Object> routing() {
        return messages.getFirst().routing();
    }
}
