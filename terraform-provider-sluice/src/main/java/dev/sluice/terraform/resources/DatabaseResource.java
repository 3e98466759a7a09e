package dev.sluice.terraform.resources;

import static dev.sluice.terraform.schema.Attribute.Presence.OPTIONAL;
import static dev.sluice.terraform.schema.Attribute.Presence.REQUIRED;

import dev.sluice.terraform.api.SluiceApi;
import dev.sluice.terraform.schema.Attribute;
import dev.sluice.terraform.schema.Schema;
import dev.sluice.terraform.wire.TfType;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code sluice_database}, and the seeds' {@code sequin_database} with the same schema: a source Postgres database
 * with its replication slots ({@code /api/postgres_databases}).
 *
 * <p>No drift: passwords and the URL are never read back (the API masks them), so the state keeps what was applied;
 * {@code hostname}, {@code database} and {@code username} are computed as well as optional, so that a database given
 * by {@code url} reads them back without an inconsistent plan; {@code port}, {@code ssl} and {@code ipv6} are planned
 * with the server's defaults (5432, true, false) instead of unknowns sent as zeros.
 */
final class DatabaseResource extends RestResource {
    static final Schema SCHEMA = new Schema(
            0,
            "A source Postgres database and its replication slots.",
            List.of(
                    Attribute.computed("id", TfType.STRING, "The database's ID."),
                    Attribute.required("name", TfType.STRING, "Unique name."),
                    Attribute.optional(
                                    "url",
                                    TfType.STRING,
                                    "postgres://user:password@host:port/db, instead of the parts.")
                            .asSensitive(),
                    Attribute.optionalComputed("hostname", TfType.STRING, "Host name or address."),
                    Attribute.optionalComputed("database", TfType.STRING, "Database name."),
                    Attribute.optionalComputed("username", TfType.STRING, "User name."),
                    Attribute.optional("password", TfType.STRING, "Password.").asSensitive(),
                    Attribute.optional("port", TfType.NUMBER, "Port; 5432 when unset.")
                            .withDefault(BigDecimal.valueOf(5432)),
                    Attribute.optional("ssl", TfType.BOOL, "Whether to connect with TLS; true when unset.")
                            .withDefault(Boolean.TRUE),
                    Attribute.optional("ipv6", TfType.BOOL, "Whether to connect over IPv6; false when unset.")
                            .withDefault(Boolean.FALSE),
                    Attribute.nested(
                            "replication_slots",
                            REQUIRED,
                            Attribute.Nesting.LIST,
                            "The replication slot Sluice reads, and its publication.",
                            Attribute.computed("id", TfType.STRING, "The slot's ID."),
                            Attribute.required("publication_name", TfType.STRING, "Publication of the tables."),
                            Attribute.required("slot_name", TfType.STRING, "Logical replication slot."),
                            Attribute.optionalComputed("status", TfType.STRING, "active or disabled.")),
                    Attribute.nested(
                            "primary",
                            OPTIONAL,
                            Attribute.Nesting.SINGLE,
                            "For a database that is a replica: its primary.",
                            Attribute.required("hostname", TfType.STRING, "Primary's host."),
                            Attribute.required("database", TfType.STRING, "Primary's database."),
                            Attribute.required("username", TfType.STRING, "Primary's user."),
                            Attribute.required("password", TfType.STRING, "Primary's password.")
                                    .asSensitive(),
                            Attribute.optional("port", TfType.NUMBER, "Primary's port."),
                            Attribute.optional("ssl", TfType.BOOL, "Whether to connect to the primary with TLS.")),
                    Attribute.computed("use_local_tunnel", TfType.BOOL, "Sequin's."),
                    Attribute.computed("pool_size", TfType.NUMBER, "Connections to the database."),
                    Attribute.computed("queue_interval", TfType.NUMBER, "Sequin's pool setting."),
                    Attribute.computed("queue_target", TfType.NUMBER, "Sequin's pool setting.")));

    DatabaseResource(String typeName) {
        super(typeName, "/api/postgres_databases", SCHEMA);
    }

    @Override
    @SuppressWarnings("unchecked")
    ObjectNode body(Map<String, @Nullable Object> s, boolean update) {
        ObjectNode b = SluiceApi.JSON.createObjectNode();
        Values.copy(b, s, "name", "url", "hostname", "database", "username", "password", "port", "ssl", "ipv6");
        ArrayNode slots = b.putArray("replication_slots");
        for (Object o : (List<Object>) s.getOrDefault("replication_slots", List.of())) {
            Map<String, @Nullable Object> slot = (Map<String, @Nullable Object>) o;
            ObjectNode n = slots.addObject();
            Values.copy(n, slot, "id", "publication_name", "slot_name", "status");
        }
        if (s.get("primary") instanceof Map<?, ?> p) {
            Values.copy(
                    b.putObject("primary"),
                    (Map<String, @Nullable Object>) p,
                    "hostname",
                    "database",
                    "username",
                    "password",
                    "port",
                    "ssl");
        }
        return b;
    }

    /** The state from the API's answer, keeping the secrets (and the URL) of {@code known}. */
    @Override
    @SuppressWarnings("unchecked")
    Map<String, @Nullable Object> state(SluiceApi api, JsonNode d, Map<String, @Nullable Object> known) {
        Map<String, @Nullable Object> s = new LinkedHashMap<>();
        s.put("id", Values.text(d, "id"));
        s.put("name", Values.text(d, "name"));
        s.put("url", known.get("url"));
        s.put("hostname", Values.text(d, "hostname"));
        s.put("database", Values.text(d, "database"));
        s.put("username", Values.text(d, "username"));
        s.put("password", known.get("password"));
        s.put("port", Values.number(d, "port"));
        s.put("ssl", Values.bool(d, "ssl"));
        s.put("ipv6", Values.bool(d, "ipv6") == null ? Boolean.FALSE : Values.bool(d, "ipv6"));
        List<Object> slots = new ArrayList<>();
        for (JsonNode r : d.path("replication_slots")) {
            Map<String, @Nullable Object> slot = new LinkedHashMap<>();
            slot.put("id", Values.text(r, "id"));
            slot.put("publication_name", Values.text(r, "publication_name"));
            slot.put("slot_name", Values.text(r, "slot_name"));
            slot.put("status", Values.text(r, "status"));
            slots.add(slot);
        }
        s.put("replication_slots", slots);
        JsonNode p = d.path("primary");
        if (p.isObject()) {
            Map<String, @Nullable Object> knownPrimary =
                    known.get("primary") instanceof Map<?, ?> m ? (Map<String, @Nullable Object>) m : Map.of();
            Map<String, @Nullable Object> primary = new LinkedHashMap<>();
            primary.put("hostname", Values.text(p, "hostname"));
            primary.put("database", Values.text(p, "database"));
            primary.put("username", Values.text(p, "username"));
            primary.put("password", knownPrimary.get("password"));
            // Optional without a default: read back only what the configuration set, so a server default is no change.
            primary.put("port", knownPrimary.get("port") == null && !known.isEmpty() ? null : Values.number(p, "port"));
            primary.put("ssl", knownPrimary.get("ssl") == null && !known.isEmpty() ? null : Values.bool(p, "ssl"));
            s.put("primary", primary);
        } else {
            s.put("primary", null);
        }
        s.put("use_local_tunnel", Values.bool(d, "use_local_tunnel"));
        s.put("pool_size", Values.number(d, "pool_size"));
        s.put("queue_interval", Values.number(d, "queue_interval"));
        s.put("queue_target", Values.number(d, "queue_target"));
        return s;
    }
}
