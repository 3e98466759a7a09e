package dev.sluice.server.runtime;

import dev.sluice.core.MessageContext;
import dev.sluice.core.TableId;
import dev.sluice.engine.DatabasePipeline;
import dev.sluice.engine.RetryPolicy;
import dev.sluice.engine.SinkSpec;
import dev.sluice.engine.SinkState;
import dev.sluice.postgres.replication.SourceSettings;
import dev.sluice.server.config.ConfigException;
import dev.sluice.server.config.ConfigLoader;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.HttpEndpointConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.config.TableConfig;
import dev.sluice.server.config.WebhookDestination;
import dev.sluice.server.metrics.SluiceMetrics;
import dev.sluice.server.store.MetadataStore;
import dev.sluice.server.store.SecretBox;
import dev.sluice.server.store.StoredConfig;
import dev.sluice.sink.webhook.WebhookConfig;
import dev.sluice.sink.webhook.WebhookSink;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson3;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
    private final List<DatabasePipeline> pipelines;
    private final Javalin http;

    private SluiceServer(MetadataStore store, List<DatabasePipeline> pipelines, Javalin http) {
        this.store = store;
        this.pipelines = pipelines;
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
        List<DatabasePipeline> pipelines = new ArrayList<>();
        SluiceMetrics metrics = new SluiceMetrics();
        Javalin http = null;
        try {
            StoredConfig stored = new StoredConfig(store, secrets);
            if (fileConfig != null) {
                stored.apply(fileConfig);
            }
            if (o.inlineConfig() != null) {
                stored.apply(o.inlineConfig());
            }
            StoredConfig.Loaded loaded = stored.load();
            if (fileConfig != null) {
                warnAboutResourcesNotInFile(fileConfig, loaded.config(), o.configFile());
            }
            pipelines.addAll(buildPipelines(loaded, store, metrics));
            http = startHttp(o.port(), pipelines, metrics);
            for (DatabasePipeline p : pipelines) {
                p.start();
            }
            if (pipelines.isEmpty()) {
                log.info("No databases configured yet: pass a sluice.yaml with --config (see docs/configuration.md)");
            }
            return new SluiceServer(store, pipelines, http);
        } catch (SQLException | RuntimeException e) {
            pipelines.forEach(DatabasePipeline::close);
            if (http != null) {
                http.stop();
            }
            store.close();
            throw new StartupException(
                    e instanceof ConfigException ? e.getMessage() : "cannot start: " + e.getMessage(), e);
        }
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

    private static List<DatabasePipeline> buildPipelines(
            StoredConfig.Loaded loaded, MetadataStore store, SluiceMetrics metrics) {
        SluiceConfig cfg = loaded.config();
        Map<String, HttpEndpointConfig> endpoints = new HashMap<>();
        cfg.httpEndpoints().forEach(e -> endpoints.put(e.name(), e));
        List<DatabasePipeline> out = new ArrayList<>();
        for (DatabaseConfig d : cfg.databases()) {
            UUID dbId = loaded.databaseIds().get(d.name());
            SourceSettings settings = new SourceSettings(
                    d.hostname(),
                    d.port(),
                    d.database(),
                    d.username(),
                    d.password(),
                    d.ssl(),
                    d.ipv6(),
                    d.slot().name(),
                    d.publication().name(),
                    d.slot().createIfNotExists(),
                    d.publication().createIfNotExists());
            DatabasePipeline p = new DatabasePipeline(
                    d.name(),
                    settings,
                    RetryPolicy.RECONNECT,
                    new PositionRecorder(store, dbId, d.slot().name()),
                    metrics);
            metrics.registerDatabase(p);
            for (SinkConfig s : cfg.sinks()) {
                if (s.database().equals(d.name())) {
                    metrics.registerSink(s.name());
                    UUID sinkId = loaded.sinkIds().get(s.name());
                    p.addSink(sinkSpec(s, sinkId, d, dbId), sinkFor(s, endpoints));
                }
            }
            out.add(p);
        }
        return out;
    }

    static SinkSpec sinkSpec(SinkConfig s, UUID sinkId, DatabaseConfig d, UUID dbId) {
        Map<TableId, List<String>> groups = new HashMap<>();
        for (TableConfig t : s.tables()) {
            if (!t.groupColumnNames().isEmpty()) {
                groups.put(t.name(), t.groupColumnNames());
            }
        }
        MessageContext ctx = new MessageContext(
                sinkId.toString(),
                s.name(),
                s.annotationsJson(),
                dbId.toString(),
                d.name(),
                "{}",
                d.database(),
                d.hostname(),
                s.timestampFormat());
        return new SinkSpec(
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
                s.maxMemoryMb() * MIB);
    }

    private static dev.sluice.core.sink.Sink sinkFor(SinkConfig s, Map<String, HttpEndpointConfig> endpoints) {
        return switch (s.destination()) {
            case WebhookDestination w -> {
                HttpEndpointConfig e = endpoints.get(w.httpEndpoint());
                Map<String, String> headers = new LinkedHashMap<>(e.headers());
                headers.putAll(e.encryptedHeaders());
                yield new WebhookSink(new WebhookConfig(
                        WebhookConfig.join(e.url().toString(), w.httpEndpointPath()),
                        headers,
                        w.batch(),
                        w.requestTimeout()));
            }
        };
    }

    private static Javalin startHttp(int port, List<DatabasePipeline> pipelines, SluiceMetrics metrics) {
        Javalin app = Javalin.create(c -> {
            c.startup.showJavalinBanner = false;
            c.jsonMapper(new JavalinJackson3(JsonMapper.builder().build(), false));
            c.routes.get("/health", ctx -> {
                Health h = Health.of(pipelines);
                ctx.status(h.healthy() ? 200 : 503).json(h.body());
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
        log.info("Sluice listening on http://localhost:{} (health: /health, metrics: /metrics)", app.port());
        return app;
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
        return pipelines.stream().map(DatabasePipeline::status).toList();
    }

    /** Stops reading, lets sinks finish what is in flight, acknowledges it, then stops the store. */
    @Override
    public void close() {
        pipelines.forEach(DatabasePipeline::close);
        http.stop();
        store.close();
        log.info("Sluice stopped");
    }
}
