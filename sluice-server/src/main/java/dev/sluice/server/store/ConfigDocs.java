package dev.sluice.server.store;

import dev.sluice.core.Action;
import dev.sluice.core.TableId;
import dev.sluice.functions.FunctionSpec;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.HttpEndpointConfig;
import dev.sluice.server.config.PrimaryConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SourceFilter;
import dev.sluice.server.config.TableConfig;
import dev.sluice.server.destination.Destinations;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The canonical sluice.yaml entry of each resource, as stored and exported: what a validated record reads back
 * to. The {@code *Doc} forms hold the secrets; the {@code *Spec} forms, which the store keeps beside the sealed
 * secrets, do not.
 */
public final class ConfigDocs {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private ConfigDocs() {}

    /** A database as a yaml entry, password included. */
    public static ObjectNode databaseDoc(DatabaseConfig d) {
        ObjectNode n = databaseSpec(d);
        if (d.password() != null) {
            n.put("password", d.password());
        }
        if (d.primary() != null && d.primary().password() != null) {
            ((ObjectNode) n.get("primary")).put("password", d.primary().password());
        }
        return n;
    }

    /** An endpoint as a yaml entry, encrypted headers included. */
    public static ObjectNode endpointDoc(HttpEndpointConfig h) {
        ObjectNode n = endpointSpec(h);
        if (!h.encryptedHeaders().isEmpty()) {
            ObjectNode e = n.putObject("encrypted_headers");
            h.encryptedHeaders().forEach(e::put);
        }
        return n;
    }

    /** A sink as a yaml entry, its database named. */
    public static ObjectNode sinkDoc(SinkConfig s) {
        ObjectNode n = sinkSpec(s);
        n.put("database", s.database());
        return n;
    }

    /** A function as a yaml entry (it holds no secret). */
    public static ObjectNode functionDoc(FunctionSpec f) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", f.name());
        if (f.description() != null) {
            n.put("description", f.description());
        }
        n.put("type", f.type().wire());
        if (f.code() != null) {
            n.put("code", f.code());
        }
        if (f.path() != null) {
            n.put("path", f.path());
        }
        if (f.sinkType() != null) {
            n.put("sink_type", f.sinkType());
        }
        return n;
    }

    public static ObjectNode databaseSpec(DatabaseConfig d) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", d.name());
        n.put("hostname", d.hostname());
        n.put("port", d.port());
        n.put("database", d.database());
        n.put("username", d.username());
        n.put("ssl", d.ssl());
        n.put("ipv6", d.ipv6());
        ObjectNode slot = n.putObject("slot")
                .put("name", d.slot().name())
                .put("create_if_not_exists", d.slot().createIfNotExists());
        if (!d.slot().enabled()) {
            slot.put("status", "disabled");
        }
        n.putObject("publication")
                .put("name", d.publication().name())
                .put("create_if_not_exists", d.publication().createIfNotExists());
        n.put("pool_size", d.poolSize());
        n.put("heartbeat_interval_ms", d.heartbeatInterval().toMillis());
        if (d.primary() != null) {
            PrimaryConfig p = d.primary();
            n.putObject("primary")
                    .put("hostname", p.hostname())
                    .put("port", p.port())
                    .put("database", p.database())
                    .put("username", p.username())
                    .put("ssl", p.ssl());
            if (p.ipv6()) {
                ((ObjectNode) n.get("primary")).put("ipv6", true);
            }
        }
        // Only when given, so that documents stored before annotations existed read the same.
        if (!d.annotationsJson().equals("{}")) {
            n.set("annotations", JSON.readTree(d.annotationsJson()));
        }
        return n;
    }

    public static ObjectNode endpointSpec(HttpEndpointConfig h) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", h.name());
        n.put("url", h.url().toString());
        ObjectNode headers = n.putObject("headers");
        h.headers().forEach(headers::put);
        return n;
    }

    public static ObjectNode sinkSpec(SinkConfig s) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", s.name());
        SourceFilter f = s.source();
        ObjectNode source = n.putObject("source");
        putStrings(source, "include_schemas", f.includeSchemas());
        putStrings(source, "exclude_schemas", f.excludeSchemas());
        putTables(source, "include_tables", f.includeTables());
        putTables(source, "exclude_tables", f.excludeTables());
        ArrayNode tables = n.putArray("tables");
        for (TableConfig t : s.tables()) {
            ObjectNode tn = tables.addObject();
            tn.put("name", qualified(t.name()));
            ArrayNode cols = tn.putArray("group_column_names");
            t.groupColumnNames().forEach(cols::add);
            putStrings(tn, "include_columns", t.includeColumns());
            putStrings(tn, "exclude_columns", t.excludeColumns());
        }
        ArrayNode actions = n.putArray("actions");
        for (Action a : s.actions()) {
            actions.add(a.wireName());
        }
        // What the user gave, so that nothing is dropped; defaults and inferred values are filled in on reading.
        n.set("destination", Destinations.entry(s.destination()));
        n.put("batch_size", s.batchSize());
        n.put("max_memory_mb", s.maxMemoryMb());
        n.put("max_spill_mb", s.maxSpillMb());
        n.put("status", s.status().wireName());
        if (s.maxRetryCount() != null) {
            n.put("max_retry_count", s.maxRetryCount());
        }
        n.put("message_grouping", s.messageGrouping());
        n.put("timestamp_format", s.timestampFormat().name().toLowerCase(Locale.ROOT));
        n.set("annotations", JSON.readTree(s.annotationsJson()));
        n.put("load_shedding_policy", s.loadSheddingPolicy().wireName());
        n.put("retry_backoff_ms", s.retryBackoffMs());
        n.put("max_retry_backoff_ms", s.maxRetryBackoffMs());
        if (s.reselectUnchangedToast()) {
            // Only when on, so that documents stored before the option existed read the same.
            n.put("reselect_unchanged_toast", true);
        }
        s.functions().forEach(n::put);
        return n;
    }

    private static void putStrings(ObjectNode n, String key, List<String> values) {
        if (values != null) {
            ArrayNode a = n.putArray(key);
            values.forEach(a::add);
        }
    }

    private static void putTables(ObjectNode n, String key, List<TableId> values) {
        if (values != null) {
            ArrayNode a = n.putArray(key);
            values.forEach(t -> a.add(qualified(t)));
        }
    }

    private static String qualified(TableId t) {
        boolean plain = t.schema().matches("[a-z_][a-z0-9_]*") && t.name().matches("[a-z_][a-z0-9_]*");
        return plain ? t.toString() : t.quoted();
    }
}
