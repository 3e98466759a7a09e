package dev.sluice.server.api;

import dev.sluice.server.config.ApiTokenConfig;
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
    private final ApiTokens tokens;

    ConfigApi(StoredConfig stored, ConfigWriter writer, BackfillsApi backfills, ApiTokens tokens) {
        this.stored = stored;
        this.writer = writer;
        this.backfills = backfills;
        this.tokens = tokens;
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
            ConfigSnapshot loaded = writer.fresh();
            Draft base = loaded.editable();
            Draft draft = StoredConfig.merge(base, file, prune);
            SluiceConfig merged;
            try {
                merged = StoredConfig.validate(draft);
            } catch (ConfigException e) {
                throw ConfigWriter.invalid(e, null, -1);
            }
            List<Map<String, Object>> changes = ConfigPlan.changes(base, draft);
            checkColumnSelections(changes, merged);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("changes", changes);
            out.put("actions", ConfigPlan.actions(changes, file));
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
                for (ApiTokenConfig t : file.apiTokens()) {
                    tokens.ensure(t.name(), t.token());
                }
                out.put("resources", resources(saved, file));
            }
            out.put("applied", apply);
            ctx.json(out);
        }
    }

    /**
     * A 422 when a sink the change creates or updates selects columns its database's table lacks, or drops a
     * primary key column; checked only when the database can be read (else a warning is logged).
     */
    private static void checkColumnSelections(List<Map<String, Object>> changes, SluiceConfig merged) {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        for (Map<String, Object> c : changes) {
            if (!c.get("resource_type").equals("sink") || c.get("action").equals("delete")) {
                continue;
            }
            for (int i = 0; i < merged.sinks().size(); i++) {
                SinkConfig sink = merged.sinks().get(i);
                if (!sink.name().equals(c.get("name"))) {
                    continue;
                }
                String prefix = "sinks[" + i + "].";
                merged.databases().stream()
                        .filter(d -> d.name().equals(sink.database()))
                        .findFirst()
                        .ifPresent(d -> ColumnSelectionCheck.problems(sink, d, new ArrayList<>())
                                .forEach((field, messages) -> errors.computeIfAbsent(
                                                prefix + field, k -> new ArrayList<>())
                                        .addAll(messages)));
            }
        }
        if (!errors.isEmpty()) {
            throw ApiException.invalid(errors);
        }
    }

    /**
     * Creates the {@code initial_backfill} of each sink of {@code config} that was not among {@code before} (it was
     * just created); a backfill that cannot be created is logged and skipped.
     */
    void createInitialBackfills(Set<String> before, SluiceConfig config, ConfigSnapshot saved) throws SQLException {
        for (SinkConfig s : config.sinks()) {
            int at = saved.indexOf(Kind.SINK, s.name());
            if (before.contains(s.name()) || at < 0) {
                continue;
            }
            SinkLookup.SinkRef sink = SinkLookup.at(saved, at);
            for (InitialBackfill b : s.initialBackfills()) {
                try {
                    backfills.insert(sink, backfills.check(sink.config(), sink.databaseId(), b));
                } catch (ApiException e) {
                    log.warn("sink {}: cannot create its initial backfill: {}", s.name(), e.getMessage());
                }
            }
        }
    }

    /**
     * The resources the document names, as stored after the apply (secrets masked), each with its id and
     * {@code resource_type}: Sequin's apply answer.
     */
    private static List<ObjectNode> resources(ConfigSnapshot saved, SluiceConfig file) {
        Map<Kind, List<String>> named = new LinkedHashMap<>();
        named.put(Kind.DATABASE, file.databases().stream().map(d -> d.name()).toList());
        named.put(
                Kind.HTTP_ENDPOINT,
                file.httpEndpoints().stream().map(e -> e.name()).toList());
        named.put(Kind.FUNCTION, file.functions().stream().map(f -> f.name()).toList());
        named.put(Kind.SINK, file.sinks().stream().map(s -> s.name()).toList());
        List<ObjectNode> out = new ArrayList<>();
        named.forEach((kind, names) -> {
            for (String name : names) {
                int at = saved.indexOf(kind, name);
                if (at < 0) {
                    continue;
                }
                ObjectNode r = Requests.JSON.createObjectNode();
                r.put("id", saved.id(kind, at).toString());
                r.put("resource_type", ConfigPlan.resourceType(kind));
                r.setAll((ObjectNode) saved.document().withArray(kind.section).get(at));
                out.add(r);
            }
        });
        return out;
    }

    private void export(Context ctx) {
        // Sequin's CLI sends show-sensitive; Sluice's other routes spell it show_sensitive. Both work here.
        boolean show = Requests.flag(ctx, "show_sensitive") || Requests.flag(ctx, "show-sensitive");
        ConfigSnapshot s = stored.snapshot();
        // The snapshot's document has its secrets masked already.
        ObjectNode doc = show ? s.revealedDocument() : s.document().deepCopy();
        // '$' is literal in the store; in a file it starts a ${VAR} reference.
        String yaml = new YAMLMapper().writeValueAsString(escapeDollars(doc));
        ctx.json(Map.of("yaml", yaml));
    }

    /** One entry of the stored configuration as sluice.yaml would have it, alone in its section; secrets masked. */
    static String entryYaml(ConfigSnapshot s, Kind kind, int index) {
        ObjectNode doc = Requests.JSON.createObjectNode();
        doc.putArray(kind.section)
                .add(s.document().withArray(kind.section).get(index).deepCopy());
        return new YAMLMapper().writeValueAsString(escapeDollars(doc));
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
