package dev.sluice.server.runtime;

import dev.sluice.server.store.StoredConfig;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows configuration saved by other nodes: polls the store's configuration version and, when it moved, reloads
 * and runs the new configuration, so that a change made on any node takes effect here within {@link #EVERY}. Also
 * starts and stops backfills that another node's API changed for the pipelines running here.
 */
final class ConfigFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfigFollower.class);
    static final Duration EVERY = Duration.ofMillis(250);
    private static final int BACKFILL_EVERY_ROUNDS = 4;

    private final StoredConfig stored;
    private final Supervisor supervisor;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("config-follower").daemon().unstarted(r));
    private boolean warned;
    private int rounds;

    ConfigFollower(StoredConfig stored, Supervisor supervisor) {
        this.stored = stored;
        this.supervisor = supervisor;
    }

    void start() {
        scheduler.scheduleWithFixedDelay(this::poll, EVERY.toMillis(), EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void poll() {
        try {
            synchronized (stored.writeLock()) {
                StoredConfig.Saved reloaded = stored.reloadIfChanged();
                if (reloaded != null) {
                    log.info("configuration changed in the store (by another node); applying it");
                    supervisor.apply(reloaded.running());
                }
            }
            if (++rounds % BACKFILL_EVERY_ROUNDS == 0) {
                supervisor.syncBackfills();
            }
            warned = false;
        } catch (java.sql.SQLException | RuntimeException e) {
            if (!warned) {
                warned = true;
                log.warn("cannot read the configuration version from the metadata store: {}", e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
