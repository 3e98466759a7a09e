package dev.sluice.server.store;

import dev.sluice.core.Action;
import dev.sluice.core.TableId;
import dev.sluice.server.config.ConfigLoader;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.HttpEndpointConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.config.SourceFilter;
import dev.sluice.server.config.TableConfig;
import dev.sluice.server.config.WebhookDestination;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Moves configuration between {@link SluiceConfig} records and the metadata store. Each resource is
 * stored as its sluice.yaml entry (JSON), so loading goes back through the same validating parser as
 * the file; secrets are sealed with the {@link SecretBox} and stored apart from the spec.
 */
public final class StoredConfig {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** The configuration in the store, with the ids of its resources. */
    public record Loaded(SluiceConfig config, Map<String, UUID> databaseIds, Map<String, UUID> sinkIds) {}

    private final MetadataStore store;
    private final SecretBox secrets;

    public StoredConfig(MetadataStore store, SecretBox secrets) {
        this.store = store;
        this.secrets = secrets;
    }

    /** Inserts or updates every resource of {@code config} by name. Resources not in it are kept. */
    public void apply(SluiceConfig config) throws SQLException {
        Map<String, UUID> dbIds = new HashMap<>();
        for (DatabaseConfig d : config.databases()) {
            String sealed = d.password() == null ? null : secrets.encrypt(d.password());
            dbIds.put(d.name(), store.upsertDatabase(d.name(), databaseSpec(d).toString(), sealed));
        }
        for (HttpEndpointConfig h : config.httpEndpoints()) {
            String sealed = h.encryptedHeaders().isEmpty()
                    ? null
                    : secrets.encrypt(JSON.writeValueAsString(h.encryptedHeaders()));
            store.upsertHttpEndpoint(h.name(), endpointSpec(h).toString(), sealed);
        }
        for (MetadataStore.Stored d : store.databases()) {
            dbIds.putIfAbsent(d.name(), d.id());
        }
        for (SinkConfig s : config.sinks()) {
            store.upsertSink(s.name(), dbIds.get(s.database()), sinkSpec(s).toString());
        }
    }

    /** Reads everything back, decrypting secrets, through the same validation as sluice.yaml. */
    public Loaded load() throws SQLException {
        ObjectNode doc = JSON.createObjectNode();
        ArrayNode dbs = doc.putArray("databases");
        Map<String, UUID> dbIds = new HashMap<>();
        Map<UUID, String> dbNames = new HashMap<>();
        for (MetadataStore.Stored d : store.databases()) {
            ObjectNode spec = (ObjectNode) JSON.readTree(d.specJson());
            if (d.sealed() != null) {
                spec.put("password", secrets.decrypt(d.sealed()));
            }
            dbs.add(spec);
            dbIds.put(d.name(), d.id());
            dbNames.put(d.id(), d.name());
        }
        ArrayNode eps = doc.putArray("http_endpoints");
        for (MetadataStore.Stored h : store.httpEndpoints()) {
            ObjectNode spec = (ObjectNode) JSON.readTree(h.specJson());
            if (h.sealed() != null) {
                spec.set("encrypted_headers", JSON.readTree(secrets.decrypt(h.sealed())));
            }
            eps.add(spec);
        }
        ArrayNode sinks = doc.putArray("sinks");
        Map<String, UUID> sinkIds = new HashMap<>();
        for (MetadataStore.Stored s : store.sinks()) {
            ObjectNode spec = (ObjectNode) JSON.readTree(s.specJson());
            spec.put("database", dbNames.get(s.parent()));
            sinks.add(spec);
            sinkIds.put(s.name(), s.id());
        }
        SluiceConfig config = ConfigLoader.parse(escapeDollars(doc).toString(), "metadata store", name -> null);
        return new Loaded(config, dbIds, sinkIds);
    }

    // Stored values are already substituted; keep a literal '$' literal when parsed again.
    private static JsonNode escapeDollars(JsonNode node) {
        if (node instanceof ObjectNode o) {
            for (String key : List.copyOf(o.propertyNames())) {
                o.set(key, escapeDollars(o.get(key)));
            }
            return o;
        }
        if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, escapeDollars(a.get(i)));
            }
            return a;
        }
        if (node.isString() && node.asString().contains("$")) {
            return JSON.getNodeFactory().stringNode(node.asString().replace("$", "$$"));
        }
        return node;
    }

    static ObjectNode databaseSpec(DatabaseConfig d) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", d.name());
        n.put("hostname", d.hostname());
        n.put("port", d.port());
        n.put("database", d.database());
        n.put("username", d.username());
        n.put("ssl", d.ssl());
        n.put("ipv6", d.ipv6());
        n.putObject("slot")
                .put("name", d.slot().name())
                .put("create_if_not_exists", d.slot().createIfNotExists());
        n.putObject("publication")
                .put("name", d.publication().name())
                .put("create_if_not_exists", d.publication().createIfNotExists());
        n.put("pool_size", d.poolSize());
        return n;
    }

    static ObjectNode endpointSpec(HttpEndpointConfig h) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", h.name());
        n.put("url", h.url().toString());
        ObjectNode headers = n.putObject("headers");
        h.headers().forEach(headers::put);
        return n;
    }

    static ObjectNode sinkSpec(SinkConfig s) {
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
        }
        ArrayNode actions = n.putArray("actions");
        for (Action a : s.actions()) {
            actions.add(a.wireName());
        }
        switch (s.destination()) {
            case WebhookDestination w ->
                n.putObject("destination")
                        .put("type", "webhook")
                        .put("http_endpoint", w.httpEndpoint())
                        .put("http_endpoint_path", w.httpEndpointPath())
                        .put("batch", w.batch())
                        .put("request_timeout_ms", w.requestTimeout().toMillis());
        }
        n.put("batch_size", s.batchSize());
        n.put("max_memory_mb", s.maxMemoryMb());
        n.put("status", s.status().name().toLowerCase(Locale.ROOT));
        if (s.maxRetryCount() != null) {
            n.put("max_retry_count", s.maxRetryCount());
        }
        n.put("message_grouping", s.messageGrouping());
        n.put("timestamp_format", s.timestampFormat().name().toLowerCase(Locale.ROOT));
        n.set("annotations", JSON.readTree(s.annotationsJson()));
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
