package dev.sluice.engine;

import dev.sluice.core.Ticker;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Sleeping on the engine's {@link Ticker}: on the system's, a plain sleep; on another (a test's fake one, moved from
 * another thread), slices of at most a millisecond of real time until the ticker has moved on by the duration.
 */
final class Sleeper {
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private Sleeper() {}

    /** Sleeps for {@code d} of the ticker's time; interruptible. */
    static void sleep(Ticker ticker, Duration d) throws InterruptedException {
        if (ticker == Ticker.SYSTEM) {
            Thread.sleep(d);
            return;
        }
        long until = ticker.nanos() + d.toNanos();
        long left;
        while ((left = until - ticker.nanos()) > 0) {
            Thread.sleep(Duration.ofNanos(Math.min(left, POLL_NANOS)));
        }
    }
}
