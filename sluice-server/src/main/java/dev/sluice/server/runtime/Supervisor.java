package dev.sluice.server.runtime;

import dev.sluice.core.ColumnSelection;
import dev.sluice.core.MessageContext;
import dev.sluice.core.TableId;
import dev.sluice.core.Ticker;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.engine.BackfillSpec;
import dev.sluice.engine.DatabasePipeline;
import dev.sluice.engine.MessageFunctions;
import dev.sluice.engine.RetryPolicy;
import dev.sluice.engine.SinkSpec;
import dev.sluice.engine.SinkState;
import dev.sluice.engine.queue.SinkQueue;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.server.api.Engine;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SinkStatus;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.config.TableConfig;
import dev.sluice.server.functions.CompiledFunctions;
import dev.sluice.server.functions.SinkFunctionChain;
import dev.sluice.server.metrics.SluiceMetrics;
import dev.sluice.server.notify.EventType;
import dev.sluice.server.notify.WebhookEvent;
import dev.sluice.server.store.BackfillState;
import dev.sluice.server.store.BackfillTable.BackfillRow;
import dev.sluice.server.store.Fence;
import dev.sluice.server.store.MetadataStore;
import dev.sluice.server.store.RunningConfig;
import dev.sluice.server.stream.PullStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs what the stored configuration says, and keeps running it as it changes: one {@link DatabasePipeline} per
 * database with its sinks.
 *
 * <p>{@link #apply} compares the new configuration with what runs and changes only the difference: a new, changed
 * or deleted sink is added to, reconfigured in or removed from its running pipeline (its queue survives a
 * reconfiguration; other sinks are not touched); a database whose connection changed is restarted. Thread-safety:
 * all methods are synchronized.
 *
 * <p>In a cluster ({@link #leased}), a database's pipeline runs only while this node holds its lease ({@link #run}),
 * and writes for it carry the lease's {@link Fence}; a pipeline whose lease goes is stopped within the time the
 * {@link Cluster} gives.
 *
 * <p>Over 500 lines: applying a configuration, the leases, the engine's view of the running sinks (status, backfills,
 * column selection, events for notification webhooks) and the start-retry of each pipeline share its one lock;
 * splitting them would put that lock in several places. The next split to make: the per-sink status and events into a
 * class, and the backfill bookkeeping ({@link #syncBackfills} and the listeners) into another.
 */
final class Supervisor implements Engine, Cluster.Pipelines, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
    private static final long MIB = 1024L * 1024;
    private static final Duration BATCH_TIMEOUT = Duration.ofMillis(5);

    private static final class Running {
        final DatabaseConfig config;
        final DatabasePipeline pipeline;
        /** The lease it runs under (null: not leased). */
        final @Nullable Fence fence;
        /**
         * What each running sink was built from: a change means a reconfiguration. A destination holds the HTTP
         * endpoint it refers to, resolved, so a changed endpoint changes it too.
         */
        final Map<UUID, SinkConfig> sinks = new HashMap<>();
        /** The definitions of the functions each sink names (a changed definition reconfigures the sink). */
        final Map<UUID, List<FunctionSpec>> functionSpecs = new HashMap<>();
        /** The functions each sink runs, closed when it stops or changes. */
        final Map<UUID, MessageFunctions> functions = new HashMap<>();

        Running(DatabaseConfig config, DatabasePipeline pipeline, @Nullable Fence fence) {
            this.config = config;
            this.pipeline = pipeline;
            this.fence = fence;
        }
    }

    private final MetadataStore store;
    private final SluiceMetrics metrics;
    private final Map<UUID, Running> running = new LinkedHashMap<>();
    /** The pull streams of sequin_stream sinks, by sink name: the latest one made (older ones are closed). */
    private final Map<String, PullStream> streams = new java.util.concurrent.ConcurrentHashMap<>();
    /** Listeners of the backfills started here, by backfill id. */
    private final Map<UUID, StoreBackfillListener> backfills = new HashMap<>();

    private final CompiledFunctions compiled = new CompiledFunctions();
    private boolean started;
    /** The configuration last applied. */
    private @Nullable RunningConfig last;
    /** In a cluster, the databases whose leases this node holds (null: not leased, every database runs here). */
    private @Nullable Map<UUID, Fence> leases;
    /** How long a pipeline whose lease goes may take to stop. */
    private Duration stopWithin = Duration.ofSeconds(3);

    private volatile Set<UUID> enabledDatabases = Set.of();
    /** Told when the set of databases changes (the cluster balances its leases). */
    private volatile Runnable databasesChanged = () -> {};

    private volatile java.nio.file.Path streamedDir = DatabasePipeline.Options.DEFAULT_STREAMED_DIR;

    /** Where the end of a backfill is announced (notification webhooks). */
    private final java.util.function.Consumer<WebhookEvent> events;

    /** Where pipelines started from now on keep large transactions until they commit ({@code $SLUICE_HOME/streamed}). */
    void streamedDir(java.nio.file.Path dir) {
        streamedDir = dir;
    }

    Supervisor(MetadataStore store, SluiceMetrics metrics) {
        this(store, metrics, e -> {});
    }

    Supervisor(MetadataStore store, SluiceMetrics metrics, java.util.function.Consumer<WebhookEvent> events) {
        this.store = store;
        this.metrics = metrics;
        this.events = events;
    }

    /** Starts the pipelines applied so far; later {@link #apply} calls start theirs at once. */
    synchronized void start() {
        started = true;
        for (Running r : running.values()) {
            r.pipeline.start();
            r.sinks.keySet().forEach(sinkId -> resumeBackfills(r, sinkId));
        }
    }

    /** Starts every active backfill of a sink that just started running. */
    private void resumeBackfills(Running r, UUID sinkId) {
        if (!started) {
            return;
        }
        try {
            for (BackfillRow row : store.backfills().ofSink(sinkId, EnumSet.of(BackfillState.ACTIVE))) {
                startBackfill(r, row);
            }
        } catch (java.sql.SQLException e) {
            log.warn("sink {}: cannot read its backfills to resume them: {}", sinkId, e.getMessage());
        }
    }

    private boolean startBackfill(Running r, BackfillRow row) {
        SinkConfig sink = r.sinks.get(row.sinkId());
        if (!started || sink == null || row.state() != BackfillState.ACTIVE) {
            return false;
        }
        String id = row.id().toString();
        if (r.pipeline.backfillRunning(id)) {
            return true;
        }
        String sinkName = sink.name();
        UUID databaseId = databaseIdOf(r);
        StoreBackfillListener listener = new StoreBackfillListener(
                store.backfills(),
                row.id(),
                sinkName,
                row.rowsInitialCount(),
                row.rowsProcessedCount(),
                row.rowsIngestedCount(),
                r.fence,
                (processed, ingested, error) -> events.accept(WebhookEvent.of(
                        error == null ? EventType.BACKFILL_COMPLETED : EventType.BACKFILL_FAILED,
                        java.time.Instant.now(),
                        backfillData(row, sinkName, databaseId, processed, ingested, error),
                        row.sinkId(),
                        databaseId)));
        BackfillSpec spec = new BackfillSpec(
                id,
                row.sinkId().toString(),
                new TableId(row.tableSchema(), row.tableName()),
                row.sortColumn(),
                row.startPosition(),
                row.cursor(),
                row.rowsProcessedCount(),
                row.rowsIngestedCount());
        try {
            store.backfills().resumed(row.id());
            r.pipeline.startBackfill(spec, listener);
        } catch (java.sql.SQLException | IllegalArgumentException | IllegalStateException e) {
            log.warn("sink {}: cannot start backfill {}: {}", sinkName, id, e.getMessage());
            return false;
        }
        backfills.put(row.id(), listener);
        metrics.registerBackfill(sinkName, id, spec.table().toString(), new SluiceMetrics.BackfillGauges() {
            @Override
            public long processed() {
                return listener.processed();
            }

            @Override
            public long ingested() {
                return listener.ingested();
            }

            @Override
            public @Nullable Long initial() {
                return listener.initial();
            }

            @Override
            public @Nullable Long etaSeconds() {
                return listener.etaSeconds();
            }
        });
        return true;
    }

    private static java.util.Map<String, @Nullable Object> backfillData(
            BackfillRow row,
            String sinkName,
            @Nullable UUID db,
            long processed,
            long ingested,
            @Nullable String error) {
        java.util.Map<String, @Nullable Object> m = new LinkedHashMap<>();
        m.put("backfill_id", row.id().toString());
        m.put("sink_id", row.sinkId().toString());
        m.put("sink_name", sinkName);
        m.put("database_id", db == null ? null : db.toString());
        m.put("table", row.tableSchema() + "." + row.tableName());
        m.put("state", (error == null ? BackfillState.COMPLETED : BackfillState.FAILED).wireName());
        m.put("rows_processed", processed);
        m.put("rows_ingested", ingested);
        m.put("error", error);
        return m;
    }

    private @Nullable UUID databaseIdOf(Running r) {
        for (var e : running.entrySet()) {
            if (e.getValue() == r) {
                return e.getKey();
            }
        }
        return null;
    }

    @Override
    public void checkBackfill(UUID databaseId, TableId table, @Nullable String sortColumn)
            throws java.sql.SQLException {
        DatabasePipeline p;
        synchronized (this) {
            Running r = running.get(databaseId);
            if (r == null) {
                throw new IllegalStateException("database " + databaseId + " is not configured");
            }
            p = r.pipeline;
        }
        // Outside the lock: it connects to the database.
        p.checkBackfill(table, sortColumn);
    }

    @Override
    public synchronized boolean startBackfill(UUID databaseId, UUID backfillId) {
        Running r = running.get(databaseId);
        if (r == null) {
            return false;
        }
        try {
            BackfillRow row = store.backfills().get(backfillId);
            return row != null && startBackfill(r, row);
        } catch (java.sql.SQLException e) {
            log.warn("cannot read backfill {}: {}", backfillId, e.getMessage());
            return false;
        }
    }

    @Override
    public synchronized boolean stopBackfill(UUID databaseId, UUID backfillId) {
        Running r = running.get(databaseId);
        boolean was = r != null && r.pipeline.stopBackfill(backfillId.toString());
        StoreBackfillListener listener = backfills.remove(backfillId);
        if (listener != null) {
            listener.flush();
        }
        metrics.unregisterBackfill(backfillId.toString());
        return was;
    }

    /**
     * Makes the running backfills match the store: starts the active ones of sinks running here that do not run yet,
     * stops the ones no longer active (another node's API paused, cancelled or deleted them).
     */
    synchronized void syncBackfills() throws java.sql.SQLException {
        if (!started || running.isEmpty()) {
            return;
        }
        Map<UUID, BackfillRow> active = new HashMap<>();
        for (BackfillRow row : store.backfills().inStates(EnumSet.of(BackfillState.ACTIVE))) {
            active.put(row.id(), row);
        }
        for (var e : running.entrySet()) {
            Running r = e.getValue();
            for (BackfillRow row : active.values()) {
                // Only ones never started here (or stopped since): one that just finished here may still read as
                // active for a moment, and must not run again.
                if (r.sinks.containsKey(row.sinkId())
                        && !backfills.containsKey(row.id())
                        && !r.pipeline.backfillRunning(row.id().toString())) {
                    startBackfill(r, row);
                }
            }
        }
        for (UUID id : List.copyOf(backfills.keySet())) {
            if (active.containsKey(id)) {
                continue;
            }
            for (var e : running.entrySet()) {
                if (e.getValue().pipeline.backfillRunning(id.toString())) {
                    log.info("backfill {}: no longer active in the store; stopping it here", id);
                    stopBackfill(e.getKey(), id);
                }
            }
        }
    }

    synchronized List<DatabasePipeline> pipelines() {
        return running.values().stream().map(r -> r.pipeline).toList();
    }

    @Override
    public synchronized int redeliver(UUID databaseId, UUID sinkId, dev.sluice.core.@Nullable Position position) {
        Running r = running.get(databaseId);
        SinkQueue q = r == null ? null : r.pipeline.runningSink(sinkId.toString());
        return q == null ? -1 : q.redeliver(position);
    }

    @Override
    public synchronized int discard(UUID databaseId, UUID sinkId, dev.sluice.core.@Nullable Position position) {
        Running r = running.get(databaseId);
        SinkQueue q = r == null ? null : r.pipeline.runningSink(sinkId.toString());
        return q == null ? -1 : q.discard(position);
    }

    @Override
    public synchronized DatabasePipeline.@Nullable Status status(UUID databaseId) {
        Running r = running.get(databaseId);
        return r == null ? null : r.pipeline.status();
    }

    /**
     * Runs pipelines only for the databases whose leases this node holds, as {@link #run} says from now on; {@code
     * changed} is told when the configuration's databases change.
     */
    synchronized void leased(Runnable changed) {
        leases = Map.of();
        databasesChanged = changed;
        if (last != null) {
            applyConfig(last);
        }
    }

    /**
     * The enabled databases of the configuration last applied. Without the lock: the cluster's lease renewals must
     * not wait for a reconfiguration that is stopping a pipeline.
     */
    @Override
    public Set<UUID> databases() {
        return enabledDatabases;
    }

    private static Set<UUID> enabled(RunningConfig config) {
        Set<UUID> ids = new java.util.HashSet<>();
        for (DatabaseConfig d : config.config().databases()) {
            if (d.slot().enabled()) {
                ids.add(config.databaseIds().get(d.name()));
            }
        }
        return Set.copyOf(ids);
    }

    @Override
    public synchronized void run(Map<UUID, Fence> held, Duration within) {
        leases = Map.copyOf(held);
        stopWithin = within;
        if (last != null) {
            applyConfig(last);
        }
    }

    /** The databases whose pipelines run on this node. */
    synchronized Set<UUID> runningDatabases() {
        return Set.copyOf(running.keySet());
    }

    /** Makes the running pipelines match {@code loaded}. */
    @Override
    public void apply(RunningConfig loaded) {
        boolean changed;
        synchronized (this) {
            Set<UUID> before = databases();
            applyConfig(loaded);
            changed = !before.equals(databases());
        }
        if (changed) {
            // Outside the lock: the lease round it runs hands its result back through run(). A database created
            // here then runs (if this node takes it) when the API answers, as it did on a single node.
            databasesChanged.run();
        }
    }

    private void applyConfig(RunningConfig loaded) {
        last = loaded;
        enabledDatabases = enabled(loaded);
        SluiceConfig cfg = loaded.config();
        Map<String, UUID> dbIds = loaded.databaseIds();
        Map<String, UUID> sinkIds = loaded.sinkIds();
        Map<UUID, DatabaseConfig> wanted = new LinkedHashMap<>();
        for (DatabaseConfig d : cfg.databases()) {
            // A disabled slot is not read: its pipeline stops, and the slot keeps its position for later.
            UUID id = dbIds.get(d.name());
            if (d.slot().enabled() && (leases == null || leases.containsKey(id))) {
                wanted.put(id, d);
            }
        }

        for (var it = running.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            DatabaseConfig now = wanted.get(e.getKey());
            boolean leaseGone = leases != null && !Objects.equals(leases.get(e.getKey()), e.getValue().fence);
            if (now == null || !now.equals(e.getValue().config) || leaseGone) {
                log.info(
                        "database {}: {}",
                        e.getValue().config.name(),
                        leaseGone
                                ? "this node does not hold its lease now; stopping its pipeline"
                                : now == null
                                        ? "removed, or its slot disabled; stopping its pipeline"
                                        : "connection changed; restarting its pipeline");
                stop(e.getValue(), leaseGone);
                it.remove();
            }
        }
        for (var e : wanted.entrySet()) {
            UUID dbId = e.getKey();
            DatabaseConfig d = e.getValue();
            Map<UUID, SinkConfig> desired = new LinkedHashMap<>();
            for (SinkConfig s : cfg.sinks()) {
                if (s.database().equals(d.name()) && s.status() != SinkStatus.DISABLED) {
                    UUID id = sinkIds.get(s.name());
                    desired.put(id, s);
                }
            }
            Running r = running.get(dbId);
            if (r == null) {
                Fence fence = leases == null ? null : leases.get(dbId);
                r = new Running(d, pipeline(d, dbId, fence), fence);
                metrics.registerDatabase(r.pipeline, dbId);
                for (var s : desired.entrySet()) {
                    metrics.registerSink(s.getValue().name(), s.getKey());
                    r.pipeline.addSink(
                            withFunctions(
                                    r, s.getKey(), sinkSpec(s.getValue(), s.getKey(), d, dbId), s.getValue(), cfg),
                            sinkFor(s.getValue(), s.getKey(), d));
                    r.sinks.put(s.getKey(), s.getValue());
                }
                running.put(dbId, r);
                if (started) {
                    r.pipeline.start();
                    for (UUID sinkId : r.sinks.keySet()) {
                        resumeBackfills(r, sinkId);
                    }
                }
                continue;
            }
            for (var it = r.sinks.entrySet().iterator(); it.hasNext(); ) {
                var s = it.next();
                if (!desired.containsKey(s.getKey())) {
                    log.info(
                            "sink {}: stopping (deleted or disabled)",
                            s.getValue().name());
                    r.pipeline.removeSink(s.getKey().toString());
                    it.remove();
                    dropFunctions(r, s.getKey());
                    unregisterIfGone(s.getValue().name(), cfg);
                }
            }
            for (var s : desired.entrySet()) {
                SinkConfig before = r.sinks.get(s.getKey());
                if (Objects.equals(before, s.getValue())
                        && Objects.equals(r.functionSpecs.get(s.getKey()), functionSpecs(s.getValue(), cfg))) {
                    continue;
                }
                MessageFunctions old = r.functions.get(s.getKey());
                SinkSpec spec =
                        withFunctions(r, s.getKey(), sinkSpec(s.getValue(), s.getKey(), d, dbId), s.getValue(), cfg);
                metrics.registerSink(s.getValue().name(), s.getKey());
                if (before == null) {
                    log.info("sink {}: starting", s.getValue().name());
                    r.pipeline.addSink(spec, sinkFor(s.getValue(), s.getKey(), d));
                } else {
                    log.info(
                            "sink {}: applying its new configuration",
                            s.getValue().name());
                    r.pipeline.updateSink(spec, sinkFor(s.getValue(), s.getKey(), d));
                    closeFunctions(old); // the sink no longer runs them
                    if (!before.name().equals(s.getValue().name())) {
                        unregisterIfGone(before.name(), cfg);
                    }
                }
                r.sinks.put(s.getKey(), s.getValue());
                if (before == null) {
                    resumeBackfills(r, s.getKey());
                }
            }
        }
        retainFunctions();
    }

    private void unregisterIfGone(String sinkName, SluiceConfig cfg) {
        if (cfg.sinks().stream().noneMatch(s -> s.name().equals(sinkName))) {
            metrics.unregisterSink(sinkName);
        }
    }

    private void stop(Running r, boolean soon) {
        if (soon) {
            r.pipeline.close(stopWithin);
        } else {
            r.pipeline.close();
        }
        r.functions.values().forEach(Supervisor::closeFunctions);
        r.functions.clear();
        r.functionSpecs.clear();
        metrics.unregisterDatabase(r.pipeline);
    }

    private DatabasePipeline pipeline(DatabaseConfig d, UUID dbId, @Nullable Fence fence) {
        SourceSettings settings = d.sourceSettings();
        return new DatabasePipeline(
                d.name(),
                settings,
                RetryPolicy.RECONNECT,
                new PositionRecorder(store.positions(), dbId, d.slot().name(), fence),
                metrics,
                DatabasePipeline.Options.heartbeatEvery(d.heartbeatInterval()).withStreamedDir(streamedDir),
                new StoreLedger(store.progress(), fence),
                new StoreMessages(store.messages(), fence));
    }

    /** {@code spec} with the sink's functions, which {@code r} now holds for it. */
    private SinkSpec withFunctions(Running r, UUID sinkId, SinkSpec spec, SinkConfig s, SluiceConfig cfg) {
        MessageFunctions functions = SinkFunctionChain.of(s, cfg, r.config, compiled);
        r.functions.put(sinkId, functions);
        r.functionSpecs.put(sinkId, functionSpecs(s, cfg));
        return spec.withFunctions(functions);
    }

    private static List<FunctionSpec> functionSpecs(SinkConfig s, SluiceConfig cfg) {
        return s.functions().names().stream().map(cfg::function).toList();
    }

    private static void dropFunctions(Running r, UUID sinkId) {
        closeFunctions(r.functions.remove(sinkId));
        r.functionSpecs.remove(sinkId);
    }

    private static void closeFunctions(@Nullable MessageFunctions f) {
        if (f instanceof SinkFunctionChain chain) {
            chain.close();
        }
    }

    /** Compiled functions no running sink names are let go. */
    private void retainFunctions() {
        List<FunctionSpec> used = new ArrayList<>();
        running.values().forEach(r -> r.functionSpecs.values().forEach(used::addAll));
        compiled.retain(used);
    }

    static SinkSpec sinkSpec(SinkConfig s, UUID sinkId, DatabaseConfig d, UUID dbId) {
        Map<TableId, List<String>> groups = new HashMap<>();
        Map<TableId, ColumnSelection.Rule> columns = new HashMap<>();
        for (TableConfig t : s.tables()) {
            if (!t.groupColumnNames().isEmpty()) {
                groups.put(t.name(), t.groupColumnNames());
            }
            if (t.includeColumns() != null) {
                columns.put(t.name(), new ColumnSelection.Rule(true, Set.copyOf(t.includeColumns())));
            } else if (t.excludeColumns() != null) {
                columns.put(t.name(), new ColumnSelection.Rule(false, Set.copyOf(t.excludeColumns())));
            }
        }
        MessageContext ctx = new MessageContext(
                sinkId.toString(),
                s.name(),
                s.annotationsJson(),
                dbId.toString(),
                d.name(),
                d.annotationsJson(),
                d.database(),
                d.hostname(),
                s.timestampFormat(),
                new ColumnSelection(columns));
        SinkSpec spec = new SinkSpec(
                sinkId.toString(),
                s.name(),
                s.source()::matches,
                s.actions(),
                groups,
                s.messageGrouping(),
                s.batchSize(),
                BATCH_TIMEOUT,
                s.maxRetryCount(),
                switch (s.status()) {
                    case ACTIVE -> SinkState.ACTIVE;
                    case PAUSED -> SinkState.PAUSED;
                    case DISABLED -> SinkState.DISABLED;
                },
                ctx,
                s.maxMemoryMb() * MIB,
                SinkSpec.DEFAULT_MAX_IN_FLIGHT,
                s.loadSheddingPolicy(),
                new RetryPolicy(Duration.ofMillis(s.retryBackoffMs()), Duration.ofMillis(s.maxRetryBackoffMs()), 0.25),
                s.maxSpillMb() * MIB);
        return spec.withReselectUnchangedToast(s.reselectUnchangedToast());
    }

    private Sink sinkFor(SinkConfig s, UUID sinkId, DatabaseConfig d) {
        Sink sink = s.destination()
                .create(new SinkContext(
                        sinkId.toString(),
                        s.name(),
                        s.batchSize(),
                        Ticker.SYSTEM,
                        new JdbcSourceCatalog(d.sourceSettings())));
        if (sink instanceof PullStream stream) {
            // The pull API hands out what this sink holds.
            streams.put(s.name(), stream);
        }
        return new StartRetryingSink(sink, s.name());
    }

    @Override
    public synchronized @Nullable List<byte[]> recentMessages(UUID databaseId, UUID sinkId, int n) {
        Running r = running.get(databaseId);
        SinkQueue q = r == null ? null : r.pipeline.runningSink(sinkId.toString());
        return q == null ? null : q.recentMessages(n);
    }

    @Override
    public @Nullable PullStream stream(String sinkName) {
        PullStream s = streams.get(sinkName);
        return s == null || s.isClosed() ? null : s;
    }

    @Override
    public synchronized void close() {
        List<Running> all = new ArrayList<>(running.values());
        running.clear();
        all.forEach(r -> {
            r.pipeline.close();
            r.functions.values().forEach(Supervisor::closeFunctions);
        });
        compiled.close();
        // Closed pipelines report nothing more: save the progress held back.
        backfills.values().forEach(StoreBackfillListener::flush);
    }
}
