package dev.sluice.engine;

import dev.sluice.core.TableId;
import dev.sluice.core.Ticker;
import dev.sluice.engine.queue.SinkQueue;
import dev.sluice.postgres.capture.ChangeAssembler;
import dev.sluice.postgres.capture.JdbcPrimaryKeyLookup;
import dev.sluice.postgres.capture.RelationCache;
import dev.sluice.postgres.pgoutput.PgOutputDecoder;
import dev.sluice.postgres.pgoutput.PgOutputMessage;
import dev.sluice.postgres.replication.ReplicationSession;
import dev.sluice.postgres.replication.SourceException;
import dev.sluice.postgres.replication.SourcePreflight;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.postgres.types.TypeRegistry;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reader of one database's slot: its own platform thread opens a replication session, decodes each message and
 * hands it to the {@link Router}, acknowledges through the {@link SlotAcknowledger}, and starts over after any
 * failure.
 *
 * <p>State: the lifecycle shown in health ({@link DatabasePipeline.State}, the last error, when the session started
 * streaming, when a heartbeat last came back, the slot's lag), and the idle watchdog: a session on which a heartbeat
 * has come back and then nothing arrives for {@link DatabasePipeline.Options#idleTimeout()} is taken for dead (a
 * network path that silently stopped carrying bytes; the replication connection has no socket timeout) and replaced.
 *
 * <p>Concurrency: everything but the volatile status fields is the reader thread's own. {@link #stop()} asks it to
 * stop at the next transaction boundary.
 *
 * <p>Failure: any source problem (unreachable, wrong password, wal_level, missing slot, dropped connection) is logged
 * once per attempt with its fix and retried after the reconnect back-off, which starts again from its base once a
 * session got to streaming; the process never exits because of a source. The sinks keep their queues across
 * reconnects. On stop, the sinks finish their batches in flight and what they resolved is acknowledged.
 */
final class SlotReader {
    private static final Logger log = LoggerFactory.getLogger(SlotReader.class);
    private static final long LAG_REFRESH_NANOS = Duration.ofSeconds(5).toNanos();
    private static final int CATALOG_TIMEOUT_MS = 10_000;
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);
    private volatile Duration stopGrace = STOP_GRACE;
    // A standby has no current WAL position of its own: there the lag is measured against what it has replayed.
    private static final String LAG_QUERY = "SELECT pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery()"
            + " THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, confirmed_flush_lsn)"
            + " FROM pg_replication_slots WHERE slot_name = ?";

    private final String name;
    private final SourceSettings settings;
    private final DatabasePipeline.Options options;
    private final RetryPolicy reconnect;
    private final List<SinkQueue> sinks;
    private final Router router;
    private final SlotAcknowledger acks;
    private final Ticker ticker;

    private volatile boolean running = true;
    // -1 until read once.
    private volatile long slotLagBytes = -1;
    private volatile DatabasePipeline.State state = DatabasePipeline.State.STARTING;
    private volatile @Nullable String lastError;
    private volatile @Nullable Instant streamingSince;
    private volatile @Nullable Instant lastHeartbeatAt;

    // Reader thread only.
    private @Nullable ReplicationSession session;
    // A session that got to streaming resets the back-off: a dropped connection after hours of streaming is retried
    // after the base delay, not after the delay of the previous outage.
    private boolean sessionStreamed;
    // The idle watchdog is armed once a heartbeat has come back in this session: only then is silence a sign of a
    // dead path rather than of heartbeats that cannot be emitted (no permission, primary down).
    private boolean heartbeatSeenThisSession;
    private long lastProgressNanos;
    private long lastReceiveSeen;
    private long lastLagRefresh;
    private final Set<TableId> warnedKeyless = new HashSet<>();
    private final StreamedTransactions streamed;

    SlotReader(
            String name,
            SourceSettings settings,
            DatabasePipeline.Options options,
            RetryPolicy reconnect,
            List<SinkQueue> sinks,
            Router router,
            SlotAcknowledger acks,
            Ticker ticker) {
        this.name = name;
        this.settings = settings;
        this.options = options;
        this.reconnect = reconnect;
        this.sinks = sinks;
        this.router = router;
        this.acks = acks;
        this.ticker = ticker;
        this.streamed = new StreamedTransactions(options.streamedDir().resolve(directoryName(name, settings)));
    }

    // One directory per pipeline: its name, made safe for a file system, and its slot (names may repeat across
    // servers sharing a directory, slots on one source may not).
    private static String directoryName(String name, SourceSettings settings) {
        String safe = (name + "-" + settings.slotName()).replaceAll("[^A-Za-z0-9_.-]", "_");
        return safe.length() > 120 ? safe.substring(0, 120) + "-" + Integer.toHexString(safe.hashCode()) : safe;
    }

    DatabasePipeline.State state() {
        return state;
    }

    @Nullable
    String lastError() {
        return lastError;
    }

    @Nullable
    Instant streamingSince() {
        return streamingSince;
    }

    @Nullable
    Instant lastHeartbeatAt() {
        return lastHeartbeatAt;
    }

    long slotLagBytes() {
        return slotLagBytes;
    }

    /** Stops at the next transaction boundary (the caller interrupts the thread to cut a long one short). */
    void stop() {
        running = false;
    }

    /** Stops, giving in-flight batches at most {@code grace} to finish (a lost lease leaves little time). */
    void stop(Duration grace) {
        stopGrace = grace;
        running = false;
    }

    void stopped() {
        state = DatabasePipeline.State.STOPPED;
    }

    /** The reader thread's body: sessions, one after another, until stopped. */
    void run() {
        int failures = 0;
        while (running) {
            sessionStreamed = false;
            try {
                stream();
            } catch (SourceException e) {
                if (!running) {
                    break;
                }
                failures = sessionStreamed ? 1 : failures + 1;
                fail(e.getMessage(), e, failures);
            } catch (RuntimeException e) {
                if (!running) {
                    break;
                }
                failures = sessionStreamed ? 1 : failures + 1;
                fail("unexpected error: " + e, e, failures);
            }
            if (running) {
                try {
                    Sleeper.sleep(ticker, reconnect.delayAfter(Math.max(failures, 1)));
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
        for (SinkQueue s : sinks) {
            s.stop(stopGrace);
        }
        state = DatabasePipeline.State.STOPPED;
    }

    private void fail(String message, Exception e, int attempt) {
        state = DatabasePipeline.State.RETRYING;
        lastError = message;
        log.warn("database {}: {} (attempt {}; retrying)", name, message, attempt);
        log.debug("database {}: failure detail", name, e);
    }

    private void stream() {
        try (Connection catalog = DriverManager.getConnection(settings.jdbcUrl(), settings.properties(false))) {
            int major = SourcePreflight.serverMajor(catalog);
            for (var keyless : SourcePreflight.run(catalog, settings)) {
                if (warnedKeyless.add(keyless.table()) && coveredByAnySink(keyless.table())) {
                    log.warn("database {}: {}", name, keyless.advice());
                }
            }
            RelationCache relations = new RelationCache(new TypeRegistry(catalog), new JdbcPrimaryKeyLookup(catalog));
            ChangeAssembler assembler = new ChangeAssembler(relations);
            streamed.reset();
            try (ReplicationSession session = ReplicationSession.open(settings, major);
                    streamed) {
                this.session = session;
                streamingSince = ticker.now();
                state = DatabasePipeline.State.STREAMING;
                sessionStreamed = true;
                heartbeatSeenThisSession = false;
                lastError = null;
                log.info(
                        "database {}: streaming from slot {} ({}; protocol {})",
                        name,
                        settings.slotName(),
                        settings.describe(),
                        session.streaming() ? "2, large transactions streamed before commit" : "1");
                try {
                    readLoop(session, relations, assembler, catalog);
                } catch (SourceException e) {
                    session.abandon();
                    throw e;
                } catch (InterruptedException e) {
                    // stopping: fall through to the final acknowledgement
                }
                if (!running) {
                    // The stop's interrupt must not cut the sinks' drain short (join would throw at once).
                    Thread.interrupted();
                    // Graceful stop: let in-flight batches finish, then acknowledge them, so a restart does not
                    // deliver them again.
                    for (SinkQueue s : sinks) {
                        s.stop(stopGrace);
                    }
                    acks.acknowledge(session, true, true);
                }
            }
        } catch (SQLException e) {
            throw SourceException.classify(e, settings, "connecting");
        }
    }

    private boolean coveredByAnySink(TableId t) {
        for (SinkQueue s : sinks) {
            if (s.spec().state() != SinkState.DISABLED && s.spec().tables().test(t)) {
                return true;
            }
        }
        return false;
    }

    private void readLoop(
            ReplicationSession session, RelationCache relations, ChangeAssembler assembler, Connection catalog)
            throws InterruptedException {
        lastLagRefresh = ticker.nanos() - LAG_REFRESH_NANOS;
        lastProgressNanos = ticker.nanos();
        lastReceiveSeen = session.lastReceiveLsn();
        boolean inTxn = false;
        while (running || inTxn) {
            if (!silentSinceHeartbeat()) {
                // While the session is suspiciously silent, the catalog connection may hang on the same dead path:
                // the watchdog must not wait behind a lag query.
                refreshSlotLag(catalog);
            }
            ByteBuffer buf = session.readPending();
            if (buf == null) {
                acks.acknowledge(session, false, inTxn);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                checkIdle(session);
                LockSupport.parkNanos(1_000_000);
                continue;
            }
            PgOutputMessage msg = PgOutputDecoder.decode(buf, streamed.inBlock());
            switch (msg) {
                case PgOutputMessage.Begin b -> {
                    router.begin(b);
                    inTxn = true;
                }
                case PgOutputMessage.Commit c -> {
                    router.commit(c);
                    inTxn = false;
                }
                case PgOutputMessage.StreamStart st -> {
                    if (st.firstSegment()) {
                        log.debug("database {}: transaction {} is streamed before it commits", name, st.xid());
                    }
                    streamed.start(st.xid(), st.firstSegment());
                }
                case PgOutputMessage.Streamed m -> streamed.append(m.xid(), buf);
                case PgOutputMessage.StreamStop stop -> streamed.stop();
                case PgOutputMessage.StreamAbort a -> streamed.abort(a.xid(), a.subXid());
                case PgOutputMessage.StreamCommit c -> {
                    // Routed as the same transaction sent whole at commit: same commit LSN, same change indexes.
                    router.begin(new PgOutputMessage.Begin(c.commitLsn(), c.commitTimestamp(), c.xid()));
                    inTxn = true;
                    streamed.commit(c.xid(), m -> apply(m, relations, assembler));
                    router.commit(
                            new PgOutputMessage.Commit(c.flags(), c.commitLsn(), c.endLsn(), c.commitTimestamp()));
                    inTxn = false;
                }
                default -> apply(msg, relations, assembler);
            }
            // A streamed transaction not yet committed keeps the keepalive's position from being acknowledged.
            acks.acknowledge(session, false, inTxn || streamed.pending());
            // After routing, which may have waited for room in a sink's queue: that wait is not silence.
            lastProgressNanos = ticker.nanos();
        }
    }

    /** A message of a transaction, sent whole at its commit or read back from a streamed one's blocks. */
    private void apply(PgOutputMessage msg, RelationCache relations, ChangeAssembler assembler)
            throws InterruptedException {
        switch (msg) {
            case PgOutputMessage.Relation r -> relations.apply(r);
            case PgOutputMessage.Insert i -> router.insert(i, assembler);
            case PgOutputMessage.Update u -> router.update(u, assembler);
            case PgOutputMessage.Delete d -> router.delete(d, assembler);
            case PgOutputMessage.LogicalMessage m -> {
                if (!m.transactional() && Heartbeat.PREFIX.equals(m.prefix())) {
                    // Not routed: it only proves that the slot moves. Any Sluice's heartbeat on this database
                    // proves it as well as ours.
                    lastHeartbeatAt = ticker.now();
                    heartbeatSeenThisSession = true;
                } else {
                    router.message(m);
                }
            }
            case PgOutputMessage.Truncate t -> router.truncate(t, assembler);
            case PgOutputMessage.Type t -> {
                // Types are resolved from the catalog when a relation uses them.
            }
            case PgOutputMessage.Origin o -> {
                // Replication origins are not used yet.
            }
            default ->
                throw new IllegalStateException(
                        "unexpected pgoutput message " + msg.getClass().getSimpleName() + " inside a transaction");
        }
    }

    /**
     * While a full sink blocks the reader, it still answers the server: a forced status update, with whatever the
     * sinks have acknowledged meanwhile, so that Postgres does not end the connection after wal_sender_timeout.
     */
    void answerWhileBlocked() {
        ReplicationSession s = session;
        if (s != null) {
            try {
                acks.acknowledge(s, true, true);
            } catch (RuntimeException e) {
                // Never thrown into routing, which must not stop half-way through the sinks: the next read after the
                // wait meets the broken connection and reconnects.
                log.debug("database {}: status update while a sink is full failed: {}", name, e.toString());
            }
            lastProgressNanos = ticker.nanos(); // waiting for room is not silence
        }
    }

    private boolean heartbeats() {
        return !options.heartbeatInterval().isZero();
    }

    /** Nothing has arrived for over a heartbeat interval although heartbeats have come back through this session. */
    private boolean silentSinceHeartbeat() {
        return heartbeats()
                && heartbeatSeenThisSession
                && ticker.nanos() - lastProgressNanos
                        > options.heartbeatInterval().toNanos();
    }

    /**
     * Throws when the session is silent for longer than the idle limit although heartbeats, which write WAL every
     * interval, have come back through it before: bytes no longer arrive (a dead path, a hung proxy).
     */
    private void checkIdle(ReplicationSession session) {
        long now = ticker.nanos();
        long received = session.lastReceiveLsn();
        if (received != lastReceiveSeen) {
            // A keepalive with a newer WAL position.
            lastReceiveSeen = received;
            lastProgressNanos = now;
            return;
        }
        Duration limit = options.idleTimeout();
        if (limit.isZero() || !heartbeats() || !heartbeatSeenThisSession) {
            return;
        }
        if (now - lastProgressNanos > limit.toNanos()) {
            throw new SourceException(
                    SourceException.Kind.UNREACHABLE,
                    "nothing received from slot " + settings.slotName() + " for " + limit.toMillis()
                            + " ms although heartbeats are emitted every "
                            + options.heartbeatInterval().toMillis()
                            + " ms: the connection is taken for dead and replaced (" + settings.describe() + ")");
        }
    }

    // One catalog query per 5 s at most, so a scrape costs the source nothing.
    private void refreshSlotLag(Connection catalog) {
        long now = ticker.nanos();
        if (now - lastLagRefresh < LAG_REFRESH_NANOS) {
            return;
        }
        lastLagRefresh = now;
        try (var ps = catalog.prepareStatement(LAG_QUERY)) {
            // Bounded (from here on, relation lookups too): this runs on the reader thread, and a network path that
            // stopped carrying bytes must not stall it for the connection's 60 s socket timeout.
            catalog.setNetworkTimeout(Runnable::run, CATALOG_TIMEOUT_MS);
            ps.setString(1, settings.slotName());
            try (var rs = ps.executeQuery()) {
                if (rs.next()) {
                    long lag = rs.getLong(1);
                    slotLagBytes = rs.wasNull() ? -1 : Math.max(0, lag);
                }
            }
        } catch (SQLException e) {
            if (isClosed(catalog)) {
                // Timed out or dropped: the next relation lookup would fail too, so start over now.
                throw SourceException.classify(e, settings, "reading the slot's lag");
            }
            // Metrics only: the replication connection reports real trouble.
            log.debug("database {}: cannot read slot lag: {}", name, e.toString());
        }
    }

    private static boolean isClosed(Connection c) {
        try {
            return c.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }
}
