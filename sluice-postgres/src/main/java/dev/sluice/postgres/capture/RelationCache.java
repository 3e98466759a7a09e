package dev.sluice.postgres.capture;

import dev.sluice.core.Column;
import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import dev.sluice.core.ValueCodec;
import dev.sluice.postgres.pgoutput.PgOutputMessage.Relation;
import dev.sluice.postgres.pgoutput.PgOutputMessage.RelationColumn;
import dev.sluice.postgres.types.TypeRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The schema of every relation seen on a replication stream, keyed by pgoutput relation id (the
 * {@code pg_class} OID; with {@code publish_via_partition_root}, the root's).
 *
 * <p>State: fed by {@link #apply(Relation)}. Postgres sends a Relation message before the first change
 * of a relation in each streaming session and again after its definition changes, so a new message
 * for a known id replaces the entry (ALTER TABLE) and changes already built keep the schema they were
 * written with. Call {@link #clear()} when a new streaming session starts.
 *
 * <p>Primary key: pgoutput only flags replica-identity columns, which are the primary key for the
 * default identity but all columns for FULL. So the key comes from the catalog, looked up when the
 * Relation message arrives. Should a key column be missing from the published columns (a publication
 * column list), the replica-identity columns stand in for it.
 *
 * <p>Concurrency: not thread-safe; owned by the stream's reader thread.
 */
public final class RelationCache {
    private final IntFunction<ValueCodec> codecs;
    private final IntFunction<String> typeNames;
    private final PrimaryKeyLookup primaryKeys;
    private final Map<Integer, CachedRelation> relations = new HashMap<>();

    public RelationCache(TypeRegistry types, PrimaryKeyLookup primaryKeys) {
        this(types::codecFor, types::typeName, primaryKeys);
    }

    RelationCache(IntFunction<ValueCodec> codecs, IntFunction<String> typeNames, PrimaryKeyLookup primaryKeys) {
        this.codecs = codecs;
        this.typeNames = typeNames;
        this.primaryKeys = primaryKeys;
    }

    /**
     * Builds the schema described by {@code relation} and makes it the current one for its id.
     *
     * @throws IllegalStateException when the catalog lookup fails
     */
    public CachedRelation apply(Relation relation) {
        List<RelationColumn> published = relation.columns();
        List<Column> columns = new ArrayList<>(published.size());
        boolean[] keyFlags = new boolean[published.size()];
        for (int i = 0; i < published.size(); i++) {
            RelationColumn c = published.get(i);
            columns.add(new Column(c.name(), typeNames.apply(c.typeOid()), codecs.apply(c.typeOid())));
            keyFlags[i] = c.key();
        }
        // pgoutput sends an empty namespace for pg_catalog.
        String namespace = relation.namespace().isEmpty() ? "pg_catalog" : relation.namespace();
        TableId id = new TableId(namespace, relation.name());
        int[] primaryKey = primaryKeyIndexes(relation, primaryKeys.primaryKeyColumns(relation.relationId()), keyFlags);
        CachedRelation cached = new CachedRelation(
                relation.relationId(), new TableSchema(id, columns, primaryKey), relation.replicaIdentity(), keyFlags);
        relations.put(relation.relationId(), cached);
        return cached;
    }

    private static int[] primaryKeyIndexes(Relation relation, List<String> keyNames, boolean[] keyFlags) {
        int[] indexes = new int[keyNames.size()];
        for (int k = 0; k < indexes.length; k++) {
            int index = indexOf(relation.columns(), keyNames.get(k));
            if (index < 0) {
                return flaggedIndexes(keyFlags);
            }
            indexes[k] = index;
        }
        return indexes;
    }

    private static int indexOf(List<RelationColumn> columns, String name) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static int[] flaggedIndexes(boolean[] keyFlags) {
        int n = 0;
        for (boolean k : keyFlags) {
            n += k ? 1 : 0;
        }
        int[] out = new int[n];
        for (int i = 0, j = 0; i < keyFlags.length; i++) {
            if (keyFlags[i]) {
                out[j++] = i;
            }
        }
        return out;
    }

    /**
     * The current entry for {@code relationId}.
     *
     * @throws IllegalStateException when no Relation message for it has been applied: the stream is out
     *     of step with the protocol (or the cache was cleared mid-session)
     */
    public CachedRelation get(int relationId) {
        CachedRelation cached = relations.get(relationId);
        if (cached == null) {
            throw new IllegalStateException("change for unknown relation OID " + Integer.toUnsignedString(relationId)
                    + ": no Relation message for it was received in this streaming session");
        }
        return cached;
    }

    /** Forgets every relation; Postgres resends Relation messages in each new streaming session. */
    public void clear() {
        relations.clear();
    }

    public int size() {
        return relations.size();
    }
}
