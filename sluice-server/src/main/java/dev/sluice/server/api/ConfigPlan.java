package dev.sluice.server.api;

import dev.sluice.server.config.InitialBackfill;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.store.Draft;
import dev.sluice.server.store.Kind;
import dev.sluice.server.store.Masks;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a config apply changes, in Sequin's plan shape ({@code resource_type}, {@code action}, {@code new},
 * {@code old}, secrets masked) plus Sluice's {@code name} and {@code changed_fields}, and the follow-up
 * {@code actions} (backfills, API tokens) that are not resources of the document.
 */
final class ConfigPlan {
    private ConfigPlan() {}

    static String resourceType(Kind k) {
        return switch (k) {
            case DATABASE -> "database";
            case HTTP_ENDPOINT -> "http_endpoint";
            case FUNCTION -> "function";
            case SINK -> "sink";
        };
    }

    /** The changes from {@code before} to {@code after}, both editable (secrets in clear). */
    static List<Map<String, Object>> changes(Draft before, Draft after) {
        ObjectNode beforeMasked = masked(before);
        ObjectNode afterMasked = masked(after);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Kind k : List.of(Kind.DATABASE, Kind.HTTP_ENDPOINT, Kind.FUNCTION, Kind.SINK)) {
            String type = resourceType(k);
            Map<String, Integer> old = byName(before.section(k));
            Map<String, Integer> now = byName(after.section(k));
            now.forEach((name, at) -> {
                Integer was = old.get(name);
                JsonNode newEntry = shown(afterMasked, k, at, after.id(k, at));
                if (was == null) {
                    out.add(change("create", type, name, List.of(), newEntry, null));
                    return;
                }
                JsonNode a = canonical(before.entry(k, was));
                JsonNode b = canonical(after.entry(k, at));
                if (!a.equals(b)) {
                    List<String> fields = new ArrayList<>();
                    Set<String> keys = new TreeSet<>(a.propertyNames());
                    keys.addAll(b.propertyNames());
                    for (String key : keys) {
                        if (!Objects.equals(a.get(key), b.get(key))) {
                            fields.add(key);
                        }
                    }
                    JsonNode oldEntry = shown(beforeMasked, k, was, before.id(k, was));
                    if (newEntry instanceof ObjectNode o && oldEntry.get("id") != null) {
                        o.set("id", oldEntry.get("id")); // an update keeps the id
                    }
                    out.add(change("update", type, name, fields, newEntry, oldEntry));
                }
            });
            old.forEach((name, at) -> {
                if (!now.containsKey(name)) {
                    out.add(change(
                            "delete", type, name, List.of(), null, shown(beforeMasked, k, at, before.id(k, at))));
                }
            });
        }
        return out;
    }

    /** Follow-up actions of an apply: the initial backfills of sinks it creates and the API tokens it sets. */
    static List<Map<String, Object>> actions(List<Map<String, Object>> changes, SluiceConfig file) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (SinkConfig s : file.sinks()) {
            boolean created = changes.stream()
                    .anyMatch(c -> c.get("resource_type").equals("sink")
                            && c.get("action").equals("create")
                            && c.get("name").equals(s.name()));
            if (!created) {
                continue;
            }
            for (InitialBackfill b : s.initialBackfills()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("action", "create");
                m.put("resource_type", "backfill");
                m.put("sink", s.name());
                m.put("table", b.table() == null ? null : b.table().toString());
                out.add(m);
            }
        }
        file.apiTokens().forEach(t -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("action", "upsert");
            m.put("resource_type", "api_token");
            m.put("name", t.name());
            out.add(m);
        });
        return out;
    }

    private static ObjectNode masked(Draft d) {
        ObjectNode doc = d.document().deepCopy();
        Masks.maskDocument(doc);
        return doc;
    }

    private static JsonNode shown(ObjectNode maskedDoc, Kind k, int at, @Nullable UUID id) {
        ObjectNode entry = Requests.JSON.createObjectNode();
        if (id != null) {
            entry.put("id", id.toString());
        }
        entry.setAll((ObjectNode) maskedDoc.withArray(k.section).get(at));
        return entry;
    }

    private static Map<String, Integer> byName(ArrayNode section) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (int i = 0; i < section.size(); i++) {
            out.put(section.get(i).get("name").asString(), i);
        }
        return out;
    }

    // Through text and back, so that numbers compare by value (an int read back equals the long written).
    private static JsonNode canonical(JsonNode entry) {
        return Requests.JSON.readTree(entry.toString());
    }

    private static Map<String, Object> change(
            String action,
            String type,
            String name,
            List<String> fields,
            @Nullable JsonNode newEntry,
            @Nullable JsonNode oldEntry) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("resource_type", type);
        m.put("action", action);
        m.put("new", newEntry);
        m.put("old", oldEntry);
        m.put("name", name);
        if (action.equals("update")) {
            m.put("changed_fields", fields);
        }
        return m;
    }
}
