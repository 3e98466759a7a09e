package dev.sluice.server.console;

import io.javalin.http.sse.SseClient;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's one timer thread: it samples the charts' history and pushes server-sent events to open pages. A push
 * that fails (the page went away) ends that page's stream, never the thread.
 */
final class LiveUpdates implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LiveUpdates.class);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sluice-console-live");
        t.setDaemon(true);
        return t;
    });

    /** Runs {@code task} every {@code period}, first after one period. */
    void every(Duration period, Runnable task) {
        timer.scheduleAtFixedRate(
                () -> {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        log.warn("console update failed", e);
                    }
                },
                period.toMillis(),
                period.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Keeps {@code client} open and sends it what {@code push} sends, now and every {@code period}, until the page
     * closes the stream or a send fails.
     */
    void stream(SseClient client, Duration period, java.util.function.Consumer<SseClient> push) {
        client.keepAlive();
        ScheduledFuture<?>[] task = new ScheduledFuture<?>[1];
        Runnable send = () -> {
            if (client.terminated()) {
                task[0].cancel(false);
                return;
            }
            try {
                push.accept(client);
            } catch (RuntimeException e) {
                log.debug("console stream ended", e);
                task[0].cancel(false);
                client.close();
            }
        };
        synchronized (task) {
            task[0] = timer.scheduleWithFixedDelay(
                    () -> {
                        synchronized (task) {
                            send.run();
                        }
                    },
                    0,
                    period.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        client.onClose(() -> task[0].cancel(false));
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
