package dev.sluice.server.notify;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the live status of the pipelines into events, by comparing it every {@link WebhookSettings#watchInterval}
 * with what it saw last: a sink's health status changing ({@code sink.health_changed}, and {@code sink.failing} on
 * becoming {@code error}, {@code sink.recovered} on going from {@code error} to {@code healthy}), a database's reader
 * losing its connection ({@code database.disconnected}), and each streaming database's lag (see {@link
 * Webhooks#observeLag}).
 *
 * <p>State: the last status seen per sink and database, on the watcher's thread only. The first sighting of a sink
 * or database is its baseline and sends nothing; neither do changes from {@code initializing}, except into {@code
 * error}. Reading the status is cheap (in memory): the pipelines are never blocked.
 */
public final class StatusWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StatusWatcher.class);

    private final Webhooks webhooks;
    private final Supplier<List<DatabasePipeline.Status>> statuses;
    private final Supplier<ConfigSnapshot> snapshot;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("webhooks-watch").daemon().factory());
    private final Map<UUID, String> sinkHealth = new HashMap<>();
    private final Map<String, DatabasePipeline.State> databaseState = new HashMap<>();

    public StatusWatcher(
            Webhooks webhooks, Supplier<List<DatabasePipeline.Status>> statuses, Supplier<ConfigSnapshot> snapshot) {
        this.webhooks = webhooks;
        this.statuses = statuses;
        this.snapshot = snapshot;
    }

    public void start() {
        long every = webhooks.settings().watchInterval().toMillis();
        timer.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
    }

    private void check() {
        try {
            ConfigSnapshot s = snapshot.get();
            Map<String, DatabasePipeline.Status> byDatabase = new HashMap<>();
            for (DatabasePipeline.Status st : statuses.get()) {
                byDatabase.put(st.database(), st);
            }
            checkSinks(s, byDatabase);
            checkDatabases(s, byDatabase);
        } catch (RuntimeException e) {
            log.warn("webhooks: cannot check the pipelines' status: {}", e.toString());
        }
    }

    private void checkSinks(ConfigSnapshot s, Map<String, DatabasePipeline.Status> byDatabase) {
        Set<UUID> seen = new HashSet<>();
        List<SinkConfig> sinks = s.config().sinks();
        for (int i = 0; i < sinks.size(); i++) {
            SinkConfig sink = sinks.get(i);
            UUID id = s.id(Kind.SINK, i);
            UUID databaseId = s.databaseId(sink.database());
            DatabasePipeline.SinkStatus live = live(byDatabase.get(sink.database()), sink.name());
            String now = SinkHealth.of(sink.status(), live);
            seen.add(id);
            String before = sinkHealth.put(id, now);
            if (before == null || before.equals(now)) {
                continue;
            }
            String message = live == null ? null : live.lastError();
            if (!before.equals(SinkHealth.INITIALIZING)) {
                publish(EventType.SINK_HEALTH_CHANGED, sink, id, databaseId, now, before, message);
            }
            if (now.equals(SinkHealth.ERROR)) {
                publish(EventType.SINK_FAILING, sink, id, databaseId, now, before, message);
            } else if (before.equals(SinkHealth.ERROR) && now.equals(SinkHealth.HEALTHY)) {
                publish(EventType.SINK_RECOVERED, sink, id, databaseId, now, before, null);
            }
        }
        sinkHealth.keySet().retainAll(seen);
    }

    private void publish(
            EventType type,
            SinkConfig sink,
            UUID id,
            @Nullable UUID databaseId,
            String status,
            String previous,
            @Nullable String message) {
        webhooks.publish(WebhookEvent.of(
                type,
                webhooks.clock().instant(),
                WebhookEvent.fields(
                        "sink_id",
                        id.toString(),
                        "sink_name",
                        sink.name(),
                        "database_id",
                        databaseId == null ? null : databaseId.toString(),
                        "status",
                        status,
                        "previous_status",
                        previous,
                        "message",
                        message),
                id,
                databaseId));
    }

    private void checkDatabases(ConfigSnapshot s, Map<String, DatabasePipeline.Status> byDatabase) {
        databaseState.keySet().retainAll(byDatabase.keySet());
        for (DatabasePipeline.Status st : byDatabase.values()) {
            UUID id = s.databaseId(st.database());
            DatabasePipeline.State before = databaseState.put(st.database(), st.state());
            if (id == null) {
                continue;
            }
            if (st.state() == DatabasePipeline.State.RETRYING
                    && before != null
                    && before != DatabasePipeline.State.RETRYING) {
                webhooks.publish(WebhookEvent.of(
                        EventType.DATABASE_DISCONNECTED,
                        webhooks.clock().instant(),
                        WebhookEvent.fields(
                                "database_id", id.toString(),
                                "database_name", st.database(),
                                "state", st.state().name().toLowerCase(java.util.Locale.ROOT),
                                "error", st.lastError()),
                        null,
                        id));
            }
            if (st.state() == DatabasePipeline.State.STREAMING) {
                Duration lag = Duration.ZERO;
                for (DatabasePipeline.SinkStatus ss : st.sinks()) {
                    if (ss.lag().compareTo(lag) > 0) {
                        lag = ss.lag();
                    }
                }
                webhooks.observeLag(id, st.database(), st.slotLagBytes(), lag);
            }
        }
    }

    private static DatabasePipeline.@Nullable SinkStatus live(DatabasePipeline.@Nullable Status status, String name) {
        if (status == null) {
            return null;
        }
        for (DatabasePipeline.SinkStatus ss : status.sinks()) {
            if (ss.name().equals(name)) {
                return ss;
            }
        }
        return null;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
