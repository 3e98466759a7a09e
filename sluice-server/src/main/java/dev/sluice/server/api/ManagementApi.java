package dev.sluice.server.api;

import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.destination.DestinationOpenApi;
import dev.sluice.server.destination.Destinations;
import dev.sluice.server.jobs.JobRunner;
import dev.sluice.server.jobs.JobSettings;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.StoredConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.io.InputStream;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The management API under {@code /api}: Sequin-compatible resources (databases, sinks, http endpoints) with a
 * sink's messages, backfills and pull stream, API keys, and {@code config/plan|apply|export}. This class registers
 * the routes of the parts, checks the token and renders errors.
 *
 * <p>Reads use the configuration snapshot of the last save. Every change is made on a copy of the whole
 * configuration, validated exactly as sluice.yaml is, saved in one transaction and then applied to the running
 * pipelines before the response is sent; changes are serialized by one lock ({@link ConfigWriter}), reads are not.
 * See docs/api.md.
 */
public final class ManagementApi {
    private static final Logger log = LoggerFactory.getLogger(ManagementApi.class);
    // Set on a response whose error body is already written, so the 404 fallback leaves it (see ApiViews).
    static final String ERROR_RENDERED = "sluice.error-rendered";

    private final ApiTokens tokens;
    private final ResourceRoutes databases;
    private final ResourceRoutes sinks;
    private final ResourceRoutes endpoints;
    private final ResourceRoutes functions;
    private final FunctionsTestApi functionTests;
    private final ChecksApi checks;
    private final SinkMessagesApi messages;
    private final BackfillsApi backfills;
    private final StreamApi streams;
    private final ApiKeysApi keys;
    private final ConfigApi config;
    private final JobsApi jobs;
    private final JobSyncHost syncHost;
    private final WebhooksApi webhooks;
    // Schema metadata, column selection and sync status (issue 19).
    private final TablesApi tables;
    private final SinkStatusApi sinkStatus;
    private final NodesApi nodes = new NodesApi();
    private final @org.jspecify.annotations.Nullable StoredConfig stored;
    private volatile @org.jspecify.annotations.Nullable Forwarder forwarder;
    private volatile @org.jspecify.annotations.Nullable SessionAuth sessions;

    public ManagementApi(
            StoredConfig stored, ApiTokens tokens, Engine engine, JobRunner runner, JobSettings jobSettings) {
        this(stored, tokens, engine, runner, jobSettings, null);
    }

    /** With {@code webhooks}, the notification webhooks behind {@code /api/webhooks} (null: those routes fail). */
    public ManagementApi(
            StoredConfig stored,
            ApiTokens tokens,
            Engine engine,
            JobRunner runner,
            JobSettings jobSettings,
            dev.sluice.server.notify.@org.jspecify.annotations.Nullable Webhooks webhooks) {
        this.tokens = tokens;
        this.stored = stored;
        ConfigWriter writer = new ConfigWriter(stored, engine);
        SinkLookup lookup = new SinkLookup(stored);
        this.backfills = new BackfillsApi(stored, lookup, engine);
        this.databases = new ResourceRoutes(new DatabaseResource(), stored, writer, backfills);
        this.sinks = new ResourceRoutes(new SinkResource(engine, stored), stored, writer, backfills);
        this.endpoints = new ResourceRoutes(new HttpEndpointResource(), stored, writer, backfills);
        this.functions = new ResourceRoutes(new FunctionResource(), stored, writer, backfills);
        this.functionTests = new FunctionsTestApi(stored, engine);
        this.checks = new ChecksApi(stored, lookup);
        this.messages = new SinkMessagesApi(stored, lookup, engine);
        this.streams = new StreamApi(lookup, engine);
        this.keys = new ApiKeysApi(tokens);
        this.config = new ConfigApi(stored, writer, backfills, tokens);
        this.jobs = new JobsApi(stored, runner, jobSettings, java.time.Clock.systemUTC());
        this.syncHost = new JobSyncHost(stored, writer, engine);
        this.webhooks = new WebhooksApi(stored, webhooks);
        this.tables = new TablesApi(stored, writer, new SinkResource(engine, stored));
        this.sinkStatus = new SinkStatusApi(stored, lookup, engine);
    }

    /**
     * Lets a browser signed in to the console call the API with its session cookie instead of a bearer token (the
     * console's pages act through the API, on one code path). {@code auth} checks the cookie and, for a request
     * that changes something, its CSRF token and origin.
     */
    public void acceptSessions(SessionAuth auth) {
        this.sessions = auth;
    }

    /** Authenticates a request by a console session: the session's API key, or null when it carries none. */
    @FunctionalInterface
    public interface SessionAuth {
        /**
         * @throws SecurityException when the request has a live session but, changing something, lacks its CSRF
         *     token or comes from another origin; its message says which (answered with 403)
         */
        java.util.@org.jspecify.annotations.Nullable UUID keyOf(Context ctx);
    }

    /**
     * The cluster behind {@code /api/nodes}; requests about a pipeline another node runs are relayed to it, signed
     * with {@code forwardingKey} (which every node derives from the shared secret key).
     */
    public void nodes(Nodes cluster, byte[] forwardingKey) {
        nodes.nodes(cluster);
        forwarder = new Forwarder(cluster, forwardingKey, java.time.Clock.systemUTC());
    }

    // Routes answered from a running pipeline's memory: the node that runs the sink's database answers them.
    private static boolean answeredByTheOwner(Route r) {
        String p = r.path();
        return p.startsWith("/api/sinks/{id_or_name}/messages")
                || p.equals("/api/sinks/{id_or_name}/status")
                || p.startsWith("/api/sequin_streams/")
                || p.startsWith("/api/http_pull_consumers/")
                || r.method().equals("GET") && p.equals("/api/sinks/{id_or_name}");
    }

    private static boolean isSinkList(Route r) {
        return r.method().equals("GET") && r.path().equals("/api/sinks");
    }

    // A list is answered by any node, with the health of each sink as the node that runs it sees it.
    private Handler withLiveHealth(Handler inner) {
        return ctx -> {
            inner.handle(ctx);
            Forwarder f = forwarder;
            StoredConfig s = stored;
            if (f != null && s != null) {
                f.liveHealth(ctx, s.snapshot());
            }
        };
    }

    private Handler forwarding(Handler inner) {
        return ctx -> {
            Forwarder f = forwarder;
            StoredConfig s = stored;
            if (f != null && s != null) {
                java.util.UUID db = null;
                try {
                    db = SinkLookup.find(s.snapshot(), ctx.pathParam("id_or_name"))
                            .databaseId();
                } catch (ApiException notFound) {
                    // the handler answers it
                }
                if (db != null && f.forward(ctx, db)) {
                    return;
                }
            }
            inner.handle(ctx);
        };
    }

    /** Where sync jobs add the database and sink that carry their changes. */
    public dev.sluice.server.jobs.SyncHost syncHost() {
        return syncHost;
    }

    /**
     * Adds the routes, the token check and the error rendering, with {@code guards}' request ids, rate limits and
     * idempotency keys.
     */
    public void register(RoutesConfig r, ApiGuards guards) {
        // The request id first, so that even a 401 carries it.
        r.before("/api/*", guards::start);
        r.before("/api/*", ctx -> authenticate(ctx, guards));
        r.after("/api/*", guards::end);
        for (Route route : routes()) {
            Handler handler = guards.wrap(
                    route.method(),
                    route.path(),
                    answeredByTheOwner(route)
                            ? forwarding(route.handler())
                            : isSinkList(route) ? withLiveHealth(route.handler()) : route.handler());
            switch (route.method()) {
                case "GET" -> r.get(route.path(), handler);
                case "POST" -> r.post(route.path(), handler);
                case "PUT" -> r.put(route.path(), handler);
                case "PATCH" -> r.patch(route.path(), handler);
                case "DELETE" -> r.delete(route.path(), handler);
                default -> throw new IllegalStateException(route.method());
            }
        }
        r.exception(ApiException.class, (e, ctx) -> {
            ctx.attribute(ERROR_RENDERED, true);
            ctx.status(e.status).json(ApiGuards.withRequestId(ctx, e.body()));
        });
        r.error(404, "*", ctx -> {
            String type = ctx.res().getContentType();
            // A console page's own 404 page (HTML) stays as it is.
            if (ctx.attribute(ERROR_RENDERED) == null && (type == null || !type.startsWith("text/html"))) {
                ctx.json(ApiGuards.withRequestId(
                        ctx, Map.of("summary", "no route " + ctx.method() + " " + Requests.clip(ctx.path()))));
            }
        });
        r.exception(Exception.class, (e, ctx) -> {
            log.error("{} {} failed", ctx.method(), ctx.path(), e);
            ctx.status(500).json(ApiGuards.withRequestId(ctx, Map.of("summary", "internal error; see the server log")));
        });
    }

    /** One route of the API; the OpenAPI document is checked against this list. */
    public record Route(String method, String path, Handler handler) {}

    /** A collection's routes: list and create at {@code base}; get, update (PUT and PATCH) and delete at {@code one}. */
    static void collection(
            List<Route> out,
            String base,
            String one,
            Handler list,
            Handler create,
            Handler get,
            Handler update,
            Handler delete) {
        out.add(new Route("GET", base, list));
        out.add(new Route("POST", base, create));
        out.add(new Route("GET", one, get));
        out.add(new Route("PUT", one, update));
        out.add(new Route("PATCH", one, update));
        out.add(new Route("DELETE", one, delete));
    }

    /** Every route, in the order of docs/api.md. */
    public List<Route> routes() {
        List<Route> out = new ArrayList<>();
        out.add(new Route("GET", "/api/openapi.json", this::openApi));
        databases.routes(out, "/api/postgres_databases");
        checks.databaseRoutes(out);
        sinks.routes(out, "/api/sinks");
        checks.sinkRoutes(out, sinks);
        messages.routes(out);
        backfills.routes(out);
        streams.routes(out);
        endpoints.routes(out, "/api/destinations/http_endpoints");
        functionTests.routes(out); // before /api/functions/{id_or_name}
        functions.routes(out, "/api/functions");
        keys.routes(out);
        config.routes(out);
        jobs.routes(out);
        webhooks.routes(out);
        tables.routes(out);
        sinkStatus.routes(out);
        nodes.routes(out);
        return out;
    }

    /**
     * Creates the {@code initial_backfill} of each sink of {@code config} that was not among {@code before} (it was
     * just created); a backfill that cannot be created is logged and skipped.
     */
    public void createInitialBackfills(Set<String> before, SluiceConfig config, ConfigSnapshot saved)
            throws SQLException {
        this.config.createInitialBackfills(before, config, saved);
    }

    private void authenticate(Context ctx, ApiGuards guards) {
        if (ctx.path().equals("/api/openapi.json")) {
            return;
        }
        if (ctx.header(Forwarder.HEADER) != null) {
            // Relayed by another node of the cluster, which authenticated the client.
            Forwarder f = forwarder;
            java.util.UUID relayed = f == null ? null : f.verify(ctx);
            if (relayed == null) {
                throw new ApiException(
                        401,
                        "a forwarded request whose signature is not valid (nodes must share"
                                + " SLUICE_SECRET_KEY) or has expired (clocks more than two minutes apart?)");
            }
            guards.admit(ctx, relayed);
            return;
        }
        String header = ctx.header("Authorization");
        String token = null;
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            token = header.substring(7).strip();
        }
        java.util.UUID tokenId = tokens.find(token);
        SessionAuth auth = sessions;
        if (tokenId == null && header == null && auth != null) {
            try {
                tokenId = auth.keyOf(ctx);
            } catch (SecurityException e) {
                throw new ApiException(403, e.getMessage());
            }
        }
        if (tokenId == null) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(
                    401,
                    header == null ? "missing API token: send 'Authorization: Bearer <token>'" : "invalid API token");
        }
        guards.admit(ctx, tokenId);
    }

    private void openApi(Context ctx) throws IOException {
        // Read (and ignore) a body sent with the GET: closing with it unread makes the connection reset before the
        // client has read the large document.
        ctx.bodyAsBytes();
        ctx.contentType("application/json").result(OpenApiDocument.bytes());
    }

    /** The written document with the destination schemas of the installed sink types put in; made once. */
    private static final class OpenApiDocument {
        private static byte[] bytes;

        static synchronized byte[] bytes() throws IOException {
            if (bytes == null) {
                try (InputStream in = ManagementApi.class.getResourceAsStream("openapi.json")) {
                    ObjectNode doc = (ObjectNode)
                            Requests.JSON.readTree(Objects.requireNonNull(in).readAllBytes());
                    DestinationOpenApi.addTo(doc, Destinations.installed());
                    bytes = Requests.JSON.writeValueAsBytes(doc);
                }
            }
            return bytes;
        }
    }
}
