package dev.sluice.bench.e2e;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts changes as a drain system receives them and timestamps the first one and the
 * {@code target}-th one. Thread-safe: sinks, receivers and Debezium count from their own threads.
 */
final class ChangeCounter {
    private final long target;
    private final long startNanos;
    private final AtomicLong count = new AtomicLong();
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile long firstNanos;
    private volatile long doneNanos;

    /** Starts the clock: startup is measured from here. */
    ChangeCounter(long target) {
        this.target = target;
        this.startNanos = System.nanoTime();
    }

    void add(long n) {
        if (n <= 0) {
            return;
        }
        long before = count.getAndAdd(n);
        long now = System.nanoTime();
        if (before == 0) {
            firstNanos = now;
        }
        if (before < target && before + n >= target) {
            doneNanos = now;
            done.countDown();
        }
    }

    long count() {
        return count.get();
    }

    /** Waits until {@code target} changes arrived; false on timeout. */
    boolean await(Duration timeout) throws InterruptedException {
        return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * The result: seconds from the first change received to the last, so connection setup and the
     * systems' own startup are left out (they are reported as {@code startupSeconds}).
     */
    DrainRun result(DrainSystem system) {
        long end = doneNanos != 0 ? doneNanos : System.nanoTime();
        long first = firstNanos != 0 ? firstNanos : end;
        return new DrainRun(
                new DrainResult(system.label(), count.get(), (end - first) / 1e9), (first - startNanos) / 1e9);
    }
}
