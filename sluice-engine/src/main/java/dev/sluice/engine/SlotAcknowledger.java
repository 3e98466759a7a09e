package dev.sluice.engine;

import dev.sluice.core.Ticker;
import dev.sluice.engine.queue.SinkQueue;
import dev.sluice.postgres.replication.ReplicationSession;
import java.time.Duration;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * Tells Postgres how far the slot may advance.
 *
 * <p>Rule: the flush LSN is the minimum over non-disabled sinks of the end LSN of the last transaction each has fully
 * resolved (delivered, discarded or durably stored), and at most the end of the last transaction routed. When every
 * sink is caught up and no transaction is being read, the position of the last keepalive is acknowledged too, so an
 * idle or unrelated-write database does not pile up WAL behind the slot. A status update is forced at most every
 * {@code 500 ms} when the position moved, or on request (while a full sink keeps the reader waiting, so that Postgres
 * does not end the connection after {@code wal_sender_timeout}).
 *
 * <p>Concurrency: the reader thread only; {@link #acknowledgedLsn()} is read by any thread.
 */
final class SlotAcknowledger {
    private static final long FORCE_ACK_NANOS = Duration.ofMillis(500).toNanos();

    private final List<SinkQueue> sinks;
    private final Router router;
    private final LongConsumer onAcknowledged;
    private final Ticker ticker;
    private long lastForcedAck;
    private long lastSentAck;
    private volatile long acknowledgedLsn;

    /** @param onAcknowledged called (on the reader thread) with each new flush LSN sent to Postgres */
    SlotAcknowledger(List<SinkQueue> sinks, Router router, LongConsumer onAcknowledged, Ticker ticker) {
        this.sinks = sinks;
        this.router = router;
        this.onAcknowledged = onAcknowledged;
        this.ticker = ticker;
    }

    /**
     * Moves the session's flush position to what the sinks have resolved, and sends it when due or forced.
     *
     * @param inTxn a transaction is being read: the keepalive's position is not acknowledged then
     */
    void acknowledge(ReplicationSession session, boolean force, boolean inTxn) {
        long flush = router.lastRoutedEndLsn();
        boolean caughtUp = true;
        for (SinkQueue s : sinks) {
            if (s.spec().state() == SinkState.DISABLED) {
                continue;
            }
            router.admit(s);
            long acked = s.acknowledgedLsn();
            if (Long.compareUnsigned(acked, flush) < 0) {
                flush = acked;
                caughtUp = false;
            }
        }
        if (caughtUp && !inTxn) {
            long received = session.lastReceiveLsn();
            if (Long.compareUnsigned(received, flush) > 0) {
                flush = received;
            }
        }
        if (Long.compareUnsigned(flush, session.acknowledged()) > 0) {
            session.acknowledge(flush, false);
        }
        long now = ticker.nanos();
        long pending = session.acknowledged();
        if (force || (pending != lastSentAck && now - lastForcedAck > FORCE_ACK_NANOS)) {
            session.acknowledge(pending, true);
            lastForcedAck = now;
            if (pending != lastSentAck) {
                lastSentAck = pending;
                acknowledgedLsn = pending;
                onAcknowledged.accept(pending);
            }
        }
    }

    /** The last flush LSN sent to Postgres. */
    long acknowledgedLsn() {
        return acknowledgedLsn;
    }
}
