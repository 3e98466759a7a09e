package dev.sluice.server.store;

import dev.sluice.functions.FunctionSpec;
import dev.sluice.server.config.ConfigException;
import dev.sluice.server.config.ConfigLoader;
import dev.sluice.server.config.DatabaseConfig;
import dev.sluice.server.config.HttpEndpointConfig;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.destination.Destinations;
import dev.sluice.server.store.ResourceTable.Stored;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The configuration in the metadata store: each resource stored as its canonical sluice.yaml entry (JSON) with its
 * secrets sealed apart (see {@link Sealer}), read back through the same validating parser as the file.
 *
 * <p>Reads use the {@link ConfigSnapshot} of the last save ({@link #snapshot()}), which costs nothing per read. Every
 * change, whether from the file at start, from the API or from {@code config/apply}, is made on a {@link Draft} (the
 * whole configuration plus the id of each entry, secrets in clear: {@link ConfigSnapshot#editable()}), validated as a
 * whole, and saved in one transaction; the store is then read once to make the next snapshot and the {@link
 * RunningConfig} the engine applies.
 *
 * <p>Thread-safety: callers serialize {@link #load}, {@link #save} and {@link #apply} (the API holds one lock);
 * {@link #snapshot()} may be called from any thread.
 */
public final class StoredConfig {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final String SOURCE = "configuration";

    /** What a save left: the next snapshot for reads, and the configuration to run. */
    public record Saved(ConfigSnapshot snapshot, RunningConfig running) {}

    /** A save refused because another node saved a newer configuration since this one was read. */
    public static final class ConcurrentSaveException extends SQLException {
        ConcurrentSaveException() {
            super("the configuration was changed on another node while this change was being made; nothing was"
                    + " saved: read it again and retry");
        }
    }

    private final MetadataStore store;
    private final Sealer sealer;
    private final AtomicReference<@Nullable ConfigSnapshot> current = new AtomicReference<>();
    private final Object writeLock = new Object();
    /** The {@code config_version} the current snapshot was read at. */
    private volatile long version = -1;

    public StoredConfig(MetadataStore store, SecretBox secrets) {
        this.store = store;
        this.sealer = new Sealer(secrets);
    }

    /** Held by whoever reads the configuration to change it, until the change is saved and run. */
    public Object writeLock() {
        return writeLock;
    }

    /**
     * Reloads the configuration if another node saved a newer one since it was last read (one small query
     * otherwise); returns what was loaded, or null when nothing changed.
     */
    public @Nullable Saved reloadIfChanged() throws SQLException {
        try (Connection c = store.dataSource().getConnection();
                java.sql.Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery("SELECT version FROM config_version")) {
            rs.next();
            if (rs.getLong(1) == version) {
                return null;
            }
        }
        return load();
    }

    /** The store underneath, for what is not configuration (a sink's messages, backfills). */
    public MetadataStore metadata() {
        return store;
    }

    /**
     * The configuration as of the last {@link #load} or {@link #save}.
     *
     * @throws IllegalStateException before the first {@link #load}
     */
    public ConfigSnapshot snapshot() {
        ConfigSnapshot s = current.get();
        if (s == null) {
            throw new IllegalStateException("the stored configuration has not been loaded yet");
        }
        return s;
    }

    /** Inserts or updates every resource of {@code config} by name. Resources not in it are kept. */
    public Saved apply(SluiceConfig config) throws SQLException {
        return save(merge(snapshot().editable(), config, false));
    }

    /**
     * The draft that results from applying {@code config} to {@code base} (secrets in clear) by name: entries it names
     * are replaced, others are kept unless {@code prune}. A secret given as a mask (as exports and API responses show
     * them) keeps the stored value.
     */
    public static Draft merge(Draft base, SluiceConfig config, boolean prune) {
        Draft d = base.copy();
        Map<Kind, List<ObjectNode>> incoming = new EnumMap<>(Kind.class);
        incoming.put(
                Kind.DATABASE,
                config.databases().stream().map(ConfigDocs::databaseDoc).toList());
        incoming.put(
                Kind.HTTP_ENDPOINT,
                config.httpEndpoints().stream().map(ConfigDocs::endpointDoc).toList());
        incoming.put(
                Kind.FUNCTION,
                config.functions().stream().map(ConfigDocs::functionDoc).toList());
        incoming.put(Kind.SINK, config.sinks().stream().map(ConfigDocs::sinkDoc).toList());
        if (prune) {
            for (Kind k : List.of(Kind.SINK, Kind.FUNCTION, Kind.HTTP_ENDPOINT, Kind.DATABASE)) {
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
                    Masks.keepMasked(n, d.entry(k, i));
                }
                d.put(k, i, n);
            }
        }
        return d;
    }

    /** Checks a draft as a whole, exactly as a sluice.yaml file is checked. */
    public static SluiceConfig validate(Draft draft) {
        return ConfigLoader.parseTree(draft.document(), SOURCE);
    }

    /**
     * Validates the draft and makes the store hold exactly it, in one transaction: entries with an id are updated,
     * new ones inserted, and stored resources missing from the draft deleted. Then reads it back as the next snapshot.
     *
     * @throws ConfigException if the draft is invalid (nothing is saved)
     */
    public Saved save(Draft draft) throws SQLException {
        SluiceConfig cfg = validate(draft);
        // What is stored is the canonical form, not the draft: make sure it reads back, so that no edit can leave
        // the store unloadable.
        try {
            validate(merge(new Draft(JSON.createObjectNode()), cfg, false));
        } catch (ConfigException e) {
            throw new IllegalStateException(
                    "refusing to store a configuration that would not load: " + e.getMessage(), e);
        }
        long readAt = version;
        store.inTransaction(c -> {
            // Locks the version row until commit: saves on all nodes go one at a time, each on the latest.
            try (java.sql.Statement st = c.createStatement();
                    java.sql.ResultSet rs = st.executeQuery("SELECT version FROM config_version FOR UPDATE")) {
                rs.next();
                if (readAt >= 0 && rs.getLong(1) != readAt) {
                    throw new ConcurrentSaveException();
                }
            }
            write(c, draft, cfg);
            try (java.sql.Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE config_version SET version = version + 1");
            }
            return null;
        });
        return load();
    }

    private void write(Connection c, Draft draft, SluiceConfig cfg) throws SQLException {
        ResourceTable rows = store.resources();
        Map<Kind, Map<UUID, Stored>> existing = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            Map<UUID, Stored> byId = new HashMap<>();
            rows.list(c, k).forEach(s -> byId.put(s.id(), s));
            existing.put(k, byId);
        }
        // Deletes first: constraints are deferred, so a name freed here may be taken below.
        for (Kind k : List.of(Kind.SINK, Kind.FUNCTION, Kind.HTTP_ENDPOINT, Kind.DATABASE)) {
            Set<UUID> kept = new HashSet<>();
            for (int i = 0; i < draft.section(k).size(); i++) {
                kept.add(draft.id(k, i));
            }
            for (UUID id : existing.get(k).keySet()) {
                if (!kept.contains(id)) {
                    rows.delete(c, k, id);
                }
            }
        }
        Map<String, UUID> dbIds = new HashMap<>();
        for (int i = 0; i < cfg.databases().size(); i++) {
            DatabaseConfig d = cfg.databases().get(i);
            ObjectNode spec = ConfigDocs.databaseSpec(d);
            if (d.primary() != null && d.primary().password() != null) {
                // The column holds one secret; the primary's password is sealed inside the spec instead.
                Stored old = old(existing, draft, Kind.DATABASE, i);
                String before = old == null
                        ? null
                        : Sealer.fromRow(Kind.DATABASE, (ObjectNode) JSON.readTree(old.specJson()), null)
                                .primary();
                ((ObjectNode) spec.get("primary"))
                        .put(
                                Sealer.SEALED_PRIMARY_PASSWORD,
                                sealer.seal(d.primary().password(), before));
            }
            dbIds.put(d.name(), write(c, draft, Kind.DATABASE, i, d.name(), spec, d.password(), existing, null));
        }
        for (int i = 0; i < cfg.httpEndpoints().size(); i++) {
            HttpEndpointConfig h = cfg.httpEndpoints().get(i);
            String secret = h.encryptedHeaders().isEmpty() ? null : JSON.writeValueAsString(h.encryptedHeaders());
            write(c, draft, Kind.HTTP_ENDPOINT, i, h.name(), ConfigDocs.endpointSpec(h), secret, existing, null);
        }
        for (int i = 0; i < cfg.functions().size(); i++) {
            FunctionSpec f = cfg.functions().get(i);
            write(c, draft, Kind.FUNCTION, i, f.name(), ConfigDocs.functionDoc(f), null, existing, null);
        }
        for (int i = 0; i < cfg.sinks().size(); i++) {
            SinkConfig s = cfg.sinks().get(i);
            ObjectNode spec = ConfigDocs.sinkSpec(s);
            // The destination's credentials go to the sealed column, not the spec.
            ObjectNode secrets = spec.get("destination") instanceof ObjectNode d ? Destinations.takeSecrets(d) : null;
            String secret = secrets == null ? null : secrets.toString();
            write(c, draft, Kind.SINK, i, s.name(), spec, secret, existing, dbIds.get(s.database()));
        }
    }

    private static @Nullable Stored old(Map<Kind, Map<UUID, Stored>> existing, Draft draft, Kind kind, int index) {
        UUID id = draft.id(kind, index);
        return id == null ? null : existing.get(kind).get(id);
    }

    private UUID write(
            Connection c,
            Draft draft,
            Kind kind,
            int index,
            String name,
            ObjectNode spec,
            @Nullable String secret,
            Map<Kind, Map<UUID, Stored>> existing,
            @Nullable UUID parent)
            throws SQLException {
        UUID id = draft.id(kind, index);
        Stored old = old(existing, draft, kind, index);
        String sealed = secret == null ? null : sealer.seal(secret, old == null ? null : old.sealed());
        if (old == null) {
            id = id == null ? UUID.randomUUID() : id;
            store.resources().insert(c, kind, id, name, spec.toString(), sealed, parent);
            draft.setId(kind, index, id);
        } else {
            store.resources().update(c, kind, id, name, spec.toString(), sealed, parent);
        }
        return Objects.requireNonNull(id);
    }

    /**
     * Reads everything back, decrypting every secret once for the {@link RunningConfig} and validating it as
     * sluice.yaml is validated; makes the next {@link #snapshot()}, whose secrets are masked.
     */
    public Saved load() throws SQLException {
        Map<Kind, List<Stored>> rows = new EnumMap<>(Kind.class);
        long at;
        try (Connection c = store.dataSource().getConnection()) {
            // One snapshot of the rows and their version.
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (java.sql.Statement st = c.createStatement();
                    java.sql.ResultSet rs = st.executeQuery("SELECT version FROM config_version")) {
                rs.next();
                at = rs.getLong(1);
            }
            for (Kind k : Kind.values()) {
                rows.put(k, store.resources().list(c, k));
            }
            c.commit();
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            c.setAutoCommit(true);
        }
        Saved saved = build(rows, sealer);
        synchronized (this) {
            // Two loads racing: the newer one stays.
            if (at >= version) {
                version = at;
                current.set(saved.snapshot());
            }
        }
        return saved;
    }

    /** The running configuration and the snapshot of stored rows (each kind's in creation order). */
    static Saved build(Map<Kind, List<Stored>> rows, Sealer sealer) {
        ObjectNode doc = JSON.createObjectNode();
        Map<Kind, List<ConfigSnapshot.Meta>> meta = new EnumMap<>(Kind.class);
        Map<UUID, Sealer.Sealed> sealed = new HashMap<>();
        Map<UUID, String> dbNames = new HashMap<>();
        for (Kind k : List.of(Kind.DATABASE, Kind.HTTP_ENDPOINT, Kind.FUNCTION, Kind.SINK)) {
            var section = doc.putArray(k.section);
            List<ConfigSnapshot.Meta> metas = new ArrayList<>();
            for (Stored s : rows.getOrDefault(k, List.of())) {
                ObjectNode spec = (ObjectNode) JSON.readTree(s.specJson());
                Sealer.Sealed secrets = Sealer.fromRow(k, spec, s.sealed());
                if (secrets != Sealer.Sealed.NONE) {
                    sealed.put(s.id(), secrets);
                    sealer.reveal(k, spec, secrets);
                }
                if (k == Kind.DATABASE) {
                    dbNames.put(s.id(), s.name());
                } else if (k == Kind.SINK) {
                    spec.put("database", dbNames.get(s.parent()));
                }
                section.add(spec);
                metas.add(new ConfigSnapshot.Meta(s.id(), s.name(), s.insertedAt(), s.updatedAt()));
            }
            meta.put(k, List.copyOf(metas));
        }
        Draft clear = new Draft(doc);
        meta.forEach((k, list) -> {
            for (int i = 0; i < list.size(); i++) {
                clear.setId(k, i, list.get(i).id());
            }
        });
        SluiceConfig running = validate(clear);
        Draft masked = clear.copy();
        Masks.maskDocument(masked.document());
        ConfigSnapshot snapshot = new ConfigSnapshot(masked, validate(masked), meta, sealed, sealer);
        return new Saved(snapshot, new RunningConfig(running, snapshot.databaseIds(), snapshot.sinkIds()));
    }
}
