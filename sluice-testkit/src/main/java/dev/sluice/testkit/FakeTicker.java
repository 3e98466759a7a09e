package dev.sluice.testkit;

import dev.sluice.core.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} that moves only when told, so that tests of time-based behaviour (batch timeouts, back-off,
 * outage probes, heartbeats) advance time instead of sleeping. Both clocks move together. Thread-safe.
 *
 * <p>Code that waits for a deadline on this ticker registers a listener with {@link #onAdvance}, so that it looks
 * again when time moves.
 */
public final class FakeTicker implements Ticker {
    private final AtomicLong nanos = new AtomicLong();
    private final Instant start;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    /** Starts at an arbitrary wall-clock instant (2026-01-01T00:00:00Z) and monotonic 0. */
    public FakeTicker() {
        this(Instant.parse("2026-01-01T00:00:00Z"));
    }

    public FakeTicker(Instant start) {
        this.start = start;
    }

    @Override
    public long nanos() {
        return nanos.get();
    }

    @Override
    public Instant now() {
        return start.plusNanos(nanos.get());
    }

    /** Moves both clocks on by {@code d}, then runs the listeners. */
    public void advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("time does not go back: " + d);
        }
        nanos.addAndGet(d.toNanos());
        listeners.forEach(Runnable::run);
    }

    /** Runs {@code listener} after every {@link #advance}. */
    public void onAdvance(Runnable listener) {
        listeners.add(listener);
    }
}
