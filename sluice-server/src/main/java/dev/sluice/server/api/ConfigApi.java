package dev.sluice.server.api;

import dev.sluice.server.config.ConfigException;
import dev.sluice.server.config.ConfigLoader;
import dev.sluice.server.config.InitialBackfill;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Draft;
import dev.sluice.server.store.Kind;
import dev.sluice.server.store.StoredConfig;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * {@code /api/config/plan|apply|export}: a sluice.yaml applied on top of the stored configuration (its entries
 * replace those of the same name; {@code prune} removes the others), and the stored configuration as one file.
 */
final class ConfigApi {
    private static final Logger log = LoggerFactory.getLogger(ConfigApi.class);

    private final StoredConfig stored;
    private final ConfigWriter writer;
    private final BackfillsApi backfills;

    ConfigApi(StoredConfig stored, ConfigWriter writer, BackfillsApi backfills) {
        this.stored = stored;
        this.writer = writer;
        this.backfills = backfills;
    }

    void routes(List<ManagementApi.Route> out) {
        out.add(new ManagementApi.Route("POST", "/api/config/plan", ctx -> config(ctx, false)));
        out.add(new ManagementApi.Route("POST", "/api/config/apply", ctx -> config(ctx, true)));
        out.add(new ManagementApi.Route("GET", "/api/config/export", this::export));
    }

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
        ConfigSnapshot current = stored.snapshot();
        try {
            // The server's environment is not exposed through ${VAR}: every variable reads as unset, so a reference
            // is an error and ${VAR:-default} takes its default. Sinks may refer to stored databases and endpoints.
            file = ConfigLoader.parse(
                    yaml,
                    "request",
                    name -> null,
                    current.ids(Kind.DATABASE).keySet(),
                    // Only to resolve the file's references: masked header values do as well as the real ones.
                    current.config().httpEndpoints());
        } catch (ConfigException e) {
            Map<String, List<String>> errors = new LinkedHashMap<>();
            for (ConfigException.Problem p : e.problems()) {
                String where = p.line() > 0 ? "line " + p.line() + ":" + p.column() + ": " : "";
                errors.computeIfAbsent(p.path(), k -> new ArrayList<>()).add(where + p.message());
            }
            throw ApiException.invalid(errors);
        }
        synchronized (writer.lock()) {
            ConfigSnapshot loaded = stored.snapshot();
            Draft base = loaded.editable();
            Draft draft = StoredConfig.merge(base, file, prune);
            SluiceConfig merged;
            try {
                merged = StoredConfig.validate(draft);
            } catch (ConfigException e) {
                throw ConfigWriter.invalid(e, null, -1);
            }
            List<Map<String, Object>> changes = diff(base, draft);
            if (apply) {
                for (Map<String, Object> c : changes) {
                    if (c.get("resource_type").equals("database")
                            && !c.get("action").equals("delete")) {
                        String name = (String) c.get("name");
                        merged.databases().stream()
                                .filter(d -> d.name().equals(name))
                                .findFirst()
                                .ifPresent(ChecksApi::checkConnection);
                    }
                }
                ConfigSnapshot saved = writer.save(draft);
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
    void createInitialBackfills(Set<String> before, SluiceConfig config, ConfigSnapshot saved) throws SQLException {
        for (SinkConfig s : config.sinks()) {
            InitialBackfill b = s.initialBackfill();
            int at = saved.indexOf(Kind.SINK, s.name());
            if (b == null || before.contains(s.name()) || at < 0) {
                continue;
            }
            SinkLookup.SinkRef sink = SinkLookup.at(saved, at);
            try {
                backfills.insert(sink, backfills.check(sink.config(), sink.databaseId(), b));
            } catch (ApiException e) {
                log.warn("sink {}: cannot create its initial backfill: {}", s.name(), e.getMessage());
            }
        }
    }

    private static List<Map<String, Object>> diff(Draft before, Draft after) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Kind k : List.of(Kind.DATABASE, Kind.HTTP_ENDPOINT, Kind.FUNCTION, Kind.SINK)) {
            String type = switch (k) {
                case DATABASE -> "database";
                case HTTP_ENDPOINT -> "http_endpoint";
                case FUNCTION -> "function";
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

    private void export(Context ctx) {
        boolean show = Requests.flag(ctx, "show_sensitive");
        ConfigSnapshot s = stored.snapshot();
        // The snapshot's document has its secrets masked already.
        ObjectNode doc = show ? s.revealedDocument() : s.document().deepCopy();
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
