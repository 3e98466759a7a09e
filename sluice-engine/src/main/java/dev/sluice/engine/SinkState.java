package dev.sluice.engine;

/** Whether a sink receives and delivers messages. */
public enum SinkState {
    /** Delivers. */
    ACTIVE,
    /** Buffers (bounded) without delivering, and holds the slot's position. */
    PAUSED,
    /** Receives nothing and does not hold the slot; changes meanwhile are not delivered to it. */
    DISABLED
}
