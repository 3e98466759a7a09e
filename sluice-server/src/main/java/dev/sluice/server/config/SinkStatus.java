package dev.sluice.server.config;

import java.util.Arrays;
import java.util.Optional;

/**
 * Whether a sink runs. {@link #wireName()} is the value in sluice.yaml, the store and the API; it never changes with
 * the constant's name. A sink may move between any two states; what each means for the running pipeline is decided in
 * one place, the server's Supervisor.
 */
public enum SinkStatus {
    /** Delivers changes. */
    ACTIVE("active"),
    /** Keeps its place but delivers nothing until resumed; changes accumulate in the slot. */
    PAUSED("paused"),
    /** Not running at all. */
    DISABLED("disabled");

    private final String wireName;

    SinkStatus(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** The status of a written name, matched exactly; empty for an unknown one. */
    public static Optional<SinkStatus> of(String wireName) {
        return Arrays.stream(values()).filter(s -> s.wireName.equals(wireName)).findFirst();
    }
}
