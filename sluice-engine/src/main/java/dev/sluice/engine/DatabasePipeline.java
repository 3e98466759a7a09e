package dev.sluice.engine;

import dev.sluice.core.TableId;
import dev.sluice.core.Ticker;
import dev.sluice.core.sink.Sink;
import dev.sluice.engine.queue.SinkQueue;
import dev.sluice.postgres.replication.SourceSettings;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one database's slot and feeds its sinks: the facade the server drives.
 *
 * <p>Parts: a {@link SlotReader} thread (sessions, decoding, reconnects, the idle watchdog) hands each message to
 * the {@link Router} (which sinks take a change, admission of sinks added while streaming, backfill observation),
 * which fills one {@link SinkQueue} per sink; the {@link SlotAcknowledger} moves the slot to the minimum over the
 * sinks; a {@link ProgressRecorder} saves each sink's progress; a {@link Heartbeat} keeps the slot moving on an idle
 * database; {@link Backfill}s feed reads through the same queues. This class owns their lifecycle and the sink list.
 *
 * <p>Runtime changes: {@link #addSink}, {@link #updateSink} and {@link #removeSink} work before and after
 * {@link #start()}, from any thread; they serialise on this object and return once the change is in effect. The sink
 * list is copy-on-write, so the reader routes each change to the sinks present when it reaches that change. A sink
 * added while streaming takes the changes routed after it joined (possibly the tail of a transaction in progress),
 * positioned so that it never holds the slot back. An update keeps the sink's queue and position; a removed sink is
 * dropped from routing first, then stopped and closed, and no longer counts for the acknowledgement.
 *
 * <p>Heartbeats: while streaming, every {@link Options#heartbeatInterval()} a non-transactional logical message
 * ({@value Heartbeat#PREFIX}) is emitted; the reader takes it without routing it and records
 * {@link Status#lastHeartbeatAt()}. A session on which a heartbeat has come back and then nothing arrives for
 * {@link Options#idleTimeout()} is replaced.
 *
 * <p>Failure: source problems are retried with back-off by the reader; the process never exits because of a source.
 *
 * <p>Time comes from the {@link Ticker} given at construction (batch timeouts, back-off, probes, heartbeats, the idle
 * watchdog); the system's unless a test passes its own.
 *
 * <p>Just over 500 lines: the parts above already live in their own classes; what stays is the one lock over the
 * sink list and the lifecycle (start, the sink changes, the graceful and the bounded close), whose methods are short
 * and would only move that lock if split.
 */
public final class DatabasePipeline implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DatabasePipeline.class);
    // How long a runtime change waits for a delivery call in progress before abandoning it.
    private static final Duration RECONFIGURE_GRACE = Duration.ofSeconds(5);
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

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
    public record Options(Duration heartbeatInterval, Duration idleTimeout, Path streamedDir) {
        public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(30);
        /** Where large in-progress transactions wait for their commit unless told otherwise. */
        public static final Path DEFAULT_STREAMED_DIR =
                Path.of(System.getProperty("java.io.tmpdir"), "sluice-streamed");
        // After the fields it reads: static fields are set in order.
        public static final Options DEFAULT = heartbeatEvery(DEFAULT_HEARTBEAT);

        public Options {
            java.util.Objects.requireNonNull(streamedDir, "streamedDir");
            if (heartbeatInterval.isNegative() || idleTimeout.isNegative()) {
                throw new IllegalArgumentException("durations must not be negative");
            }
        }

        /** Heartbeats at {@code interval} (zero: off); a session silent for 3 intervals is replaced. */
        public static Options heartbeatEvery(Duration interval) {
            return new Options(interval, interval.multipliedBy(3), DEFAULT_STREAMED_DIR);
        }

        /**
         * These options with streamed transactions kept under {@code dir} (a subdirectory per pipeline, emptied when
         * its reader starts a session).
         */
        public Options withStreamedDir(Path dir) {
            return new Options(heartbeatInterval, idleTimeout, dir);
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
            return state == State.STREAMING
                    ? Heartbeat.warning(heartbeatInterval, streamingSince, lastHeartbeatAt, now)
                    : null;
        }
    }

    /**
     * @param discarded messages given up on after their last failed attempt
     * @param shed new messages dropped because the buffer was full ({@code discard_on_full})
     * @param queued messages buffered and not yet delivered
     * @param failingGroups groups whose last delivery failed, waiting for a retry
     * @param oldestFailureAt when the oldest message still failing first failed; null when none is
     * @param lag from the commit of the oldest transaction the sink has not resolved until now
     * @param spilled messages kept in the message store only (memory ran short), until their group needs them
     * @param storedBytes bytes of the sink's messages in the message store (failing, spilled or from a full buffer)
     * @param maxSpillBytes the spill budget: once stored bytes reach it, a full buffer applies load shedding
     * @param lastDeliveredAt when the sink last delivered a message; null when it has not since it started
     * @param deliveredLastMinute messages delivered in the last 60 seconds
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
            Duration lag,
            long spilled,
            long storedBytes,
            long maxSpillBytes,
            @Nullable Instant lastDeliveredAt,
            long deliveredLastMinute) {
        /** Whether a full buffer applies load shedding; never for a budget of 0, which stores nothing on purpose. */
        public boolean spillBudgetUsedUp() {
            return maxSpillBytes > 0 && storedBytes >= maxSpillBytes;
        }
    }

    private final String name;
    private final SourceSettings settings;
    private final Backfills backfills;
    // Iterated by the reader while the API thread changes it.
    private final List<SinkQueue> sinks = new CopyOnWriteArrayList<>();
    private final PipelineMetrics metrics;
    private final DeliveryLedger ledger;
    private final MessageStore messages;
    private final Options options;
    private final Ticker ticker;
    private final SlotAcknowledger acks;
    private final SlotReader slotReader;
    private final @Nullable ProgressRecorder recorder;
    private final @Nullable Heartbeat heartbeat;
    // Read by sinks with reselect_unchanged_toast only.
    private final JdbcSourceRows sourceRows;
    private volatile boolean running;
    private @Nullable Thread reader;

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

    /** With the system's clock. */
    public DatabasePipeline(
            String name,
            SourceSettings settings,
            RetryPolicy reconnect,
            LongConsumer onAcknowledged,
            PipelineMetrics metrics,
            Options options,
            DeliveryLedger ledger,
            MessageStore messages) {
        this(name, settings, reconnect, onAcknowledged, metrics, options, ledger, messages, Ticker.SYSTEM);
    }

    /**
     * @param onAcknowledged called (on the reader thread) with each new flush LSN sent to Postgres
     * @param metrics told about every message ingested, delivered, failed and discarded by the sinks
     * @param options heartbeat and idle limits
     * @param ledger where each sink's progress is saved while running and read when the sink is added, so that the
     *     replay after a restart skips what a sink already has
     * @param messages where failing groups' messages and a full buffer's backlog are kept so that they do not hold
     *     the slot, and from where they are delivered after a restart
     * @param ticker the clock of every time-based behaviour
     */
    public DatabasePipeline(
            String name,
            SourceSettings settings,
            RetryPolicy reconnect,
            LongConsumer onAcknowledged,
            PipelineMetrics metrics,
            Options options,
            DeliveryLedger ledger,
            MessageStore messages,
            Ticker ticker) {
        this.name = name;
        this.settings = settings;
        this.metrics = metrics;
        this.ledger = ledger;
        this.messages = messages;
        this.options = options;
        this.ticker = ticker;
        this.backfills = new Backfills(name, settings, this::answerWhileBlocked, ticker);
        this.sourceRows = new JdbcSourceRows(settings);
        Router router = new Router(sinks, backfills, this::answerWhileBlocked);
        this.acks = new SlotAcknowledger(sinks, router, onAcknowledged, ticker);
        this.slotReader = new SlotReader(name, settings, options, reconnect, sinks, router, acks, ticker);
        this.recorder = ledger == DeliveryLedger.NONE ? null : new ProgressRecorder(name, sinks, ledger, ticker);
        this.heartbeat = options.heartbeatInterval().isZero()
                ? null
                : new Heartbeat(
                        name,
                        settings,
                        options.heartbeatInterval(),
                        () -> slotReader.state() == State.STREAMING,
                        ticker);
    }

    public String name() {
        return name;
    }

    public String slotName() {
        return settings.slotName();
    }

    /**
     * WAL bytes the slot holds back (current WAL position minus the slot's confirmed flush position), as last read by
     * the reader, at most every 5 seconds while connected; -1 until first read.
     */
    public long slotLagBytes() {
        return slotReader.slotLagBytes();
    }

    private void answerWhileBlocked() {
        slotReader.answerWhileBlocked();
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
        SinkQueue p = new SinkQueue(spec, sink, metrics, messages, ticker, sourceRows);
        if (spec.state() != SinkState.DISABLED) {
            p.restore(ProgressRecorder.load(ledger, spec));
            p.restoreStored();
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
        SinkQueue current = find(spec.id());
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
            sinks.add(new SinkQueue(spec, sink, metrics, messages, ticker, sourceRows));
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
        SinkQueue p = find(sinkId);
        if (p == null) {
            return false;
        }
        backfills.stopInto(sinkId);
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
        SinkQueue sink = find(spec.sinkId());
        if (sink == null || sink.spec().state() == SinkState.DISABLED) {
            throw new IllegalArgumentException("sink " + spec.sinkId() + " is not running on database " + name);
        }
        backfills.start(spec, sink, listener, pageSize);
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
        return backfills.stop(backfillId);
    }

    /** Whether the backfill runs here (it may have completed or failed since it was started). */
    public boolean backfillRunning(String backfillId) {
        return backfills.running(backfillId);
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

    /**
     * The queue of a sink running here, to retry or discard its failed messages and read its recent ones; null when it
     * is not here or is disabled.
     */
    public @Nullable SinkQueue runningSink(String sinkId) {
        SinkQueue p = find(sinkId);
        return p == null || p.spec().state() == SinkState.DISABLED ? null : p;
    }

    private @Nullable SinkQueue find(String sinkId) {
        for (SinkQueue s : sinks) {
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
        for (SinkQueue s : sinks) {
            if (s.spec().state() != SinkState.DISABLED) {
                s.start();
            }
        }
        reader = Thread.ofPlatform().name("replication-" + name).start(slotReader::run);
        if (recorder != null) {
            recorder.start();
        }
        if (heartbeat != null) {
            heartbeat.start();
        }
    }

    public Status status() {
        List<SinkStatus> ss = new ArrayList<>();
        for (SinkQueue s : sinks) {
            SinkQueue.StoreUse stored = s.storeUse();
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
                    s.lag(),
                    stored.spilledMessages(),
                    stored.storedBytes(),
                    s.spec().maxSpillBytes(),
                    s.lastDeliveredAt(),
                    s.deliveredLastMinute()));
        }
        State st = slotReader.state();
        return new Status(
                name,
                st,
                slotReader.lastError(),
                acks.acknowledgedLsn(),
                ss,
                st == State.STREAMING ? slotReader.streamingSince() : null,
                slotReader.lastHeartbeatAt(),
                slotReader.slotLagBytes(),
                options.heartbeatInterval());
    }

    /**
     * Stops reading, lets sinks finish the batch in flight (up to a few seconds) and acknowledges what they
     * delivered.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(10), Duration.ofSeconds(15), STOP_GRACE, Duration.ofSeconds(10));
    }

    /**
     * Stops within about {@code within}: what {@link #close()} does, with every wait cut to fit. For a pipeline whose
     * lease is about to lapse (cluster mode): it must stop reading and delivering before another node may start.
     */
    public void close(Duration within) {
        Duration part = within.dividedBy(4);
        close(part, part, part.compareTo(STOP_GRACE) < 0 ? part : STOP_GRACE, part);
    }

    private void close(Duration toBoundary, Duration afterInterrupt, Duration grace, Duration recorderWait) {
        running = false;
        slotReader.stop(grace);
        backfills.stopAll();
        if (heartbeat != null) {
            heartbeat.close();
        }
        Thread r = reader;
        if (r != null) {
            try {
                // The reader stops at the next transaction boundary, so no transaction is left half delivered (which
                // a restart would deliver again). A transaction that takes longer than this to arrive is cut short.
                if (!r.join(toBoundary)) {
                    r.interrupt();
                    r.join(afterInterrupt);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // A sink added while the reader was stopping its sinks is stopped here.
            synchronized (this) {
                for (SinkQueue s : sinks) {
                    s.stop(grace);
                }
            }
        }
        if (recorder != null) {
            // Its last round saves what the stopped sinks resolved.
            recorder.stop(recorderWait);
        }
        sourceRows.close();
        slotReader.stopped();
    }
}
