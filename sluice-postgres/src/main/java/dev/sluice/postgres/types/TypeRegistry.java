package dev.sluice.postgres.types;

import dev.sluice.core.ValueCodec;
import java.sql.Connection;

/**
 * Maps Postgres type OIDs to the {@link ValueCodec} that turns their text output into JSON.
 * Built-in types are known up front; other OIDs (domains, enums, arrays of them, extension types) are
 * resolved through the catalog on first use and cached.
 *
 * <p>Placeholder: every type maps to a JSON string until the value mapping lands.
 */
public final class TypeRegistry {
    private final Connection catalog;

    /** @param catalog an open, non-replication connection to the source database, used for lookups */
    public TypeRegistry(Connection catalog) {
        this.catalog = catalog;
    }

    public ValueCodec codecFor(int typeOid) {
        return ValueCodec.STRING;
    }

    public String typeName(int typeOid) {
        return "oid:" + typeOid;
    }
}
