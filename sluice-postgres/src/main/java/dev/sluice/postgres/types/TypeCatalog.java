package dev.sluice.postgres.types;

import java.sql.SQLException;
import java.util.List;

/** Where {@link TypeRegistry} looks up types it does not know. Called under the registry's lock. */
@FunctionalInterface
interface TypeCatalog {
    /**
     * The type with this OID and every type it is defined over: a domain's base type, an array's
     * element type, recursively. Empty when the OID is not in the catalog.
     */
    List<PgType> lookup(int oid) throws SQLException;
}
