package dev.sluice.server.api;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.server.config.ConfigException;
import dev.sluice.server.config.ConfigLoader;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.InitialBackfill;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.destination.DestinationOpenApi;
import dev.sluice.server.destination.Destinations;
import dev.sluice.server.store.MetadataStore;
import dev.sluice.server.store.MetadataStore.Kind;
import dev.sluice.server.store.StoredConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.io.InputStream;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The management API under {@code /api}: Sequin-compatible resources (databases, sinks, http endpoints), API
 * keys, and {@code config/plan|apply|export}.
 *
 * <p>Every change is made on a draft of the whole configuration, validated exactly as sluice.yaml is, saved in one
 * transaction and then applied to the running pipelines before the response is sent. Changes are serialized by
 * one lock; reads are not. See docs/api.md.
 */
public final class ManagementApi {
    private static final Logger log = LoggerFactory.getLogger(ManagementApi.class);
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final int MAX_LIMIT = 1000;
    private static final String ERROR_RENDERED = "sluice.error-rendered";
    private static final java.time.Duration SINK_CHECK_TIMEOUT = java.time.Duration.ofSeconds(10);

    private final StoredConfig stored;
    private final ApiTokens tokens;
    private final Engine engine;
    private final Object lock = new Object();
    private final DatabaseResource databases = new DatabaseResource();
    private final HttpEndpointResource endpoints = new HttpEndpointResource();
    private final SinkResource sinks;
    private final SinkMessagesApi messages;
    private final BackfillsApi backfills;
    private final StreamApi streams;

    public ManagementApi(StoredConfig stored, ApiTokens tokens, Engine engine) {
        this.stored = stored;
        this.tokens = tokens;
        this.engine = engine;
        this.sinks = new SinkResource(engine, stored);
        this.messages = new SinkMessagesApi(stored, engine);
        this.backfills = new BackfillsApi(stored, engine);
        this.streams = new StreamApi(stored, engine);
    }

    /** Adds the routes, the token check and the error rendering. */
    public void register(RoutesConfig r) {
        r.before("/api/*", this::authenticate);
        for (Route route : routes()) {
            switch (route.method()) {
                case "GET" -> r.get(route.path(), route.handler());
                case "POST" -> r.post(route.path(), route.handler());
                case "PUT" -> r.put(route.path(), route.handler());
                case "PATCH" -> r.patch(route.path(), route.handler());
                case "DELETE" -> r.delete(route.path(), route.handler());
                default -> throw new IllegalStateException(route.method());
            }
        }
        r.exception(ApiException.class, (e, ctx) -> {
            ctx.attribute(ERROR_RENDERED, true);
            ctx.status(e.status).json(e.body());
        });
        r.error(404, "*", ctx -> {
            if (ctx.attribute(ERROR_RENDERED) == null) {
                ctx.json(Map.of("summary", "no route " + ctx.method() + " " + Requests.clip(ctx.path())));
            }
        });
        r.exception(Exception.class, (e, ctx) -> {
            log.error("{} {} failed", ctx.method(), ctx.path(), e);
            ctx.status(500).json(Map.of("summary", "internal error; see the server log"));
        });
    }

    /** One route of the API; the OpenAPI document is checked against this list. */
    public record Route(String method, String path, Handler handler) {}

    /** Every route, in the order of docs/api.md. */
    public List<Route> routes() {
        List<Route> out = new ArrayList<>();
        out.add(new Route("GET", "/api/openapi.json", this::openApi));
        crud(out, "/api/postgres_databases", databases);
        out.add(new Route("POST", "/api/postgres_databases/{id_or_name}/test_connection", this::testConnection));
        out.add(new Route("POST", "/api/postgres_databases/{id_or_name}/refresh_tables", this::refreshTables));
        crud(out, "/api/sinks", sinks);
        out.add(new Route("POST", "/api/sinks/{id_or_name}/test_connection", this::testSink));
        messages.routes(out);
        backfills.routes(out);
        streams.routes(out);
        crud(out, "/api/destinations/http_endpoints", endpoints);
        out.add(new Route("GET", "/api/api_keys", this::listKeys));
        out.add(new Route("POST", "/api/api_keys", this::createKey));
        out.add(new Route("DELETE", "/api/api_keys/{id_or_name}", this::deleteKey));
        out.add(new Route("POST", "/api/config/plan", ctx -> config(ctx, false)));
        out.add(new Route("POST", "/api/config/apply", ctx -> config(ctx, true)));
        out.add(new Route("GET", "/api/config/export", this::export));
        return out;
    }

    private void crud(List<Route> out, String base, Resource res) {
        String one = base + "/{id_or_name}";
        out.add(new Route("GET", base, ctx -> list(ctx, res)));
        out.add(new Route("POST", base, ctx -> create(ctx, res)));
        out.add(new Route("GET", one, ctx -> get(ctx, res)));
        out.add(new Route("PUT", one, ctx -> update(ctx, res)));
        out.add(new Route("PATCH", one, ctx -> update(ctx, res)));
        out.add(new Route("DELETE", one, ctx -> delete(ctx, res)));
    }

    private void authenticate(Context ctx) {
        if (ctx.path().equals("/api/openapi.json")) {
            return;
        }
        String header = ctx.header("Authorization");
        String token = null;
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            token = header.substring(7).strip();
        }
        if (!tokens.verify(token)) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiException(
                    401,
                    header == null ? "missing API token: send 'Authorization: Bearer <token>'" : "invalid API token");
        }
    }

    private void openApi(Context ctx) throws IOException {
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

    // ---- generic resources -------------------------------------------------------------------------------

    private void list(Context ctx, Resource res) throws SQLException {
        StoredConfig.Loaded loaded = stored.load();
        boolean show = Requests.flag(ctx, "show_sensitive");
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < loaded.draft().section(res.kind()).size(); i++) {
            order.add(i);
        }
        Map<Integer, StoredConfig.Meta> meta = new LinkedHashMap<>();
        for (int i : order) {
            meta.put(i, Objects.requireNonNull(loaded.meta(res.kind(), name(loaded, res.kind(), i))));
        }
        order.sort(Comparator.comparing((Integer i) -> meta.get(i).insertedAt())
                .thenComparing(i -> meta.get(i).id().toString()));
        page(ctx, order, i -> new Cursor(meta.get(i).insertedAt(), meta.get(i).id()), i -> res.render(loaded, i, show));
    }

    private void get(Context ctx, Resource res) throws SQLException {
        StoredConfig.Loaded loaded = stored.load();
        int i = find(loaded, res, ctx.pathParam("id_or_name"));
        ctx.json(res.render(loaded, i, Requests.flag(ctx, "show_sensitive")));
    }

    private void create(Context ctx, Resource res) throws SQLException {
        boolean show = Requests.flag(ctx, "show_sensitive");
        ObjectNode body = Requests.object(ctx);
        String name = checkName(body, true);
        synchronized (lock) {
            StoredConfig.Loaded loaded = stored.load();
            if (loaded.draft().indexOf(res.kind(), name) >= 0) {
                throw ApiException.conflict("a " + res.label() + " named '" + name + "' already exists");
            }
            StoredConfig.Draft draft = loaded.draft().copy();
            int index = draft.put(res.kind(), -1, res.toEntry(body, null, loaded));
            SluiceConfig cfg = validate(draft, res, index);
            if (res.kind() == Kind.DATABASE) {
                checkConnection(cfg.databases().get(index));
            }
            BackfillsApi.Checked initial = null;
            if (res.kind() == Kind.SINK && cfg.sinks().get(index).initialBackfill() instanceof InitialBackfill b) {
                SinkConfig s = cfg.sinks().get(index);
                initial = backfills.check(s, loaded.databaseIds().get(s.database()), b);
            }
            StoredConfig.Loaded saved = save(draft);
            int at = saved.draft().indexOf(res.kind(), name);
            if (initial != null) {
                SinkConfig s = saved.config().sinks().get(at);
                backfills.insert(
                        new BackfillsApi.SinkRef(
                                saved.draft().id(Kind.SINK, at),
                                saved.databaseIds().get(s.database()),
                                s),
                        initial);
            }
            ctx.status(201).json(res.render(saved, at, show));
        }
    }

    private void update(Context ctx, Resource res) throws SQLException {
        boolean show = Requests.flag(ctx, "show_sensitive");
        ObjectNode body = Requests.object(ctx);
        String newName = checkName(body, false);
        synchronized (lock) {
            StoredConfig.Loaded loaded = stored.load();
            int index = find(loaded, res, ctx.pathParam("id_or_name"));
            UUID id = loaded.draft().id(res.kind(), index);
            String oldName = name(loaded, res.kind(), index);
            if (newName != null && !newName.equals(oldName)) {
                int other = loaded.draft().indexOf(res.kind(), newName);
                if (other >= 0 && other != index) {
                    throw ApiException.conflict("a " + res.label() + " named '" + newName + "' already exists");
                }
            }
            StoredConfig.Draft draft = loaded.draft().copy();
            draft.put(res.kind(), index, res.toEntry(body, loaded.draft().entry(res.kind(), index), loaded));
            if (newName != null && !newName.equals(oldName)) {
                renameReferences(draft, res.kind(), oldName, newName);
            }
            SluiceConfig cfg = validate(draft, res, index);
            if (res.kind() == Kind.DATABASE) {
                DatabaseConfig before = loaded.config().databases().get(index);
                DatabaseConfig after = cfg.databases().get(index);
                if (!before.sourceSettings().equals(after.sourceSettings())) {
                    checkConnection(after);
                }
            }
            StoredConfig.Loaded saved = save(draft);
            ctx.json(res.render(saved, saved.draft().indexOf(res.kind(), String.valueOf(id)), show));
        }
    }

    private void delete(Context ctx, Resource res) throws SQLException {
        synchronized (lock) {
            StoredConfig.Loaded loaded = stored.load();
            int index = find(loaded, res, ctx.pathParam("id_or_name"));
            UUID id = loaded.draft().id(res.kind(), index);
            String name = name(loaded, res.kind(), index);
            List<String> users = switch (res.kind()) {
                case DATABASE ->
                    loaded.config().sinks().stream()
                            .filter(s -> s.database().equals(name))
                            .map(s -> s.name())
                            .toList();
                case HTTP_ENDPOINT ->
                    loaded.config().sinks().stream()
                            .filter(s -> s.destination()
                                    .references(Destinations.HTTP_ENDPOINT)
                                    .contains(name))
                            .map(s -> s.name())
                            .toList();
                case SINK -> List.of();
            };
            if (!users.isEmpty()) {
                throw ApiException.conflict("cannot delete " + res.label() + " '" + name + "': it is used by sink(s) "
                        + String.join(", ", users) + "; delete or change those first");
            }
            StoredConfig.Draft draft = loaded.draft().copy();
            draft.remove(res.kind(), index);
            save(draft);
            ctx.json(Map.of("id", id.toString(), "deleted", true, "success", true));
        }
    }

    /** Sinks name their database and endpoint: a rename carries them along. */
    private static void renameReferences(StoredConfig.Draft draft, Kind kind, String oldName, String newName) {
        for (JsonNode sink : draft.section(Kind.SINK)) {
            switch (kind) {
                case DATABASE -> {
                    if (sink.get("database") instanceof JsonNode ref
                            && ref.isString()
                            && ref.asString().equals(oldName)) {
                        ((ObjectNode) sink).put("database", newName);
                    }
                }
                case HTTP_ENDPOINT -> {
                    if (sink.get("destination") instanceof ObjectNode d) {
                        Destinations.renameReferences(d, Destinations.HTTP_ENDPOINT, oldName, newName);
                    }
                }
                case SINK -> {}
            }
        }
    }

    private StoredConfig.Loaded save(StoredConfig.Draft draft) throws SQLException {
        StoredConfig.Loaded saved;
        try {
            saved = stored.save(draft);
        } catch (ConfigException e) {
            throw invalid(e, null, -1);
        }
        engine.apply(saved);
        return saved;
    }

    private static SluiceConfig validate(StoredConfig.Draft draft, Resource res, int index) {
        try {
            return StoredConfig.validate(draft);
        } catch (ConfigException e) {
            throw invalid(e, res, index);
        }
    }

    /** Problems of the entry being edited are named by their API field; others by their full path. */
    private static ApiException invalid(ConfigException e, @Nullable Resource res, int index) {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        String prefix = res == null ? null : res.kind().section + "[" + index + "]";
        for (ConfigException.Problem p : e.problems()) {
            String field = p.path();
            if (prefix != null && field.startsWith(prefix + ".")) {
                field = res.apiField(field.substring(prefix.length() + 1));
            } else if (prefix != null && field.equals(prefix)) {
                field = "";
            }
            errors.computeIfAbsent(field, k -> new ArrayList<>()).add(p.message());
        }
        return ApiException.invalid(errors);
    }

    private static void checkConnection(DatabaseConfig d) {
        String reason = ConnectionCheck.check(d, true);
        if (reason != null) {
            throw new ApiException(
                    422, reason, Map.of("connection", List.of(reason)), Map.of("success", false, "reason", reason));
        }
    }

    private static @Nullable String checkName(ObjectNode body, boolean required) {
        JsonNode n = body.get("name");
        if (n == null || n.isNull()) {
            if (required) {
                throw ApiException.invalid("name", "required");
            }
            return null;
        }
        if (!n.isString()) {
            throw ApiException.invalid("name", "expected a string, got " + Requests.kind(n));
        }
        String name = n.asString();
        if (!NAME.matcher(name).matches()) {
            throw ApiException.invalid(
                    "name",
                    "use 1 to 128 letters, digits, '_', '-' and '.', starting with a letter or digit; got '"
                            + Requests.clip(name) + "'");
        }
        return name;
    }

    private static int find(StoredConfig.Loaded loaded, Resource res, String idOrName) {
        int i = loaded.draft().indexOf(res.kind(), idOrName);
        if (i < 0) {
            throw ApiException.notFound(res.label(), Requests.clip(idOrName));
        }
        return i;
    }

    private static String name(StoredConfig.Loaded loaded, Kind kind, int index) {
        return loaded.draft().entry(kind, index).get("name").asString();
    }

    // ---- pagination --------------------------------------------------------------------------------------

    /** Where a page ends: rows are ordered by creation time, then id. */
    record Cursor(Instant insertedAt, UUID id) {
        String encode() {
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString((insertedAt + "|" + id).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        static Cursor decode(String text) {
            try {
                String raw = new String(Base64.getUrlDecoder().decode(text), java.nio.charset.StandardCharsets.UTF_8);
                int bar = raw.indexOf('|');
                return new Cursor(Instant.parse(raw.substring(0, bar)), UUID.fromString(raw.substring(bar + 1)));
            } catch (RuntimeException e) {
                throw ApiException.invalid("after", "not a cursor from a previous page's next_cursor");
            }
        }

        boolean before(Cursor other) {
            int c = insertedAt.compareTo(other.insertedAt);
            return c < 0 || c == 0 && id.toString().compareTo(other.id.toString()) < 0;
        }
    }

    static <T> void page(
            Context ctx,
            List<T> rows,
            java.util.function.Function<T, Cursor> cursorOf,
            java.util.function.Function<T, Object> render) {
        String limitText = ctx.queryParam("limit");
        String after = ctx.queryParam("after");
        Integer limit = null;
        if (limitText != null) {
            try {
                limit = Integer.parseInt(limitText.strip());
            } catch (NumberFormatException e) {
                throw ApiException.invalid("limit", "expected an integer, got '" + Requests.clip(limitText) + "'");
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw ApiException.invalid("limit", "must be between 1 and " + MAX_LIMIT + ", got " + limit);
            }
        }
        Cursor start = after == null || after.isEmpty() ? null : Cursor.decode(after);
        List<Object> data = new ArrayList<>();
        String next = null;
        for (T row : rows) {
            Cursor c = cursorOf.apply(row);
            if (start != null && !start.before(c)) {
                continue;
            }
            if (limit != null && data.size() == limit) {
                break;
            }
            data.add(render.apply(row));
            next = c.encode();
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("data", data);
        if (limit != null || start != null) {
            boolean more = false;
            if (next != null) {
                Cursor last = Cursor.decode(next);
                more = rows.stream().anyMatch(r -> last.before(cursorOf.apply(r)));
            }
            body.put("next_cursor", more ? next : null);
        }
        ctx.json(body);
    }

    // ---- database actions --------------------------------------------------------------------------------

    private void testConnection(Context ctx) throws SQLException {
        StoredConfig.Loaded loaded = stored.load();
        int i = find(loaded, databases, ctx.pathParam("id_or_name"));
        String reason = ConnectionCheck.check(loaded.config().databases().get(i), true);
        if (reason != null) {
            ctx.status(422).json(Map.of("success", false, "reason", reason, "summary", reason));
        } else {
            ctx.json(Map.of("success", true));
        }
    }

    private void testSink(Context ctx) throws SQLException, InterruptedException {
        StoredConfig.Loaded loaded = stored.load();
        int i = find(loaded, sinks, ctx.pathParam("id_or_name"));
        CheckResult result = loaded.config().sinks().get(i).destination().check(SINK_CHECK_TIMEOUT);
        String reason = result.detail();
        if (reason != null) {
            ctx.status(422).json(Map.of("success", false, "reason", reason, "summary", reason));
        } else {
            ctx.json(Map.of("success", true));
        }
    }

    private void refreshTables(Context ctx) throws SQLException {
        StoredConfig.Loaded loaded = stored.load();
        int i = find(loaded, databases, ctx.pathParam("id_or_name"));
        DatabaseConfig d = loaded.config().databases().get(i);
        try {
            ctx.json(Map.of("success", true, "tables", ConnectionCheck.publishedTables(d)));
        } catch (SQLException e) {
            String reason = dev.sluice.postgres.replication.SourceException.classify(
                            e, d.sourceSettings(), "reading the tables")
                    .getMessage();
            ctx.status(422).json(Map.of("success", false, "reason", reason, "summary", reason));
        }
    }

    // ---- api keys ----------------------------------------------------------------------------------------

    private static Map<String, Object> key(MetadataStore.ApiKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.id().toString());
        m.put("name", k.name());
        m.put("inserted_at", k.insertedAt().toString());
        return m;
    }

    private void listKeys(Context ctx) {
        List<MetadataStore.ApiKey> keys = tokens.list();
        page(ctx, keys, k -> new Cursor(k.insertedAt(), k.id()), ManagementApi::key);
    }

    private void createKey(Context ctx) throws SQLException {
        ObjectNode body = Requests.object(ctx);
        for (String f : body.propertyNames()) {
            if (!f.equals("name")) {
                throw ApiException.invalid(f, "unknown field; accepted: name");
            }
        }
        String name = Objects.requireNonNull(checkName(body, true));
        ApiTokens.Created created = tokens.create(name);
        if (created == null) {
            throw ApiException.conflict("an API key named '" + name + "' already exists");
        }
        Map<String, Object> out = key(created.key());
        out.put("token", created.token());
        ctx.status(201).json(out);
    }

    private void deleteKey(Context ctx) throws SQLException {
        String idOrName = ctx.pathParam("id_or_name");
        MetadataStore.ApiKey key = tokens.list().stream()
                .filter(k ->
                        k.id().toString().equalsIgnoreCase(idOrName) || k.name().equals(idOrName))
                .findFirst()
                .orElseThrow(() -> ApiException.notFound("API key", Requests.clip(idOrName)));
        if (tokens.list().size() == 1) {
            throw ApiException.conflict("cannot delete the last API key: create another one first");
        }
        tokens.delete(key.id());
        ctx.json(Map.of("id", key.id().toString(), "deleted", true, "success", true));
    }

    // ---- config plan / apply / export --------------------------------------------------------------------

    private void config(Context ctx, boolean apply) throws SQLException {
        String type = ctx.contentType() == null ? "" : Requests.mediaType(ctx.contentType());
        String yaml;
        boolean prune = Requests.flag(ctx, "prune");
        switch (type) {
            case "application/json" -> {
                ObjectNode body = Requests.object(ctx);
                for (String f : body.propertyNames()) {
                    if (!f.equals("yaml") && !f.equals("prune")) {
                        throw ApiException.invalid(f, "unknown field; accepted: yaml, prune");
                    }
                }
                JsonNode y = body.get("yaml");
                if (y == null || !y.isString()) {
                    throw ApiException.invalid("yaml", "required: the sluice.yaml text as a string");
                }
                JsonNode p = body.get("prune");
                if (p != null && !p.isNull() && !p.isBoolean()) {
                    throw ApiException.invalid("prune", "expected true or false, got " + Requests.kind(p));
                }
                prune |= p != null && p.asBoolean(false);
                yaml = y.asString();
            }
            case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain" ->
                yaml = Requests.text(ctx);
            default ->
                throw ApiException.badRequest(
                        "send the sluice.yaml as 'Content-Type: application/yaml', or as JSON {\"yaml\": \"...\"}");
        }
        SluiceConfig file;
        StoredConfig.Loaded current = stored.load();
        try {
            // The server's environment is not exposed through ${VAR}: every variable reads as unset, so a reference
            // is an error and ${VAR:-default} takes its default. Sinks may refer to stored databases and endpoints.
            file = ConfigLoader.parse(
                    yaml,
                    "request",
                    name -> null,
                    current.ids(Kind.DATABASE).keySet(),
                    current.config().httpEndpoints());
        } catch (ConfigException e) {
            Map<String, List<String>> errors = new LinkedHashMap<>();
            for (ConfigException.Problem p : e.problems()) {
                String where = p.line() > 0 ? "line " + p.line() + ":" + p.column() + ": " : "";
                errors.computeIfAbsent(p.path(), k -> new ArrayList<>()).add(where + p.message());
            }
            throw ApiException.invalid(errors);
        }
        synchronized (lock) {
            StoredConfig.Loaded loaded = stored.load();
            StoredConfig.Draft draft = StoredConfig.merge(loaded.draft(), file, prune);
            SluiceConfig merged;
            try {
                merged = StoredConfig.validate(draft);
            } catch (ConfigException e) {
                throw invalid(e, null, -1);
            }
            List<Map<String, Object>> changes = diff(loaded.draft(), draft);
            if (apply) {
                for (Map<String, Object> c : changes) {
                    if (c.get("resource_type").equals("database")
                            && !c.get("action").equals("delete")) {
                        String name = (String) c.get("name");
                        merged.databases().stream()
                                .filter(d -> d.name().equals(name))
                                .findFirst()
                                .ifPresent(ManagementApi::checkConnection);
                    }
                }
                StoredConfig.Loaded saved = save(draft);
                createInitialBackfills(loaded.sinkIds().keySet(), file, saved);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("changes", changes);
            out.put("applied", apply);
            ctx.json(out);
        }
    }

    /**
     * Creates the {@code initial_backfill} of each sink of {@code config} that was not among {@code before} (it was
     * just created); a backfill that cannot be created is logged and skipped.
     */
    public void createInitialBackfills(java.util.Set<String> before, SluiceConfig config, StoredConfig.Loaded saved)
            throws SQLException {
        for (SinkConfig s : config.sinks()) {
            InitialBackfill b = s.initialBackfill();
            int at = saved.draft().indexOf(Kind.SINK, s.name());
            if (b == null || before.contains(s.name()) || at < 0) {
                continue;
            }
            SinkConfig now = saved.config().sinks().get(at);
            UUID dbId = saved.databaseIds().get(now.database());
            try {
                backfills.insert(
                        new BackfillsApi.SinkRef(saved.draft().id(Kind.SINK, at), dbId, now),
                        backfills.check(now, dbId, b));
            } catch (ApiException e) {
                log.warn("sink {}: cannot create its initial backfill: {}", s.name(), e.getMessage());
            }
        }
    }

    private static List<Map<String, Object>> diff(StoredConfig.Draft before, StoredConfig.Draft after) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Kind k : List.of(Kind.DATABASE, Kind.HTTP_ENDPOINT, Kind.SINK)) {
            String type = switch (k) {
                case DATABASE -> "database";
                case HTTP_ENDPOINT -> "http_endpoint";
                case SINK -> "sink";
            };
            Map<String, JsonNode> old = byName(before.section(k));
            Map<String, JsonNode> now = byName(after.section(k));
            now.forEach((name, entry) -> {
                JsonNode was = old.get(name);
                if (was == null) {
                    out.add(change("create", type, name, List.of()));
                } else if (!was.equals(entry)) {
                    List<String> fields = new ArrayList<>();
                    java.util.Set<String> keys = new java.util.TreeSet<>(was.propertyNames());
                    keys.addAll(entry.propertyNames());
                    for (String key : keys) {
                        if (!Objects.equals(was.get(key), entry.get(key))) {
                            fields.add(key);
                        }
                    }
                    out.add(change("update", type, name, fields));
                }
            });
            old.keySet().stream()
                    .filter(n -> !now.containsKey(n))
                    .forEach(n -> out.add(change("delete", type, n, List.of())));
        }
        return out;
    }

    private static Map<String, JsonNode> byName(ArrayNode section) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        // Through text and back, so that numbers compare by value (an int read back equals the long written).
        section.forEach(e -> out.put(e.get("name").asString(), Requests.JSON.readTree(e.toString())));
        return out;
    }

    private static Map<String, Object> change(String action, String type, String name, List<String> fields) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("action", action);
        m.put("resource_type", type);
        m.put("name", name);
        if (action.equals("update")) {
            m.put("changed_fields", fields);
        }
        return m;
    }

    private void export(Context ctx) throws SQLException {
        boolean show = Requests.flag(ctx, "show_sensitive");
        ObjectNode doc = stored.load().draft().document().deepCopy();
        if (!show) {
            StoredConfig.maskSecrets(doc, Obfuscate.MASK);
        }
        // '$' is literal in the store; in a file it starts a ${VAR} reference.
        String yaml = new YAMLMapper().writeValueAsString(escapeDollars(doc));
        ctx.json(Map.of("yaml", yaml));
    }

    private static JsonNode escapeDollars(JsonNode node) {
        if (node instanceof ObjectNode o) {
            for (String key : List.copyOf(o.propertyNames())) {
                o.set(key, escapeDollars(o.get(key)));
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, escapeDollars(a.get(i)));
            }
        } else if (node.isString() && node.asString().contains("$")) {
            return Requests.JSON.getNodeFactory().stringNode(node.asString().replace("$", "$$"));
        }
        return node;
    }
}
