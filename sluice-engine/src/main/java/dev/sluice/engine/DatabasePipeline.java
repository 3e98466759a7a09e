package dev.sluice.engine;

import dev.sluice.core.Change;
import dev.sluice.core.Position;
import dev.sluice.core.TableId;
import dev.sluice.core.sink.Sink;
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
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one database's slot and feeds its sinks.
 *
 * <p>State: one reader thread owns the replication session, the relation cache and the routing; each
 * sink has its own {@link SinkPipeline}. {@code lastRoutedCommitLsn} is the commit LSN of the last
 * transaction whose end was handed to the sinks, and {@code partialCommitLsn}/{@code partialIdx} the
 * last change routed of a transaction that a dropped connection cut off: after a reconnect, Postgres
 * replays from the slot's flush position, and transactions at or before the former, and the changes
 * at or before the latter, are skipped, so no sink sees a change twice within one process.
 *
 * <p>Acknowledgement: the slot's flush LSN is the minimum over non-disabled sinks of the end LSN of
 * the last transaction each has fully delivered. When every sink is caught up and no transaction is
 * open, the position of the last keepalive is acknowledged too, so an idle or unrelated-write database
 * does not pile up WAL behind the slot.
 *
 * <p>Runtime changes: {@link #addSink}, {@link #updateSink} and {@link #removeSink} work before and
 * after {@link #start()}, from any thread; they serialise on this object and return once the change is
 * in effect. The sink list is copy-on-write, so the reader routes each change to the sinks present
 * when it reaches that change. A sink added while streaming takes the changes routed after it joined
 * (possibly the tail of a transaction in progress); the reader positions it at the end of the last
 * transaction routed before it joined, the first time it sees it, so it never holds the slot back. An
 * update keeps the sink's queue and position (see {@link SinkPipeline}); a removed sink is dropped
 * from routing first, then stopped and closed, and no longer counts for the acknowledgement.
 *
 * <p>Heartbeats: while streaming, every {@link Options#heartbeatInterval()} a {@link Heartbeat} thread emits a
 * non-transactional logical message ({@value Heartbeat#PREFIX}) on an ordinary connection (on the primary
 * when the source is a replica). The reader takes it from the stream without routing it: it records
 * {@link Status#lastHeartbeatAt()}, and as it arrives outside any transaction, the acknowledgement moves the
 * slot past it when the sinks are caught up. So a database with no writes of its own still moves its slot
 * while other databases of the server write WAL. A session on which a heartbeat has come back and then
 * nothing arrives for {@link Options#idleTimeout()} is taken for dead (a network path that silently stopped
 * carrying bytes; the replication connection has no socket timeout) and replaced.
 *
 * <p>Failure: any source problem (unreachable, wrong password, wal_level, missing slot, dropped
 * connection) is logged once per attempt with its fix and retried with back-off; the process never
 * exits because of a source. The sinks keep their queues across reconnects.
 */
public final class DatabasePipeline implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DatabasePipeline.class);
    private static final String ANNOTATIONS_SET = "sequin:transaction_annotations.set";
    private static final String ANNOTATIONS_CLEAR = "sequin:transaction_annotations.clear";
    private static final int RESTORE_PAGE = 10_000;
    private static final long FORCE_ACK_NANOS = Duration.ofMillis(500).toNanos();
    // How long a runtime change waits for a delivery call in progress before abandoning it.
    private static final Duration RECONFIGURE_GRACE = Duration.ofSeconds(5);
    private static final long LAG_REFRESH_NANOS = Duration.ofSeconds(5).toNanos();
    // How often changed sink progress is saved: a crash repeats at most what was resolved in this window.
    private static final Duration PROGRESS_INTERVAL = Duration.ofMillis(50);
    private static final int CATALOG_TIMEOUT_MS = 10_000;
    // A standby has no current WAL position of its own: there the lag is measured against what it has replayed.
    private static final String LAG_QUERY = "SELECT pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery()"
            + " THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, confirmed_flush_lsn)"
            + " FROM pg_replication_slots WHERE slot_name = ?";

    /** Lifecycle of the reader, as shown in health. */
    public enum State {
        STARTING,
        STREAMING,
        RETRYING,
        STOPPED
    }

    /**
     * Tuning of one pipeline.
     *
     * @param heartbeatInterval how often to emit a heartbeat while streaming; zero turns heartbeats off
     * @param idleTimeout how long a session on which a heartbeat has come back may stay silent before it is
     *     replaced; zero never replaces a silent session
     */
    public record Options(Duration heartbeatInterval, Duration idleTimeout) {
        public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(30);
        public static final Options DEFAULT = heartbeatEvery(DEFAULT_HEARTBEAT);

        public Options {
            if (heartbeatInterval.isNegative() || idleTimeout.isNegative()) {
                throw new IllegalArgumentException("durations must not be negative");
            }
        }

        /** Heartbeats at {@code interval} (zero: off); a session silent for 3 intervals is replaced. */
        public static Options heartbeatEvery(Duration interval) {
            return new Options(interval, interval.multipliedBy(3));
        }
    }

    /**
     * A snapshot for health and logs.
     *
     * @param streamingSince when the current session started streaming; null when not streaming
     * @param lastHeartbeatAt when a heartbeat last came back through the slot; null if none yet
     * @param slotLagBytes as {@link DatabasePipeline#slotLagBytes()}
     * @param heartbeatInterval zero when heartbeats are off
     */
    public record Status(
            String database,
            State state,
            @Nullable String lastError,
            long acknowledgedLsn,
            List<SinkStatus> sinks,
            @Nullable Instant streamingSince,
            @Nullable Instant lastHeartbeatAt,
            long slotLagBytes,
            Duration heartbeatInterval) {

        /**
         * A warning when heartbeats are on, the reader streams, and none has come back for 3 intervals (counted
         * from the start of streaming if none has come back since): the slot may not be advancing.
         */
        public @Nullable String heartbeatWarning(Instant now) {
            if (heartbeatInterval.isZero() || state != State.STREAMING || streamingSince == null) {
                return null;
            }
            Instant since = lastHeartbeatAt == null || lastHeartbeatAt.isBefore(streamingSince)
                    ? streamingSince
                    : lastHeartbeatAt;
            Duration quiet = Duration.between(since, now);
            if (quiet.compareTo(heartbeatInterval.multipliedBy(3)) <= 0) {
                return null;
            }
            return "no heartbeat has come back through the slot for " + quiet.toSeconds() + " s (one is emitted every "
                    + heartbeatInterval.toMillis() + " ms): the slot may not be advancing; check the log for"
                    + " heartbeat errors (the role must be able to run pg_logical_emit_message"
                    + " on the primary)";
        }
    }

    /**
     * @param discarded messages given up on after their last failed attempt
     * @param shed new messages dropped because the buffer was full ({@code discard_on_full})
     * @param queued messages buffered and not yet delivered
     * @param failingGroups groups whose last delivery failed, waiting for a retry
     * @param oldestFailureAt when the oldest message still failing first failed; null when none is
     * @param lag from the commit of the oldest transaction the sink has not resolved until now
     */
    public record SinkStatus(
            String name,
            SinkState state,
            long delivered,
            long discarded,
            long shed,
            int queued,
            int failingGroups,
            @Nullable String lastError,
            @Nullable Instant oldestFailureAt,
            Duration lag) {}

    private final String name;
    private final SourceSettings settings;
    // Running backfills by id; the reader iterates them for every change of a backfilled table.
    private final Map<String, Backfill> backfills = new java.util.concurrent.ConcurrentHashMap<>();
    // Iterated by the reader while the API thread changes it.
    private final List<SinkPipeline> sinks = new CopyOnWriteArrayList<>();
    private final RetryPolicy reconnect;
    private final LongConsumer onAcknowledged;
    private final PipelineMetrics metrics;
    private final DeliveryLedger ledger;
    private final MessageStore messages;
    private @Nullable Thread recorder;
    private volatile boolean recording = true;
    private final Options options;
    private final @Nullable Heartbeat heartbeat;

    private volatile boolean running;
    // -1 until the reader has read it once.
    private volatile long slotLagBytes = -1;
    private volatile State state = State.STARTING;
    private volatile @Nullable String lastError;
    private volatile long acknowledgedLsn;
    private volatile @Nullable Instant streamingSince;
    private volatile @Nullable Instant lastHeartbeatAt;
    private @Nullable Thread reader;

    // Reader-thread state.
    private long lastRoutedCommitLsn;
    private long partialCommitLsn;
    private int partialIdx = -1;
    // The transaction being read (its Begin's xid), for backfills to tell which page snapshots it was invisible to.
    private int xid;
    private long lastRoutedEndLsn;
    private long lastForcedAck;
    private long lastSentAck;
    private long lastLagRefresh;
    // A session that got to streaming resets the back-off: a dropped connection after hours of
    // streaming is retried after the base delay, not after the delay of the previous outage.
    private boolean sessionStreamed;
    // The idle watchdog is armed once a heartbeat has come back in this session: only then is silence a sign
    // of a dead path rather than of heartbeats that cannot be emitted (no permission, primary down).
    private boolean heartbeatSeenThisSession;
    private long lastProgressNanos;
    private long lastReceiveSeen;
    private final Set<TableId> warnedKeyless = new HashSet<>();
    // The reader's current session; reader thread only.
    private @Nullable ReplicationSession session;

    /** Default heartbeats, no metrics, nothing kept across restarts. */
    public DatabasePipeline(String name, SourceSettings settings, RetryPolicy reconnect, LongConsumer onAcknowledged) {
        this(name, settings, reconnect, onAcknowledged, PipelineMetrics.NONE, Options.DEFAULT);
    }

    /** With heartbeat and idle limits; nothing kept across restarts. */
    public DatabasePipeline(
            String name,
            SourceSettings settings,
            RetryPolicy reconnect,
            LongConsumer onAcknowledged,
            PipelineMetrics metrics,
            Options options) {
        this(name, settings, reconnect, onAcknowledged, metrics, options, DeliveryLedger.NONE, MessageStore.NONE);
    }

    /**
     * @param onAcknowledged called (on the reader thread) with each new flush LSN sent to Postgres
     * @param metrics told about every message ingested, delivered, failed and discarded by the sinks
     * @param options heartbeat and idle limits
     * @param ledger where each sink's progress is saved while running and read when the sink is added, so that the
     *     replay after a restart skips what a sink already has
     * @param messages where failing groups' messages are kept so that they do not hold the slot, and from where they
     *     are delivered after a restart
     */
    public DatabasePipeline(
            String name,
            SourceSettings settings,
            RetryPolicy reconnect,
            LongConsumer onAcknowledged,
            PipelineMetrics metrics,
            Options options,
            DeliveryLedger ledger,
            MessageStore messages) {
        this.messages = messages;
        this.name = name;
        this.settings = settings;
        this.reconnect = reconnect;
        this.onAcknowledged = onAcknowledged;
        this.metrics = metrics;
        this.ledger = ledger;
        this.options = options;
        this.heartbeat = options.heartbeatInterval().isZero()
                ? null
                : new Heartbeat(name, settings, options.heartbeatInterval(), () -> state == State.STREAMING);
    }

    public String name() {
        return name;
    }

    public String slotName() {
        return settings.slotName();
    }

    /**
     * WAL bytes the slot holds back (current WAL position minus the slot's confirmed flush position), as
     * last read by the reader, at most every 5 seconds while connected; -1 until first read.
     */
    public long slotLagBytes() {
        return slotLagBytes;
    }

    /**
     * Adds a sink, before or after {@link #start()}. While running, it is started at once and receives
     * the changes routed from now on. A DISABLED sink is listed in {@link #status()} but gets nothing.
     *
     * @throws IllegalArgumentException if a sink with this id is already present
     * @throws IllegalStateException if the pipeline is closed
     */
    public synchronized DatabasePipeline addSink(SinkSpec spec, Sink sink) {
        checkOpen();
        if (find(spec.id()) != null) {
            throw new IllegalArgumentException("sink " + spec.id() + " (" + spec.name() + ") is already present");
        }
        SinkPipeline p = new SinkPipeline(spec, sink, spec.retry(), metrics, messages);
        if (spec.state() != SinkState.DISABLED) {
            p.restore(loadProgress(spec));
            restoreStored(spec, p);
        }
        if (reader == null) {
            p.positionAt(0); // takes the stream from its beginning
        } else if (spec.state() != SinkState.DISABLED) {
            p.start(); // before routing, so a sink that cannot start is not added
        }
        sinks.add(p);
        if (reader != null) {
            log.info("database {}: sink {} added ({})", name, spec.name(), spec.state());
        }
        return this;
    }

    /**
     * Replaces the spec and sink of the sink with {@code spec.id()} without losing its queued messages:
     * delivery stops (a batch being retried is queued again at the head), the old sink is closed
     * unless {@code sink} is the same instance, and delivery resumes with the new ones unless the new
     * state is PAUSED. A sink closed here must not be passed again. DISABLED removes the sink (it stays
     * listed as disabled); an absent or disabled sink is added. Waits up to a few seconds for a delivery
     * call in progress. If the new sink fails to start, the error propagates and the sink stays paused
     * with its queue (holding the slot) until it is updated again or removed.
     */
    public synchronized void updateSink(SinkSpec spec, Sink sink) {
        checkOpen();
        SinkPipeline current = find(spec.id());
        if (current == null || current.spec().state() == SinkState.DISABLED) {
            if (current != null) {
                sinks.remove(current);
                if (current.sink() != sink) {
                    current.remove(Duration.ZERO); // never started: only closes its sink
                }
            }
            addSink(spec, sink);
            return;
        }
        if (spec.state() == SinkState.DISABLED) {
            removeSink(spec.id());
            sinks.add(new SinkPipeline(spec, sink, spec.retry(), metrics, messages));
            return;
        }
        current.reconfigure(spec, sink, RECONFIGURE_GRACE);
    }

    /**
     * Stops routing to the sink, stops its delivery (the batch in flight finishes or is abandoned
     * after a short grace; the rest of its queue is dropped), closes it, and stops counting it for the
     * slot's acknowledgement.
     *
     * @return whether a sink with that id was present
     */
    public synchronized boolean removeSink(String sinkId) {
        SinkPipeline p = find(sinkId);
        if (p == null) {
            return false;
        }
        for (Backfill b : List.copyOf(backfills.values())) {
            if (b.spec().sinkId().equals(sinkId)) {
                stopBackfill(b.spec().id());
            }
        }
        sinks.remove(p);
        p.remove(RECONFIGURE_GRACE);
        log.info("database {}: sink {} removed", name, p.spec().name());
        return true;
    }

    /**
     * Starts (or resumes, from {@link BackfillSpec#cursor()}) a backfill into one of this database's sinks. It runs
     * while the database streams: its pages wait for the reader to meet their watermarks in the slot.
     *
     * @throws IllegalArgumentException when the sink is not here or is disabled, or the backfill already runs
     */
    public synchronized void startBackfill(BackfillSpec spec, BackfillListener listener) {
        startBackfill(spec, listener, 0);
    }

    /** As {@link #startBackfill(BackfillSpec, BackfillListener)}, with pages of a fixed size (0: adaptive). */
    synchronized void startBackfill(BackfillSpec spec, BackfillListener listener, int pageSize) {
        checkOpen();
        SinkPipeline sink = find(spec.sinkId());
        if (sink == null || sink.spec().state() == SinkState.DISABLED) {
            throw new IllegalArgumentException("sink " + spec.sinkId() + " is not running on database " + name);
        }
        if (backfills.containsKey(spec.id())) {
            throw new IllegalArgumentException("backfill " + spec.id() + " is already running");
        }
        Backfill b = new Backfill(
                spec,
                settings,
                sink,
                listener,
                this::answerWhileBlocked,
                name,
                done -> backfills.remove(spec.id(), done),
                pageSize);
        backfills.put(spec.id(), b);
        b.start();
        log.info(
                "database {}: backfill {} of {} into sink {} started",
                name,
                spec.id(),
                spec.table(),
                sink.spec().name());
    }

    /**
     * Stops a backfill within its current page (reads already handed to the sink are still delivered); the listener
     * hears nothing more from it. Returns whether it was running.
     */
    public boolean stopBackfill(String backfillId) {
        Backfill b = backfills.remove(backfillId);
        if (b == null) {
            return false;
        }
        b.stop();
        return true;
    }

    /** Whether the backfill runs here (it may have completed or failed since it was started). */
    public boolean backfillRunning(String backfillId) {
        return backfills.containsKey(backfillId);
    }

    /**
     * Checks that {@code table} of this database can be backfilled, in {@code sortColumn}'s order when given.
     *
     * @throws IllegalArgumentException when it cannot (no such table or column, no primary key and no sort column),
     *     with a message that says what to fix
     * @throws SQLException when the database cannot be reached
     */
    public void checkBackfill(TableId table, @Nullable String sortColumn) throws SQLException {
        Backfill.check(settings, table, sortColumn);
    }

    private DeliveryLedger.Progress loadProgress(SinkSpec spec) {
        try {
            return ledger.load(spec.id());
        } catch (Exception e) {
            log.warn(
                    "database {}: cannot read the saved progress of sink {} ({}); the replay after this restart may"
                            + " deliver messages it already had",
                    name,
                    spec.name(),
                    e.toString());
            return DeliveryLedger.Progress.NONE;
        }
    }

    /** Puts back a sink's stored messages, page by page (the pipeline keeps only what fits its bound in memory). */
    private void restoreStored(SinkSpec spec, SinkPipeline p) {
        try {
            Position after = null;
            while (true) {
                List<MessageStore.Stored> page = messages.load(spec.id(), after, RESTORE_PAGE);
                p.restoreStored(page);
                if (page.size() < RESTORE_PAGE) {
                    return;
                }
                after = page.getLast().position();
            }
        } catch (Exception e) {
            // Not delivering them now is safer than delivering them out of order later: fail the add.
            throw new IllegalStateException(
                    "cannot read the stored messages of sink " + spec.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Retries the failing groups of a sink now: all of them, or the one whose failed message is at
     * {@code position}. Returns how many groups were woken, or -1 when the sink is not running here.
     */
    public int redeliver(String sinkId, @Nullable Position position) {
        SinkPipeline p = find(sinkId);
        return p == null || p.spec().state() == SinkState.DISABLED ? -1 : p.redeliver(position);
    }

    /**
     * Discards failed messages of a sink: the one at {@code position}, or all. Returns how many, or -1 when the
     * sink is not running here.
     */
    public int discard(String sinkId, @Nullable Position position) {
        SinkPipeline p = find(sinkId);
        return p == null || p.spec().state() == SinkState.DISABLED ? -1 : p.discard(position);
    }

    /** Saves each sink's progress when it changed, every few milliseconds, until the pipeline stops. */
    private void record() {
        Map<SinkPipeline, Long> saved = new IdentityHashMap<>();
        boolean warned = false;
        while (true) {
            boolean last = !recording;
            for (SinkPipeline s : sinks) {
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
                        log.warn("database {}: cannot save delivery progress: {}", name, e.toString());
                    }
                }
            }
            saved.keySet().retainAll(java.util.Set.copyOf(sinks));
            if (last) {
                return;
            }
            try {
                Thread.sleep(PROGRESS_INTERVAL);
            } catch (InterruptedException e) {
                recording = false; // one last round, then stop
            }
        }
    }

    private @Nullable SinkPipeline find(String sinkId) {
        for (SinkPipeline s : sinks) {
            if (s.spec().id().equals(sinkId)) {
                return s;
            }
        }
        return null;
    }

    private void checkOpen() {
        if (reader != null && !running) {
            throw new IllegalStateException("database " + name + " is closed");
        }
    }

    public synchronized void start() {
        if (reader != null) {
            throw new IllegalStateException("already started");
        }
        running = true;
        for (SinkPipeline s : sinks) {
            if (s.spec().state() != SinkState.DISABLED) {
                s.start();
            }
        }
        reader = Thread.ofPlatform().name("replication-" + name).start(this::run);
        if (ledger != DeliveryLedger.NONE) {
            recorder = Thread.ofVirtual().name("progress-" + name).start(this::record);
        }
        if (heartbeat != null) {
            heartbeat.start();
        }
    }

    public Status status() {
        List<SinkStatus> ss = new ArrayList<>();
        for (SinkPipeline s : sinks) {
            ss.add(new SinkStatus(
                    s.spec().name(),
                    s.state(),
                    s.deliveredCount(),
                    s.discardedCount(),
                    s.shedCount(),
                    s.queuedMessages(),
                    s.failingGroups(),
                    s.lastError(),
                    s.oldestFailure(),
                    s.lag()));
        }
        State st = state;
        return new Status(
                name,
                st,
                lastError,
                acknowledgedLsn,
                ss,
                st == State.STREAMING ? streamingSince : null,
                lastHeartbeatAt,
                slotLagBytes,
                options.heartbeatInterval());
    }

    /**
     * Stops reading, lets sinks finish the batch in flight (up to a few seconds) and acknowledges what
     * they delivered.
     */
    @Override
    public void close() {
        running = false;
        for (String id : List.copyOf(backfills.keySet())) {
            stopBackfill(id);
        }
        if (heartbeat != null) {
            heartbeat.close();
        }
        Thread r = reader;
        if (r != null) {
            try {
                // The reader stops at the next transaction boundary, so no transaction is left half
                // delivered (which a restart would deliver again). A transaction that takes longer than
                // this to arrive is cut short.
                if (!r.join(Duration.ofSeconds(10))) {
                    r.interrupt();
                    r.join(Duration.ofSeconds(15));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // A sink added while the reader was stopping its sinks is stopped here.
            synchronized (this) {
                for (SinkPipeline s : sinks) {
                    s.stop(Duration.ofSeconds(5));
                }
            }
        }
        recording = false;
        Thread rec = recorder;
        if (rec != null) {
            // Its last round saves what the stopped sinks resolved.
            try {
                rec.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        state = State.STOPPED;
    }

    private void run() {
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
                    Thread.sleep(reconnect.delayAfter(Math.max(failures, 1)));
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
        for (SinkPipeline s : sinks) {
            s.stop(Duration.ofSeconds(5));
        }
        state = State.STOPPED;
    }

    private void fail(String message, Exception e, int attempt) {
        state = State.RETRYING;
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
            try (ReplicationSession session = ReplicationSession.open(settings, major)) {
                this.session = session;
                streamingSince = Instant.now();
                state = State.STREAMING;
                sessionStreamed = true;
                heartbeatSeenThisSession = false;
                lastError = null;
                log.info("database {}: streaming from slot {} ({})", name, settings.slotName(), settings.describe());
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
                    // Graceful stop: let in-flight batches finish, then acknowledge them, so a restart
                    // does not deliver them again.
                    for (SinkPipeline s : sinks) {
                        s.stop(Duration.ofSeconds(5));
                    }
                    acknowledge(session, true, true);
                }
            }
        } catch (SQLException e) {
            throw SourceException.classify(e, settings, "connecting");
        }
    }

    private boolean coveredByAnySink(TableId t) {
        for (SinkPipeline s : sinks) {
            if (s.spec().state() != SinkState.DISABLED && s.spec().tables().test(t)) {
                return true;
            }
        }
        return false;
    }

    private void readLoop(
            ReplicationSession session, RelationCache relations, ChangeAssembler assembler, Connection catalog)
            throws InterruptedException {
        lastLagRefresh = System.nanoTime() - LAG_REFRESH_NANOS;
        lastProgressNanos = System.nanoTime();
        lastReceiveSeen = session.lastReceiveLsn();
        long commitLsn = 0;
        Instant commitTs = null;
        boolean skip = false;
        boolean inTxn = false;
        int idx = 0;
        String annotations = null;
        while (running || inTxn) {
            if (!silentSinceHeartbeat()) {
                // While the session is suspiciously silent, the catalog connection may hang on the same dead path:
                // the watchdog must not wait behind a lag query.
                refreshSlotLag(catalog);
            }
            ByteBuffer buf = session.readPending();
            if (buf == null) {
                acknowledge(session, false, inTxn);
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                checkIdle(session);
                LockSupport.parkNanos(1_000_000);
                continue;
            }
            PgOutputMessage msg = PgOutputDecoder.decode(buf);
            switch (msg) {
                case PgOutputMessage.Begin b -> {
                    commitLsn = b.finalLsn();
                    commitTs = b.commitTimestamp();
                    xid = b.xid();
                    skip = lastRoutedCommitLsn != 0 && Long.compareUnsigned(commitLsn, lastRoutedCommitLsn) <= 0;
                    inTxn = true;
                    idx = 0;
                    annotations = null;
                }
                case PgOutputMessage.Relation r -> relations.apply(r);
                case PgOutputMessage.Insert i -> {
                    if (!skip && notYetRouted(commitLsn, idx)) {
                        route(assembler.assemble(i, new Position(commitLsn, idx), commitTs, annotations));
                    }
                    idx++;
                }
                case PgOutputMessage.Update u -> {
                    if (!skip && notYetRouted(commitLsn, idx)) {
                        route(assembler.assemble(u, new Position(commitLsn, idx), commitTs, annotations));
                    }
                    idx++;
                }
                case PgOutputMessage.Delete d -> {
                    if (!skip && notYetRouted(commitLsn, idx)) {
                        route(assembler.assemble(d, new Position(commitLsn, idx), commitTs, annotations));
                    }
                    idx++;
                }
                case PgOutputMessage.LogicalMessage m -> {
                    if (!m.transactional() && Heartbeat.PREFIX.equals(m.prefix())) {
                        // Not routed: it only proves that the slot moves. Any Sluice's heartbeat on this database
                        // proves it as well as ours.
                        lastHeartbeatAt = Instant.now();
                        heartbeatSeenThisSession = true;
                    } else if (!m.transactional() && Backfill.PREFIX.equals(m.prefix())) {
                        backfillWatermark(new String(m.content(), StandardCharsets.UTF_8), m.lsn());
                    } else if (m.transactional() && ANNOTATIONS_SET.equals(m.prefix())) {
                        annotations = new String(m.content(), StandardCharsets.UTF_8);
                    } else if (m.transactional() && ANNOTATIONS_CLEAR.equals(m.prefix())) {
                        annotations = null;
                    }
                }
                case PgOutputMessage.Commit c -> {
                    if (!skip) {
                        for (SinkPipeline s : sinks) {
                            if (s.spec().state() != SinkState.DISABLED) {
                                admit(s);
                                s.markCommit(c.endLsn());
                            }
                        }
                        lastRoutedCommitLsn = c.commitLsn();
                        lastRoutedEndLsn = c.endLsn();
                    }
                    inTxn = false;
                }
                case PgOutputMessage.Truncate t ->
                    log.debug("database {}: TRUNCATE of {} relation(s) is not delivered", name, t.relationIds().length);
                case PgOutputMessage.Type t -> {
                    // Types are resolved from the catalog when a relation uses them.
                }
                case PgOutputMessage.Origin o -> {
                    // Replication origins are not used yet.
                }
            }
            acknowledge(session, false, inTxn);
            // After routing, which may have waited for room in a sink's queue: that wait is not silence.
            lastProgressNanos = System.nanoTime();
        }
    }

    /** Nothing has arrived for over a heartbeat interval although heartbeats have come back through this session. */
    private boolean silentSinceHeartbeat() {
        return heartbeat != null
                && heartbeatSeenThisSession
                && System.nanoTime() - lastProgressNanos
                        > options.heartbeatInterval().toNanos();
    }

    /**
     * Throws when the session is silent for longer than the idle limit although heartbeats, which write WAL
     * every interval, have come back through it before: bytes no longer arrive (a dead path, a hung proxy).
     */
    private void checkIdle(ReplicationSession session) {
        long now = System.nanoTime();
        long received = session.lastReceiveLsn();
        if (received != lastReceiveSeen) {
            // A keepalive with a newer WAL position.
            lastReceiveSeen = received;
            lastProgressNanos = now;
            return;
        }
        Duration limit = options.idleTimeout();
        if (limit.isZero() || heartbeat == null || !heartbeatSeenThisSession) {
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
        long now = System.nanoTime();
        if (now - lastLagRefresh < LAG_REFRESH_NANOS) {
            return;
        }
        lastLagRefresh = now;
        try (var ps = catalog.prepareStatement(LAG_QUERY)) {
            // Bounded (from here on, relation lookups too): this runs on the reader thread, and a network path
            // that stopped carrying bytes must not stall it for the connection's 60 s socket timeout.
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

    // Within a transaction cut off by a dropped connection, the changes already routed come again.
    private boolean notYetRouted(long commitLsn, int idx) {
        return commitLsn != partialCommitLsn || idx > partialIdx;
    }

    /** A backfill's watermark ({@code <backfill id>:<run>:<page>:low|high}); others' are ignored. */
    private void backfillWatermark(String content, long lsn) throws InterruptedException {
        int kind = content.lastIndexOf(':');
        int page = kind <= 0 ? -1 : content.lastIndexOf(':', kind - 1);
        int run = page <= 0 ? -1 : content.lastIndexOf(':', page - 1);
        if (run <= 0) {
            return;
        }
        Backfill b = backfills.get(content.substring(0, run));
        if (b == null) {
            return; // finished, stopped, or another Sluice's
        }
        long seq;
        try {
            seq = Long.parseLong(content.substring(page + 1, kind));
        } catch (NumberFormatException e) {
            return;
        }
        b.watermark(content.substring(run + 1, page), seq, content.endsWith(":high"), lsn);
    }

    /**
     * Lets the sink's running backfills note a change of their table (see {@link Backfill}). Only changes the sink
     * took count: a read dropped for one the sink never delivers (filtered, shed, or from before the sink began)
     * would lose the row.
     */
    private void observed(SinkPipeline sink, Change change) {
        for (Backfill b : backfills.values()) {
            if (b.sink() == sink) {
                b.observe(change, xid);
            }
        }
    }

    private void route(Change change) throws InterruptedException {
        partialCommitLsn = change.position().commitLsn();
        partialIdx = change.position().commitIdx();
        for (SinkPipeline s : sinks) {
            if (s.accepts(change.table(), change.action())) {
                admit(s);
                if (s.enqueue(change, this::answerWhileBlocked) && !backfills.isEmpty()) {
                    observed(s, change);
                }
            }
        }
    }

    /**
     * While a full sink blocks the reader, it still answers the server: a forced status update, with whatever the
     * sinks have acknowledged meanwhile, so that Postgres does not end the connection after wal_sender_timeout.
     */
    private void answerWhileBlocked() {
        ReplicationSession s = session;
        if (s != null) {
            try {
                acknowledge(s, true, true);
            } catch (RuntimeException e) {
                // Never thrown into routing, which must not stop half-way through the sinks: the next read after
                // the wait meets the broken connection and reconnects.
                log.debug("database {}: status update while a sink is full failed: {}", name, e.toString());
            }
            lastProgressNanos = System.nanoTime(); // waiting for room is not silence
        }
    }

    /**
     * Positions a sink added while running, the first time the reader meets it and before handing it
     * anything: every transaction routed so far was before its time, and every later one reaches it,
     * as the reader sees it in the list from now on.
     */
    private void admit(SinkPipeline s) {
        if (!s.positioned()) {
            s.positionAt(lastRoutedEndLsn);
        }
    }

    private void acknowledge(ReplicationSession session, boolean force, boolean inTxn) {
        long flush = lastRoutedEndLsn;
        boolean caughtUp = true;
        for (SinkPipeline s : sinks) {
            if (s.spec().state() == SinkState.DISABLED) {
                continue;
            }
            admit(s);
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
        long now = System.nanoTime();
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
}
