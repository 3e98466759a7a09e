package dev.sluice.postgres.capture;

import java.util.List;

/**
 * Finds a table's primary key in the source database's catalog. The relation cache asks once per
 * Relation message, so implementations need no cache of their own.
 */
@FunctionalInterface
public interface PrimaryKeyLookup {
    /**
     * The primary-key column names of the table with OID {@code relationId}, in key order.
     *
     * @return an empty list when the table has no primary key (or no longer exists)
     * @throws IllegalStateException when the catalog cannot be read
     */
    List<String> primaryKeyColumns(int relationId);
}
