package dev.sluice.server.store;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A copy of the whole configuration: the yaml-shaped document and, per section, the id of each entry (null for an
 * entry not saved yet). An editable one ({@link ConfigSnapshot#editable()}) holds the secrets in clear; a snapshot's
 * own holds masks. Not thread-safe: each change works on its own copy.
 */
public final class Draft {
    private final ObjectNode doc;
    private final Map<Kind, List<@Nullable UUID>> ids = new EnumMap<>(Kind.class);

    Draft(ObjectNode doc) {
        this.doc = doc;
        for (Kind k : Kind.values()) {
            if (!(doc.get(k.section) instanceof ArrayNode)) {
                doc.putArray(k.section);
            }
            ids.put(k, new ArrayList<>(Collections.nCopies(doc.get(k.section).size(), null)));
        }
    }

    public Draft copy() {
        Draft d = new Draft(doc.deepCopy());
        ids.forEach((k, v) -> d.ids.put(k, new ArrayList<>(v)));
        return d;
    }

    /** The whole document; do not add or remove entries through it (use {@link #put}/{@link #remove}). */
    public ObjectNode document() {
        return doc;
    }

    public ArrayNode section(Kind kind) {
        return (ArrayNode) doc.get(kind.section);
    }

    public ObjectNode entry(Kind kind, int index) {
        return (ObjectNode) section(kind).get(index);
    }

    public @Nullable UUID id(Kind kind, int index) {
        return ids.get(kind).get(index);
    }

    /** The index of the entry with this id or name, or -1. */
    public int indexOf(Kind kind, String idOrName) {
        ArrayNode a = section(kind);
        for (int i = 0; i < a.size(); i++) {
            UUID id = ids.get(kind).get(i);
            if (id != null && id.toString().equalsIgnoreCase(idOrName)) {
                return i;
            }
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).get("name") instanceof JsonNode n
                    && n.isString()
                    && n.asString().equals(idOrName)) {
                return i;
            }
        }
        return -1;
    }

    /** Replaces the entry at {@code index}, or appends a new one when index is -1; returns its index. */
    public int put(Kind kind, int index, ObjectNode spec) {
        if (index < 0) {
            section(kind).add(spec);
            ids.get(kind).add(null);
            return section(kind).size() - 1;
        }
        section(kind).set(index, spec);
        return index;
    }

    public void remove(Kind kind, int index) {
        section(kind).remove(index);
        ids.get(kind).remove(index);
    }

    void setId(Kind kind, int index, UUID id) {
        ids.get(kind).set(index, id);
    }
}
