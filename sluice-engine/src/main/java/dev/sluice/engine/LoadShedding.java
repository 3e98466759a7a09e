package dev.sluice.engine;

/** What a sink does with new messages when its buffer is full (Sequin's {@code load_shedding_policy}). */
public enum LoadShedding {
    /** Stop reading the slot until there is room: nothing is lost, every sink of the database waits. */
    PAUSE_ON_FULL,
    /** Drop this sink's new messages and count them; the slot and the other sinks go on. */
    DISCARD_ON_FULL
}
