package dev.sluice.server.api;

import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.PrimaryConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import dev.sluice.server.store.Masks;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /api/postgres_databases}: Sequin's shape, where the slot and publication are one entry of
 * {@code replication_slots}; stored as the yaml's {@code slot} and {@code publication} blocks.
 */
final class DatabaseResource implements Resource {
    private static final Set<String> READ_ONLY = Set.of("id", "use_local_tunnel", "queue_interval", "queue_target");
    private static final List<String> CONNECTION_KEYS = List.of("hostname", "port", "database", "username", "password");
    private static final List<String> SLOT_KEYS =
            List.of("publication_name", "slot_name", "create_if_not_exists", "id", "status");

    @Override
    public Kind kind() {
        return Kind.DATABASE;
    }

    @Override
    public String label() {
        return "postgres database";
    }

    @Override
    public Set<String> readOnly() {
        return READ_ONLY;
    }

    @Override
    public IntFunction<ObjectNode> renderer(ConfigSnapshot snapshot, SluiceConfig view) {
        return index -> render(view.databases().get(index), snapshot.id(Kind.DATABASE, index));
    }

    private static ObjectNode render(DatabaseConfig d, UUID id) {
        ObjectNode n = Requests.JSON.createObjectNode();
        n.put("id", String.valueOf(id));
        n.put("name", d.name());
        n.put("hostname", d.hostname());
        n.put("port", d.port());
        n.put("database", d.database());
        n.put("username", d.username());
        if (d.password() == null) {
            n.putNull("password");
        } else {
            n.put("password", d.password());
        }
        n.put("ssl", d.ssl());
        n.put("ipv6", d.ipv6());
        n.put("use_local_tunnel", false);
        n.put("pool_size", d.poolSize());
        n.put("heartbeat_interval_ms", d.heartbeatInterval().toMillis());
        n.put("queue_interval", 1000);
        n.put("queue_target", 50);
        if (d.primary() == null) {
            n.putNull("primary");
        } else {
            PrimaryConfig p = d.primary();
            ObjectNode pn = n.putObject("primary")
                    .put("hostname", p.hostname())
                    .put("port", p.port())
                    .put("database", p.database())
                    .put("username", p.username());
            if (p.password() == null) {
                pn.putNull("password");
            } else {
                pn.put("password", p.password());
            }
            pn.put("ssl", p.ssl());
            pn.put("ipv6", p.ipv6());
        }
        n.set("annotations", Requests.JSON.readTree(d.annotationsJson()));
        ArrayNode slots = n.putArray("replication_slots");
        slots.addObject()
                .put("id", slotId(id).toString())
                .put("publication_name", d.publication().name())
                .put("slot_name", d.slot().name())
                .put("status", d.slot().enabled() ? "active" : "disabled")
                .put("create_if_not_exists", d.slot().createIfNotExists());
        return n;
    }

    /** A stable id for a database's one replication slot entry. */
    static UUID slotId(@Nullable UUID databaseId) {
        return UUID.nameUUIDFromBytes(("replication_slot:" + databaseId).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public ObjectNode toEntry(ObjectNode body, @Nullable ObjectNode existing, ConfigSnapshot snapshot) {
        ObjectNode entry = existing == null ? Requests.JSON.createObjectNode() : existing.deepCopy();
        if (body.has("url") && existing != null) {
            // A URL replaces the whole connection, so the stored parts must not linger beside it.
            CONNECTION_KEYS.forEach(entry::remove);
            entry.remove("ssl");
        }
        for (var e : body.properties()) {
            String key = e.getKey();
            if (READ_ONLY.contains(key)) {
                continue;
            }
            if (key.equals("replication_slots")) {
                slots(e.getValue(), entry);
            } else if (key.equals("primary")
                    && e.getValue() instanceof ObjectNode given
                    && !given.has("url")
                    && entry.get("primary") instanceof ObjectNode stored
                    && !stored.has("url")) {
                // Sequin's update example sends only the primary's new hostname: the rest is kept.
                ObjectNode merged = stored.deepCopy();
                given.properties().forEach(p -> merged.set(p.getKey(), p.getValue()));
                entry.set("primary", merged);
            } else {
                entry.set(key, e.getValue());
            }
        }
        Masks.keepMasked(entry, existing);
        return entry;
    }

    private static void slots(JsonNode value, ObjectNode entry) {
        if (value.isNull()) {
            return;
        }
        if (!(value instanceof ArrayNode a)) {
            throw ApiException.invalid("replication_slots", "expected an array, got " + Requests.kind(value));
        }
        if (a.size() != 1) {
            throw ApiException.invalid(
                    "replication_slots",
                    "give exactly one {publication_name, slot_name}: Sluice reads one slot per database, got "
                            + a.size());
        }
        if (!(a.get(0) instanceof ObjectNode slot)) {
            throw ApiException.invalid("replication_slots[0]", "expected an object, got " + Requests.kind(a.get(0)));
        }
        for (String key : slot.propertyNames()) {
            if (!SLOT_KEYS.contains(key)) {
                throw ApiException.invalid(
                        "replication_slots[0]." + key,
                        "unknown field; accepted: publication_name, slot_name, create_if_not_exists");
            }
        }
        ObjectNode s = entry.get("slot") instanceof ObjectNode o ? o : entry.putObject("slot");
        ObjectNode p = entry.get("publication") instanceof ObjectNode o ? o : entry.putObject("publication");
        entry.remove("slot_name");
        entry.remove("publication_name");
        if (slot.has("slot_name")) {
            s.set("name", slot.get("slot_name"));
        }
        if (slot.has("publication_name")) {
            p.set("name", slot.get("publication_name"));
        }
        if (slot.has("create_if_not_exists")) {
            s.set("create_if_not_exists", slot.get("create_if_not_exists"));
            p.set("create_if_not_exists", slot.get("create_if_not_exists"));
        }
        if (slot.get("status") instanceof JsonNode status && !status.isNull()) {
            // Sequin's switch: a disabled slot is not read; validated with the rest of the entry.
            s.set("status", status);
        }
    }

    @Override
    public String apiField(String entryPath) {
        return switch (entryPath) {
            case "slot.name", "slot_name" -> "replication_slots[0].slot_name";
            case "publication.name", "publication_name" -> "replication_slots[0].publication_name";
            case "slot.create_if_not_exists", "publication.create_if_not_exists" ->
                "replication_slots[0].create_if_not_exists";
            case "slot.status" -> "replication_slots[0].status";
            default -> entryPath;
        };
    }
}
