package dev.sluice.server.config;

/** Whether a sink runs. */
public enum SinkStatus {
    /** Delivers changes. */
    ACTIVE,
    /** Keeps its place but delivers nothing until resumed; changes accumulate in the slot. */
    PAUSED,
    /** Not running at all. */
    DISABLED
}
