package dev.sluice.server.runtime;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.api.ApiGuardSettings;
import dev.sluice.server.api.ApiGuards;
import dev.sluice.server.api.ApiTokens;
import dev.sluice.server.api.ManagementApi;
import dev.sluice.server.config.ApiTokenConfig;
import dev.sluice.server.config.ConfigException;
import dev.sluice.server.config.ConfigLoader;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.console.Console;
import dev.sluice.server.console.ConsoleServices;
import dev.sluice.server.jobs.JobRunner;
import dev.sluice.server.jobs.JobSettings;
import dev.sluice.server.metrics.SluiceMetrics;
import dev.sluice.server.notify.EventType;
import dev.sluice.server.notify.StatusWatcher;
import dev.sluice.server.notify.WebhookEvent;
import dev.sluice.server.notify.WebhookSettings;
import dev.sluice.server.notify.Webhooks;
import dev.sluice.server.store.MetadataStore;
import dev.sluice.server.store.SecretBox;
import dev.sluice.server.store.StoredConfig;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson3;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * The running server: metadata store, one {@link DatabasePipeline} per source database with its
 * sinks, and the HTTP endpoint ({@code /health}, {@code /metrics}).
 */
public final class SluiceServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SluiceServer.class);
    private static final long MIB = 1024L * 1024;
    private static final Duration BATCH_TIMEOUT = Duration.ofMillis(5);

    private final MetadataStore store;
    private final Supervisor supervisor;
    private final Javalin http;
    private final JobRunner jobs;
    private final Webhooks webhooks;
    private final StatusWatcher watcher;
    private final Console console;
    private final Cluster cluster;
    private final ConfigFollower follower;

    private SluiceServer(
            Cluster cluster,
            ConfigFollower follower,
            MetadataStore store,
            Supervisor supervisor,
            Javalin http,
            JobRunner jobs,
            Webhooks webhooks,
            StatusWatcher watcher,
            Console console) {
        this.cluster = cluster;
        this.follower = follower;
        this.console = console;
        this.jobs = jobs;
        this.webhooks = webhooks;
        this.watcher = watcher;
        this.store = store;
        this.supervisor = supervisor;
        this.http = http;
    }

    /** Starts everything; throws with an operator-readable reason when it cannot. */
    public static SluiceServer start(ServerOptions o) throws StartupException {
        SluiceConfig fileConfig = null;
        if (o.configFile() != null) {
            try {
                fileConfig = ConfigLoader.load(o.configFile());
            } catch (ConfigException e) {
                throw new StartupException(e.getMessage(), e);
            }
        }
        MetadataStore store;
        SecretBox secrets;
        try {
            secrets = SecretBox.load(o.secretKey(), o.home());
            store = MetadataStore.open(o.home(), o.databaseUrl());
        } catch (IOException | SQLException | IllegalArgumentException e) {
            throw new StartupException(e.getMessage(), e);
        }
        SluiceMetrics metrics = new SluiceMetrics();
        Webhooks webhooks;
        try {
            webhooks = new Webhooks(
                    store.dataSource(),
                    secrets,
                    WebhookSettings.from(k -> System.getenv(k) != null ? System.getenv(k) : System.getProperty(k)),
                    java.time.Clock.systemUTC());
        } catch (IllegalArgumentException e) {
            store.close();
            throw new StartupException(e.getMessage(), e);
        }
        Supervisor supervisor = new Supervisor(store, metrics, webhooks::publish);
        supervisor.streamedDir(o.home().resolve("streamed"));
        // Pipelines run only under a lease this node holds (cluster mode; one node alone takes them all at once).
        java.util.concurrent.atomic.AtomicReference<Cluster> clusterRef =
                new java.util.concurrent.atomic.AtomicReference<>();
        supervisor.leased(() -> {
            Cluster c = clusterRef.get();
            if (c != null) {
                c.balanceNow();
            }
        });
        StatusWatcher watcher = null;
        Cluster cluster = null;
        ConfigFollower follower = null;
        Javalin http = null;
        JobRunner jobs = null;
        Console console = null;
        try {
            StoredConfig stored = new StoredConfig(store, secrets);
            StoredConfig.Saved loaded = stored.load();
            java.util.Set<String> sinksBefore = loaded.snapshot().sinkIds().keySet();
            if (fileConfig != null) {
                loaded = applyAtStart(stored, fileConfig);
            }
            if (o.inlineConfig() != null) {
                loaded = applyAtStart(stored, o.inlineConfig());
            }
            if (fileConfig != null) {
                warnAboutResourcesNotInFile(fileConfig, loaded.snapshot().config(), o.configFile());
            }
            ApiTokens tokens = new ApiTokens(store);
            // The file's api_tokens first: with them, no bootstrap token is needed.
            for (SluiceConfig c : java.util.Arrays.asList(fileConfig, o.inlineConfig())) {
                if (c != null) {
                    for (ApiTokenConfig t : c.apiTokens()) {
                        if (tokens.ensure(t.name(), t.token())) {
                            log.info("API key '{}' set from the configuration's api_tokens", t.name());
                        }
                    }
                }
            }
            String bootstrap = tokens.bootstrap(o.apiToken());
            supervisor.apply(loaded.running());
            // Environment first; system properties stand in for it where a test starts servers in its own JVM.
            JobSettings jobSettings =
                    JobSettings.from(k -> System.getenv(k) != null ? System.getenv(k) : System.getProperty(k));
            jobs = new JobRunner(store.jobs(), secrets, jobSettings, java.time.Clock.systemUTC());
            ManagementApi api = new ManagementApi(stored, tokens, supervisor, jobs, jobSettings, webhooks);
            jobs.host(api.syncHost());
            jobs.listener(jobEvents(webhooks));
            // Sinks the file (or inline config) just created get their initial_backfill; they start with the rest.
            for (SluiceConfig c : java.util.Arrays.asList(fileConfig, o.inlineConfig())) {
                if (c != null) {
                    api.createInitialBackfills(sinksBefore, c, loaded.snapshot());
                }
            }
            ApiGuards guards = new ApiGuards(
                    ApiGuardSettings.from(k -> System.getenv(k) != null ? System.getenv(k) : System.getProperty(k)),
                    store.dataSource(),
                    secrets,
                    java.time.Clock.systemUTC());
            console = new Console(new ConsoleServices(
                    stored,
                    supervisor,
                    () -> supervisor.pipelines().stream()
                            .map(DatabasePipeline::status)
                            .toList(),
                    tokens,
                    metrics,
                    java.time.Clock.systemUTC(),
                    webhooks));
            java.util.concurrent.atomic.AtomicReference<Cluster> forHealth = clusterRef;
            http = startHttp(o.port(), supervisor, metrics, api, guards, console, () -> nodeInfo(forHealth.get()));
            supervisor.start();
            cluster = new Cluster(
                    Cluster.Settings.from(
                            k -> System.getenv(k) != null ? System.getenv(k) : System.getProperty(k),
                            o.home(),
                            http.port()),
                    store.leases(),
                    supervisor);
            clusterRef.set(cluster);
            Cluster joined = cluster;
            metrics.registerNode(
                    cluster.settings().nodeId(), () -> joined.owned().size());
            ClusterNodes clusterNodes = new ClusterNodes(cluster, store.leases());
            api.nodes(clusterNodes, secrets.derive("sluice node-to-node forwarding v1"));
            console.cluster(clusterNodes);
            cluster.start();
            follower = new ConfigFollower(stored, supervisor);
            follower.start();
            jobs.start();
            watcher = new StatusWatcher(
                    webhooks,
                    () -> supervisor.pipelines().stream()
                            .map(DatabasePipeline::status)
                            .toList(),
                    stored::snapshot);
            watcher.start();
            if (bootstrap != null) {
                // Printed once, to the terminal rather than the log: only its hash is stored.
                System.out.println();
                System.out.println("  API token (shown once; store it now): " + bootstrap);
                System.out.println("  Use it as 'Authorization: Bearer <token>'. Create more with POST /api/api_keys.");
                System.out.println();
            }
            if (loaded.snapshot().config().databases().isEmpty()) {
                log.info(
                        "No databases configured yet: pass a sluice.yaml with --config, or use the API (see docs/api.md)");
            }
            return new SluiceServer(cluster, follower, store, supervisor, http, jobs, webhooks, watcher, console);
        } catch (SQLException | IOException | RuntimeException e) {
            if (follower != null) {
                follower.close();
            }
            if (cluster != null) {
                cluster.close();
            }
            if (console != null) {
                console.close();
            }
            if (watcher != null) {
                watcher.close();
            }
            webhooks.close();
            if (jobs != null) {
                jobs.close();
            }
            supervisor.close();
            if (http != null) {
                http.stop();
            }
            store.close();
            throw new StartupException(
                    e instanceof ConfigException ? e.getMessage() : "cannot start: " + e.getMessage(), e);
        }
    }

    // Nodes of a cluster starting together save their files at once: a save that lost the race reads again and retries.
    private static StoredConfig.Saved applyAtStart(StoredConfig stored, SluiceConfig config) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                return stored.apply(config);
            } catch (StoredConfig.ConcurrentSaveException e) {
                if (attempt == 10) {
                    throw e;
                }
                stored.load();
            }
        }
    }

    /** A job's end as a {@code job.completed} or {@code job.failed} event (a cancelled job sends none). */
    private static JobRunner.Listener jobEvents(Webhooks webhooks) {
        return (id, command, status, error) -> {
            EventType type = switch (status) {
                case "completed" -> EventType.JOB_COMPLETED;
                case "failed" -> EventType.JOB_FAILED;
                default -> null;
            };
            if (type == null) {
                return;
            }
            java.util.Map<String, @org.jspecify.annotations.Nullable Object> data = new java.util.LinkedHashMap<>();
            data.put("job_id", id.toString());
            data.put("command", command);
            data.put("status", status);
            data.put("error", error);
            webhooks.publish(WebhookEvent.of(type, java.time.Instant.now(), data, null, null));
        };
    }

    // The file is applied as upserts; what it no longer names keeps running, which surprises people.
    private static void warnAboutResourcesNotInFile(SluiceConfig file, SluiceConfig all, java.nio.file.Path path) {
        java.util.Set<String> named = new java.util.HashSet<>();
        file.sinks().forEach(s -> named.add("sink " + s.name()));
        file.databases().forEach(d -> named.add("database " + d.name()));
        for (SinkConfig s : all.sinks()) {
            if (!named.contains("sink " + s.name()) && s.status() != dev.sluice.server.config.SinkStatus.DISABLED) {
                log.warn(
                        "sink {} is in the metadata store but not in {}; it keeps running (set its status to"
                                + " disabled in the file, or remove it with the API, to stop it)",
                        s.name(),
                        path);
            }
        }
        for (DatabaseConfig d : all.databases()) {
            if (!named.contains("database " + d.name())) {
                log.warn("database {} is in the metadata store but not in {}; it keeps being read", d.name(), path);
            }
        }
    }

    private static Javalin startHttp(
            int port,
            Supervisor supervisor,
            SluiceMetrics metrics,
            ManagementApi api,
            ApiGuards guards,
            Console console,
            java.util.function.Supplier<Map<String, Object>> node) {
        Javalin app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.jsonMapper(new JavalinJackson3(JsonMapper.builder().build(), false));
            c.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            c.jetty.modifyServletContextHandler(h -> h.setErrorHandler(new JsonErrorHandler()));
            api.register(c.routes, guards);
            console.register(c, api);
            c.routes.get("/health", ctx -> {
                Health h = Health.of(supervisor.pipelines());
                Map<String, Object> body = new java.util.LinkedHashMap<>(h.body());
                Map<String, Object> n = node.get();
                body.put("node", n);
                // Until its first lease round the node cannot say what it runs: not healthy yet.
                boolean starting = "starting".equals(n.get("role"));
                if (starting) {
                    body.put("status", "starting");
                }
                ctx.status(h.healthy() && !starting ? 200 : 503).json(body);
            });
            c.routes.get(
                    "/metrics",
                    ctx -> ctx.contentType(SluiceMetrics.CONTENT_TYPE).result(metrics.scrape()));
        });
        try {
            app.start("0.0.0.0", port);
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "cannot listen on port " + port + " (" + rootMessage(e)
                            + "); choose another with --port or SLUICE_PORT",
                    e);
        }
        log.info(
                "Sluice listening on http://localhost:{} (console: /, API: /api, health: /health, metrics: /metrics)",
                app.port());
        return app;
    }

    // This node's part in the cluster, for /health.
    private static Map<String, Object> nodeInfo(@org.jspecify.annotations.Nullable Cluster c) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        if (c == null || !c.joined()) {
            m.put("role", "starting");
            return m;
        }
        java.util.Set<java.util.UUID> owned = c.owned();
        m.put("id", c.settings().nodeId());
        m.put("address", c.settings().address());
        m.put("role", c.draining() ? "draining" : owned.isEmpty() ? "standby" : "owner");
        m.put("pipelines", owned.stream().map(Object::toString).sorted().toList());
        return m;
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    public int port() {
        return http.port();
    }

    public List<DatabasePipeline.Status> status() {
        return supervisor.pipelines().stream().map(DatabasePipeline::status).toList();
    }

    /** Stops reading, lets sinks finish what is in flight, acknowledges it, then stops the store. */
    @Override
    public void close() {
        console.close();
        watcher.close();
        follower.close();
        jobs.close();
        // Stop renewing, stop the pipelines gracefully (in-flight batches delivered and acknowledged), then hand the
        // leases over at once rather than after they expire.
        cluster.close();
        supervisor.close();
        cluster.releaseAll();
        http.stop();
        // Deliveries still pending are dropped (docs/webhooks.md).
        webhooks.close();
        store.close();
        log.info("Sluice stopped");
    }
}
