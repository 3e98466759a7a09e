package dev.sluice.server.store;

import dev.sluice.server.config.SluiceConfig;
import java.time.Instant;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ObjectNode;

/**
 * The stored configuration as of its last save, for reads: made once per save and shared by every request until the
 * next. Its document and its validated records hold {@link Masks#MASK} for each secret; the secrets stay sealed and
 * are decrypted only on request ({@link #revealed}, {@link #editable}), so a read decrypts, queries and validates
 * nothing.
 *
 * <p>Immutable and thread-safe; {@link #document()} must not be modified (copy it).
 */
public final class ConfigSnapshot {
    /** When a resource was created and last changed. */
    public record Meta(UUID id, String name, Instant insertedAt, Instant updatedAt) {}

    private final Draft masked;
    private final SluiceConfig config;
    private final Map<Kind, List<Meta>> meta;
    private final Map<UUID, Sealer.Sealed> sealed;
    private final Sealer sealer;
    private final Map<Kind, Map<String, Integer>> byName = new EnumMap<>(Kind.class);

    /**
     * @param masked the canonical document, secrets masked, with each entry's id
     * @param config {@code masked} validated
     * @param meta per kind, the resources in the order of the document's entries
     * @param sealed each resource's sealed secrets, by id
     */
    ConfigSnapshot(
            Draft masked,
            SluiceConfig config,
            Map<Kind, List<Meta>> meta,
            Map<UUID, Sealer.Sealed> sealed,
            Sealer sealer) {
        this.masked = masked;
        this.config = config;
        this.meta = new EnumMap<>(meta);
        this.sealed = Map.copyOf(sealed);
        this.sealer = sealer;
        for (Kind k : Kind.values()) {
            Map<String, Integer> names = new HashMap<>();
            List<Meta> m = meta.get(k);
            for (int i = 0; i < m.size(); i++) {
                names.put(m.get(i).name(), i);
            }
            byName.put(k, names);
        }
    }

    /** The validated configuration, secrets masked: for everything but running sinks and showing secrets. */
    public SluiceConfig config() {
        return config;
    }

    /** The canonical document (the export's), secrets masked. Do not modify it. */
    public ObjectNode document() {
        return masked.document();
    }

    /** How many resources of {@code kind} there are; they are numbered from 0 in the document's order. */
    public int size(Kind kind) {
        return meta.get(kind).size();
    }

    /** The index of the resource of {@code kind} with this id or name, or -1. */
    public int indexOf(Kind kind, String idOrName) {
        List<Meta> m = meta.get(kind);
        for (int i = 0; i < m.size(); i++) {
            if (m.get(i).id().toString().equalsIgnoreCase(idOrName)) {
                return i;
            }
        }
        return byName.get(kind).getOrDefault(idOrName, -1);
    }

    public Meta meta(Kind kind, int index) {
        return meta.get(kind).get(index);
    }

    public UUID id(Kind kind, int index) {
        return meta(kind, index).id();
    }

    /** The ids of the resources of {@code kind}, by name. */
    public Map<String, UUID> ids(Kind kind) {
        Map<String, UUID> out = new LinkedHashMap<>();
        meta.get(kind).forEach(m -> out.put(m.name(), m.id()));
        return out;
    }

    public Map<String, UUID> databaseIds() {
        return ids(Kind.DATABASE);
    }

    public Map<String, UUID> sinkIds() {
        return ids(Kind.SINK);
    }

    /** The id of the database named {@code name}, or null. */
    public @Nullable UUID databaseId(String name) {
        int i = byName.get(Kind.DATABASE).getOrDefault(name, -1);
        return i < 0 ? null : id(Kind.DATABASE, i);
    }

    /**
     * The configuration with the secrets of the resources of {@code kind} at {@code indexes} decrypted (others stay
     * masked), validated: for a response with {@code show_sensitive}, or a check that needs the credentials.
     */
    public SluiceConfig revealed(Kind kind, Collection<Integer> indexes) {
        return revealed(Map.of(kind, indexes));
    }

    /** As {@link #revealed(Kind, Collection)}, for resources of several kinds (a sink and its HTTP endpoints). */
    public SluiceConfig revealed(Map<Kind, ? extends Collection<Integer>> which) {
        Draft d = masked.copy();
        which.forEach((kind, indexes) -> indexes.forEach(i -> reveal(d, kind, i)));
        return StoredConfig.validate(d);
    }

    /** The whole document with every secret decrypted, for an export with {@code show_sensitive}. */
    public ObjectNode revealedDocument() {
        return editable().document();
    }

    /**
     * A copy to change and save, every secret decrypted (a mask sent back in a change then keeps the stored value;
     * see {@link Masks#keepMasked}).
     */
    public Draft editable() {
        Draft d = masked.copy();
        for (Kind k : Kind.values()) {
            for (int i = 0; i < size(k); i++) {
                reveal(d, k, i);
            }
        }
        return d;
    }

    private void reveal(Draft d, Kind kind, int index) {
        Sealer.Sealed s = sealed.getOrDefault(id(kind, index), Sealer.Sealed.NONE);
        // Every mask stands for a sealed secret, which replaces it.
        sealer.reveal(kind, d.entry(kind, index), s);
    }
}
