package dev.sluice.core;

import java.time.Instant;

/**
 * Where time comes from: a monotonic clock for measuring and scheduling, and a wall clock for timestamps that are
 * shown or stored. Everything time-based in the engine and the sinks reads it, so that tests can move time on with a
 * fake instead of sleeping (as Caffeine's {@code Ticker} and Kafka's {@code Time} do).
 *
 * <p>Implementations are thread-safe.
 */
public interface Ticker {
    /** Monotonic nanoseconds, as {@link System#nanoTime()}: only differences are meaningful. */
    long nanos();

    /** The wall-clock time, as {@link Instant#now()}. */
    Instant now();

    /** The system's clocks. */
    Ticker SYSTEM = new Ticker() {
        @Override
        public long nanos() {
            return System.nanoTime();
        }

        @Override
        public Instant now() {
            return Instant.now();
        }

        @Override
        public String toString() {
            return "Ticker.SYSTEM";
        }
    };
}
