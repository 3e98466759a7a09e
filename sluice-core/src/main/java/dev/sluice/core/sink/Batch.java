package dev.sluice.core.sink;

import java.util.List;

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
}
