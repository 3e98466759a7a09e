package dev.sluice.engine.queue;

import dev.sluice.core.Ticker;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one lock of a sink's queue state and its conditions: {@code wake} (the dispatcher has something to look at),
 * {@code notFull} (room in the buffer, for a waiting reader), {@code settled} (a batch's outcome arrived, for a stop
 * waiting out its grace).
 *
 * <p>Waits are measured on the queue's {@link Ticker}. With another ticker than the system's (a test's fake one,
 * moved from another thread), a wait blocks at most {@value #POLL_MILLIS} ms of real time before its caller looks at
 * the ticker again.
 */
final class QueueLock {
    private static final long POLL_MILLIS = 1;

    final ReentrantLock lock = new ReentrantLock();
    final Condition wake = lock.newCondition();
    final Condition notFull = lock.newCondition();
    final Condition settled = lock.newCondition();
    private final Ticker ticker;

    QueueLock(Ticker ticker) {
        this.ticker = ticker;
    }

    /** Waits on {@code c} (holding the lock) for up to {@code nanos} of the ticker's time, or less. */
    void await(Condition c, long nanos) throws InterruptedException {
        c.awaitNanos(slice(nanos));
    }

    /** How long to block in real time for {@code nanos} of the ticker's time. */
    long slice(long nanos) {
        return ticker == Ticker.SYSTEM ? nanos : Math.min(nanos, TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS));
    }
}
