package dev.sluice.postgres.capture;

import dev.sluice.core.TableSchema;

/**
 * What the relation cache knows about one relation id: the schema changes are built with and which
 * columns pgoutput flags as replica-identity key (the columns a {@code 'K'} old tuple carries).
 */
public final class CachedRelation {
    private final int relationId;
    private final TableSchema schema;
    private final char replicaIdentity;
    private final boolean[] keyFlags;

    CachedRelation(int relationId, TableSchema schema, char replicaIdentity, boolean[] keyFlags) {
        this.relationId = relationId;
        this.schema = schema;
        this.replicaIdentity = replicaIdentity;
        this.keyFlags = keyFlags;
    }

    public int relationId() {
        return relationId;
    }

    public TableSchema schema() {
        return schema;
    }

    /** {@code d} default, {@code n} nothing, {@code f} full, {@code i} index. */
    public char replicaIdentity() {
        return replicaIdentity;
    }

    /** Whether the column is part of the replica identity, as flagged in the Relation message. */
    public boolean isKey(int column) {
        return keyFlags[column];
    }

    @Override
    public String toString() {
        return schema.id() + " (relation OID " + Integer.toUnsignedString(relationId) + ")";
    }
}
