package dev.sluice.functions;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Enforces the wall-clock limit of calls: one daemon thread looks at every live {@link Sandbox} each
 * {@value #TICK_MILLIS} ms and cancels the calls past their deadline. A periodic scan costs a call two atomic writes
 * (arm, disarm), where scheduling a timer per call would cost more than a warm call itself; the price is that a
 * deadline is enforced up to one tick late.
 *
 * <p>The scan never blocks: cancelling closes the context on a virtual thread of its own, since
 * {@code Context.close(true)} waits for the running code to stop.
 */
final class Watchdog {
    static final long TICK_MILLIS = 20;

    private static final Set<Sandbox> LIVE = ConcurrentHashMap.newKeySet();

    private Watchdog() {}

    private static final class Ticker {
        static {
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                    .daemon()
                    .name("sluice-function-watchdog")
                    .unstarted(r));
            timer.scheduleWithFixedDelay(Watchdog::scan, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        }

        static void start() {}
    }

    static void watch(Sandbox sandbox) {
        Ticker.start();
        LIVE.add(sandbox);
    }

    static void forget(Sandbox sandbox) {
        LIVE.remove(sandbox);
    }

    private static void scan() {
        long now = System.nanoTime();
        for (Sandbox s : LIVE) {
            try {
                s.cancelIfLate(now);
            } catch (RuntimeException e) {
                // An exception would end the periodic task, and with it every later timeout: keep scanning.
            }
        }
    }
}
