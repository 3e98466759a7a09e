package dev.sluice.server.store;

import dev.sluice.core.Action;
import dev.sluice.core.TableId;
import dev.sluice.server.config.ConfigLoader;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.HttpEndpointConfig;
import dev.sluice.server.config.PrimaryConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.config.SourceFilter;
import dev.sluice.server.config.TableConfig;
import dev.sluice.server.destination.Destinations;
import dev.sluice.server.store.MetadataStore.Kind;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Moves configuration between {@link SluiceConfig} records and the metadata store. Each resource is stored as its
 * sluice.yaml entry (JSON), so loading goes back through the same validating parser as the file; secrets are
 * sealed with the {@link SecretBox} and stored apart from the spec.
 *
 * <p>Every change, whether from the file at start, from the API or from {@code config/apply}, is made on a
 * {@link Draft} (the whole configuration as a yaml-shaped document plus the id of each entry), validated as a
 * whole, and saved in one transaction. Thread-safety: callers serialize {@link #save} (the API holds one lock).
 */
public final class StoredConfig {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final String SOURCE = "configuration";

    /** When a resource was created and last changed. */
    public record Meta(UUID id, String name, Instant insertedAt, Instant updatedAt) {}

    /** The configuration in the store, with the ids and timestamps of its resources. */
    public record Loaded(SluiceConfig config, Draft draft, Map<Kind, List<Meta>> meta) {
        public Map<String, UUID> databaseIds() {
            return ids(Kind.DATABASE);
        }

        public Map<String, UUID> sinkIds() {
            return ids(Kind.SINK);
        }

        public Map<String, UUID> ids(Kind kind) {
            Map<String, UUID> out = new HashMap<>();
            meta.get(kind).forEach(m -> out.put(m.name(), m.id()));
            return out;
        }

        public @Nullable Meta meta(Kind kind, String name) {
            for (Meta m : meta.get(kind)) {
                if (m.name().equals(name)) {
                    return m;
                }
            }
            return null;
        }
    }

    /**
     * An editable copy of the configuration: the yaml-shaped document with secrets in clear, and per section the
     * id of each entry, or null for an entry not saved yet.
     */
    public static final class Draft {
        private final ObjectNode doc;
        private final Map<Kind, List<@Nullable UUID>> ids = new EnumMap<>(Kind.class);

        Draft(ObjectNode doc) {
            this.doc = doc;
            for (Kind k : Kind.values()) {
                if (!(doc.get(k.section) instanceof ArrayNode)) {
                    doc.putArray(k.section);
                }
                ids.put(
                        k,
                        new ArrayList<>(Collections.nCopies(doc.get(k.section).size(), null)));
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

    private final MetadataStore store;
    private static final String SEALED_PRIMARY_PASSWORD = "sealed_password";
    private final SecretBox secrets;

    /** The store underneath, for what is not configuration (a sink's stored messages). */
    public MetadataStore metadata() {
        return store;
    }

    public StoredConfig(MetadataStore store, SecretBox secrets) {
        this.store = store;
        this.secrets = secrets;
    }

    /** Inserts or updates every resource of {@code config} by name. Resources not in it are kept. */
    public Loaded apply(SluiceConfig config) throws SQLException {
        return save(merge(load().draft(), config, false));
    }

    /**
     * The draft that results from applying {@code config} to {@code base} by name: entries it names are replaced,
     * others are kept unless {@code prune}. A secret given as asterisks only (as exports and API responses show
     * them) keeps the stored value.
     */
    public static Draft merge(Draft base, SluiceConfig config, boolean prune) {
        Draft d = base.copy();
        Map<Kind, List<ObjectNode>> incoming = new EnumMap<>(Kind.class);
        incoming.put(
                Kind.DATABASE,
                config.databases().stream().map(StoredConfig::databaseDoc).toList());
        incoming.put(
                Kind.HTTP_ENDPOINT,
                config.httpEndpoints().stream().map(StoredConfig::endpointDoc).toList());
        incoming.put(
                Kind.SINK, config.sinks().stream().map(StoredConfig::sinkDoc).toList());
        for (Kind k : List.of(Kind.SINK, Kind.HTTP_ENDPOINT, Kind.DATABASE)) {
            if (prune) {
                Set<String> named = new HashSet<>();
                incoming.get(k).forEach(n -> named.add(n.get("name").asString()));
                for (int i = d.section(k).size() - 1; i >= 0; i--) {
                    if (!named.contains(d.entry(k, i).get("name").asString())) {
                        d.remove(k, i);
                    }
                }
            }
        }
        for (Kind k : Kind.values()) {
            for (ObjectNode n : incoming.get(k)) {
                int i = d.indexOf(k, n.get("name").asString());
                if (i >= 0) {
                    keepMaskedSecrets(n, d.entry(k, i));
                }
                d.put(k, i, n);
            }
        }
        return d;
    }

    /** Whether a secret value is a mask from a response or an export, which means "keep the stored value". */
    public static boolean isMask(@Nullable String value) {
        return value != null && !value.isEmpty() && value.chars().allMatch(ch -> ch == '*');
    }

    /**
     * Replaces every secret of a whole configuration document by {@code mask}: the passwords of databases and their
     * primaries, and encrypted headers. {@link #keepMaskedSecrets} undoes it when the document comes back.
     */
    public static void maskSecrets(ObjectNode doc, String mask) {
        for (JsonNode d : doc.withArray(Kind.DATABASE.section)) {
            for (JsonNode holder : List.of(d, d.path("primary"))) {
                if (holder instanceof ObjectNode o && o.get("password") instanceof JsonNode p && !p.isNull()) {
                    o.put("password", mask);
                }
            }
        }
        for (JsonNode h : doc.withArray(Kind.HTTP_ENDPOINT.section)) {
            if (h.get("encrypted_headers") instanceof ObjectNode e) {
                e.propertyNames().forEach(n -> e.put(n, mask));
            }
        }
        for (JsonNode s : doc.withArray(Kind.SINK.section)) {
            if (s.get("destination") instanceof ObjectNode d) {
                Destinations.mask(d, mask);
            }
        }
    }

    /** Replaces masked secrets in {@code incoming} by the values in {@code existing}. */
    public static void keepMaskedSecrets(ObjectNode incoming, @Nullable ObjectNode existing) {
        keepMaskedPassword(incoming, existing);
        if (incoming.get("primary") instanceof ObjectNode primary) {
            keepMaskedPassword(
                    primary, existing == null ? null : existing.get("primary") instanceof ObjectNode o ? o : null);
        }
        if (incoming.get("destination") instanceof ObjectNode destination) {
            JsonNode old = existing == null ? null : existing.get("destination");
            for (String key : Destinations.secretNames(destination)) {
                if (destination.get(key) instanceof JsonNode v && v.isString() && isMask(v.asString())) {
                    JsonNode kept = old instanceof ObjectNode o ? o.get(key) : null;
                    if (kept != null) {
                        destination.set(key, kept);
                    } else {
                        destination.remove(key);
                    }
                }
            }
        }
        if (incoming.get("encrypted_headers") instanceof ObjectNode headers) {
            JsonNode old = existing == null ? null : existing.get("encrypted_headers");
            for (String name : List.copyOf(headers.propertyNames())) {
                if (headers.get(name).isString() && isMask(headers.get(name).asString())) {
                    JsonNode kept = old instanceof ObjectNode o ? o.get(name) : null;
                    if (kept != null) {
                        headers.set(name, kept);
                    } else {
                        headers.remove(name);
                    }
                }
            }
        }
    }

    private static void keepMaskedPassword(ObjectNode incoming, @Nullable ObjectNode existing) {
        if (incoming.get("password") instanceof JsonNode p && p.isString() && isMask(p.asString())) {
            if (existing != null && existing.get("password") instanceof JsonNode old && old.isString()) {
                incoming.set("password", old);
            } else {
                incoming.remove("password");
            }
        }
    }

    /** Checks a draft as a whole, exactly as a sluice.yaml file is checked. */
    public static SluiceConfig validate(Draft draft) {
        return ConfigLoader.parseTree(draft.document(), SOURCE);
    }

    /**
     * Validates the draft and makes the store hold exactly it, in one transaction: entries with an id are updated,
     * new ones inserted, and stored resources missing from the draft deleted.
     *
     * @throws dev.sluice.server.config.ConfigException if the draft is invalid (nothing is saved)
     */
    public Loaded save(Draft draft) throws SQLException {
        SluiceConfig cfg = validate(draft);
        // What is stored is the canonical form, not the draft: make sure it reads back, so that no edit can leave
        // the store unloadable.
        try {
            validate(merge(new Draft(JSON.createObjectNode()), cfg, false));
        } catch (dev.sluice.server.config.ConfigException e) {
            throw new IllegalStateException(
                    "refusing to store a configuration that would not load: " + e.getMessage(), e);
        }
        store.inTransaction(c -> {
            Map<Kind, Map<UUID, MetadataStore.Stored>> existing = new EnumMap<>(Kind.class);
            for (Kind k : Kind.values()) {
                Map<UUID, MetadataStore.Stored> byId = new HashMap<>();
                store.list(c, k).forEach(s -> byId.put(s.id(), s));
                existing.put(k, byId);
            }
            // Deletes first: constraints are deferred, so a name freed here may be taken below.
            for (Kind k : List.of(Kind.SINK, Kind.HTTP_ENDPOINT, Kind.DATABASE)) {
                Set<UUID> kept = new HashSet<>();
                for (int i = 0; i < draft.section(k).size(); i++) {
                    kept.add(draft.id(k, i));
                }
                for (UUID id : existing.get(k).keySet()) {
                    if (!kept.contains(id)) {
                        store.delete(c, k, id);
                    }
                }
            }
            Map<String, UUID> dbIds = new HashMap<>();
            for (int i = 0; i < cfg.databases().size(); i++) {
                DatabaseConfig d = cfg.databases().get(i);
                ObjectNode spec = databaseSpec(d);
                if (d.primary() != null && d.primary().password() != null) {
                    // The column holds one secret; the primary's password is sealed inside the spec instead.
                    UUID known = draft.id(Kind.DATABASE, i);
                    MetadataStore.Stored old =
                            known == null ? null : existing.get(Kind.DATABASE).get(known);
                    String before = old == null ? null : sealedPrimaryPassword(old.specJson());
                    ((ObjectNode) spec.get("primary"))
                            .put(SEALED_PRIMARY_PASSWORD, seal(d.primary().password(), before));
                }
                UUID id = write(c, draft, Kind.DATABASE, i, d.name(), spec, d.password(), existing, null);
                dbIds.put(d.name(), id);
            }
            for (int i = 0; i < cfg.httpEndpoints().size(); i++) {
                HttpEndpointConfig h = cfg.httpEndpoints().get(i);
                String secret = h.encryptedHeaders().isEmpty() ? null : JSON.writeValueAsString(h.encryptedHeaders());
                write(c, draft, Kind.HTTP_ENDPOINT, i, h.name(), endpointSpec(h), secret, existing, null);
            }
            for (int i = 0; i < cfg.sinks().size(); i++) {
                SinkConfig s = cfg.sinks().get(i);
                ObjectNode spec = sinkSpec(s);
                // The destination's credentials go to the sealed column, not the spec.
                ObjectNode secrets =
                        spec.get("destination") instanceof ObjectNode d ? Destinations.takeSecrets(d) : null;
                String secret = secrets == null ? null : secrets.toString();
                write(c, draft, Kind.SINK, i, s.name(), spec, secret, existing, dbIds.get(s.database()));
            }
            return null;
        });
        return load();
    }

    private UUID write(
            Connection c,
            Draft draft,
            Kind kind,
            int index,
            String name,
            ObjectNode spec,
            @Nullable String secret,
            Map<Kind, Map<UUID, MetadataStore.Stored>> existing,
            @Nullable UUID parent)
            throws SQLException {
        UUID id = draft.id(kind, index);
        MetadataStore.Stored old = id == null ? null : existing.get(kind).get(id);
        // Sealing is randomized: keep the stored ciphertext when the secret did not change, so that an unchanged
        // resource is not reported as updated.
        String sealed = secret == null ? null : seal(secret, old == null ? null : old.sealed());
        if (old == null) {
            id = id == null ? UUID.randomUUID() : id;
            store.insert(c, kind, id, name, spec.toString(), sealed, parent);
            draft.setId(kind, index, id);
        } else {
            store.update(c, kind, id, name, spec.toString(), sealed, parent);
        }
        return id;
    }

    private String seal(String secret, @Nullable String before) {
        return before != null && secret.equals(secrets.decrypt(before)) ? before : secrets.encrypt(secret);
    }

    private static @Nullable String sealedPrimaryPassword(String specJson) {
        JsonNode sealed = JSON.readTree(specJson).path("primary").get(SEALED_PRIMARY_PASSWORD);
        return sealed != null && sealed.isString() ? sealed.asString() : null;
    }

    /** Reads everything back, decrypting secrets, through the same validation as sluice.yaml. */
    public Loaded load() throws SQLException {
        ObjectNode doc = JSON.createObjectNode();
        Map<Kind, List<Meta>> meta = new EnumMap<>(Kind.class);
        Map<UUID, String> dbNames = new HashMap<>();
        Map<Kind, List<UUID>> ids = new EnumMap<>(Kind.class);
        for (Kind k : List.of(Kind.DATABASE, Kind.HTTP_ENDPOINT, Kind.SINK)) {
            ArrayNode section = doc.putArray(k.section);
            List<Meta> metas = new ArrayList<>();
            List<UUID> kindIds = new ArrayList<>();
            for (MetadataStore.Stored s : store.list(k)) {
                ObjectNode spec = (ObjectNode) JSON.readTree(s.specJson());
                switch (k) {
                    case DATABASE -> {
                        if (s.sealed() != null) {
                            spec.put("password", secrets.decrypt(s.sealed()));
                        }
                        if (spec.get("primary") instanceof ObjectNode primary
                                && primary.remove(SEALED_PRIMARY_PASSWORD) instanceof JsonNode sealed) {
                            primary.put("password", secrets.decrypt(sealed.asString()));
                        }
                        dbNames.put(s.id(), s.name());
                    }
                    case HTTP_ENDPOINT -> {
                        if (s.sealed() != null) {
                            spec.set("encrypted_headers", JSON.readTree(secrets.decrypt(s.sealed())));
                        }
                    }
                    case SINK -> {
                        spec.put("database", dbNames.get(s.parent()));
                        if (s.sealed() != null && spec.get("destination") instanceof ObjectNode d) {
                            JSON.readTree(secrets.decrypt(s.sealed()))
                                    .properties()
                                    .forEach(e -> d.set(e.getKey(), e.getValue()));
                        }
                    }
                }
                section.add(spec);
                metas.add(new Meta(s.id(), s.name(), s.insertedAt(), s.updatedAt()));
                kindIds.add(s.id());
            }
            meta.put(k, List.copyOf(metas));
            ids.put(k, kindIds);
        }
        Draft draft = new Draft(doc);
        ids.forEach((k, list) -> {
            for (int i = 0; i < list.size(); i++) {
                draft.setId(k, i, list.get(i));
            }
        });
        SluiceConfig config = validate(draft);
        return new Loaded(config, draft, meta);
    }

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

    public static ObjectNode databaseSpec(DatabaseConfig d) {
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
        n.put("heartbeat_interval_ms", d.heartbeatInterval().toMillis());
        if (d.primary() != null) {
            PrimaryConfig p = d.primary();
            n.putObject("primary")
                    .put("hostname", p.hostname())
                    .put("port", p.port())
                    .put("database", p.database())
                    .put("username", p.username())
                    .put("ssl", p.ssl());
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
        }
        ArrayNode actions = n.putArray("actions");
        for (Action a : s.actions()) {
            actions.add(a.wireName());
        }
        // What the user gave, so that nothing is dropped; defaults and inferred values are filled in on reading.
        n.set("destination", Destinations.entry(s.destination()));
        n.put("batch_size", s.batchSize());
        n.put("max_memory_mb", s.maxMemoryMb());
        n.put("status", s.status().name().toLowerCase(Locale.ROOT));
        if (s.maxRetryCount() != null) {
            n.put("max_retry_count", s.maxRetryCount());
        }
        n.put("message_grouping", s.messageGrouping());
        n.put("timestamp_format", s.timestampFormat().name().toLowerCase(Locale.ROOT));
        n.set("annotations", JSON.readTree(s.annotationsJson()));
        n.put("load_shedding_policy", s.loadSheddingPolicy());
        n.put("retry_backoff_ms", s.retryBackoffMs());
        n.put("max_retry_backoff_ms", s.maxRetryBackoffMs());
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
