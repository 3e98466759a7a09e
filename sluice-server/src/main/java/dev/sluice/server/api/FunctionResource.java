package dev.sluice.server.api;

import dev.sluice.functions.FunctionSpec;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.ConfigSnapshot.Meta;
import dev.sluice.server.store.Kind;
import java.util.Set;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /api/functions}: the same keys as the yaml's {@code functions} entries, plus {@code id}, the sinks using each
 * function and timestamps. Sequin has no functions API; its yaml keys are kept.
 */
final class FunctionResource implements Resource {
    private static final Set<String> READ_ONLY = Set.of("id", "used_by", "inserted_at", "updated_at");

    @Override
    public Kind kind() {
        return Kind.FUNCTION;
    }

    @Override
    public String label() {
        return "function";
    }

    @Override
    public Set<String> readOnly() {
        return READ_ONLY;
    }

    @Override
    public IntFunction<ObjectNode> renderer(ConfigSnapshot snapshot, SluiceConfig view) {
        return index -> render(view.functions().get(index), snapshot.meta(Kind.FUNCTION, index), view);
    }

    static ObjectNode render(FunctionSpec f, Meta meta, SluiceConfig view) {
        ObjectNode n = Requests.JSON.createObjectNode();
        n.put("id", meta.id().toString());
        n.put("name", f.name());
        n.put("description", f.description());
        n.put("type", f.type().wire());
        n.put("code", f.code());
        n.put("path", f.path());
        n.put("sink_type", f.sinkType());
        ArrayNode used = n.putArray("used_by");
        for (SinkConfig s : view.sinks()) {
            if (s.functions().uses(f.name())) {
                used.add(s.name());
            }
        }
        n.put("inserted_at", meta.insertedAt().toString());
        n.put("updated_at", meta.updatedAt().toString());
        return n;
    }

    @Override
    public ObjectNode toEntry(ObjectNode body, @Nullable ObjectNode existing, ConfigSnapshot snapshot) {
        ObjectNode entry = existing == null ? Requests.JSON.createObjectNode() : existing.deepCopy();
        for (var e : body.properties()) {
            if (READ_ONLY.contains(e.getKey())) {
                continue;
            }
            if (e.getValue().isNull()) {
                entry.remove(e.getKey()); // null clears an optional key (description, sink_type)
            } else {
                entry.set(e.getKey(), e.getValue());
            }
        }
        // Changing the type of a code function to path (or back) replaces what defines it.
        if (body.has("path")
                && !body.has("code")
                && body.path("type").asString("").equals("path")) {
            entry.remove("code");
        } else if (body.has("code") && !body.has("path") && body.has("type")) {
            entry.remove("path");
        }
        return entry;
    }
}
