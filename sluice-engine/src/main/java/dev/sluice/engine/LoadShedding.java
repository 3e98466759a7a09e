package dev.sluice.engine;

import java.util.Arrays;
import java.util.Optional;

/**
 * What a sink does with new messages when its buffer is full (Sequin's {@code load_shedding_policy}).
 * {@link #wireName()} is the value in sluice.yaml, the store and the API; it never changes with the constant's name.
 */
public enum LoadShedding {
    /** Stop reading the slot until there is room: nothing is lost, every sink of the database waits. */
    PAUSE_ON_FULL("pause_on_full"),
    /** Drop this sink's new messages and count them; the slot and the other sinks go on. */
    DISCARD_ON_FULL("discard_on_full");

    private final String wireName;

    LoadShedding(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** The policy of a written name, matched exactly; empty for an unknown one. */
    public static Optional<LoadShedding> of(String wireName) {
        return Arrays.stream(values()).filter(p -> p.wireName.equals(wireName)).findFirst();
    }
}
