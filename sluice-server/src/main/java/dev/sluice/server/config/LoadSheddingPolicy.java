package dev.sluice.server.config;

import java.util.Arrays;
import java.util.Optional;

/**
 * What a sink does when its buffer ({@code max_memory_mb}) is full. {@link #wireName()} is the value in sluice.yaml,
 * the store and the API (Sequin's {@code load_shedding_policy}); it never changes with the constant's name.
 */
public enum LoadSheddingPolicy {
    /** Stop reading the slot until there is room: nothing is lost, the database's other sinks wait too. */
    PAUSE_ON_FULL("pause_on_full"),
    /** Drop the sink's new messages, counting them, so that the slot and the other sinks go on. */
    DISCARD_ON_FULL("discard_on_full");

    private final String wireName;

    LoadSheddingPolicy(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** The policy of a written name, matched exactly; empty for an unknown one. */
    public static Optional<LoadSheddingPolicy> of(String wireName) {
        return Arrays.stream(values()).filter(p -> p.wireName.equals(wireName)).findFirst();
    }
}
