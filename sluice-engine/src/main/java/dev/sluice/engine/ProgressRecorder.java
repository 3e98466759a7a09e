package dev.sluice.engine;

import dev.sluice.core.Ticker;
import dev.sluice.engine.queue.SinkQueue;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves each sink's delivery progress to the {@link DeliveryLedger} when it changed, every
 * {@value #INTERVAL_MILLIS} ms, on its own virtual thread, until stopped; a last round then saves what the stopped
 * sinks resolved. A crash repeats at most what was resolved in one interval.
 *
 * <p>Failure: a failing save is logged once per streak and tried again next round.
 */
final class ProgressRecorder {
    private static final Logger log = LoggerFactory.getLogger(ProgressRecorder.class);
    private static final long INTERVAL_MILLIS = 50;
    private static final Duration INTERVAL = Duration.ofMillis(INTERVAL_MILLIS);

    private final String database;
    private final List<SinkQueue> sinks;
    private final DeliveryLedger ledger;
    private final Ticker ticker;
    private volatile boolean recording = true;
    private @Nullable Thread thread;

    ProgressRecorder(String database, List<SinkQueue> sinks, DeliveryLedger ledger, Ticker ticker) {
        this.database = database;
        this.sinks = sinks;
        this.ledger = ledger;
        this.ticker = ticker;
    }

    void start() {
        thread = Thread.ofVirtual().name("progress-" + database).start(this::run);
    }

    /**
     * A sink's saved progress, to restore before its first change; when it cannot be read, none (the replay after this
     * restart may then deliver messages the sink already had).
     */
    static DeliveryLedger.Progress load(DeliveryLedger ledger, SinkSpec spec) {
        try {
            return ledger.load(spec.id());
        } catch (Exception e) {
            log.warn(
                    "sink {}: cannot read its saved progress ({}); the replay after this restart may deliver messages"
                            + " it already had",
                    spec.name(),
                    e.toString());
            return DeliveryLedger.Progress.NONE;
        }
    }

    /** Stops after one last round, waiting up to {@code limit} for it. */
    void stop(Duration limit) {
        recording = false;
        Thread t = thread;
        if (t != null) {
            try {
                t.join(limit);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        Map<SinkQueue, Long> saved = new IdentityHashMap<>();
        boolean warned = false;
        while (true) {
            boolean last = !recording;
            for (SinkQueue s : sinks) {
                if (s.spec().state() == SinkState.DISABLED) {
                    continue;
                }
                long version = s.progressVersion();
                Long before = saved.get(s);
                if (before != null && before == version) {
                    continue;
                }
                try {
                    ledger.save(s.spec().id(), s.progress());
                    saved.put(s, version);
                    warned = false;
                } catch (Exception e) {
                    if (!warned) {
                        warned = true;
                        log.warn("database {}: cannot save delivery progress: {}", database, e.toString());
                    }
                }
            }
            saved.keySet().retainAll(Set.copyOf(sinks));
            if (last) {
                return;
            }
            try {
                Sleeper.sleep(ticker, INTERVAL);
            } catch (InterruptedException e) {
                recording = false; // one last round, then stop
            }
        }
    }
}
