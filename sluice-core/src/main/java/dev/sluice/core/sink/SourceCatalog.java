package dev.sluice.core.sink;

import dev.sluice.core.TableId;
import org.jspecify.annotations.Nullable;

/**
 * What a sink may look up in the database it streams from. Messages carry values, not types; a sink that creates
 * structure at its peer (a column a replica lacks) asks here. Implementations query the source, so callers cache.
 */
@FunctionalInterface
public interface SourceCatalog {
    /**
     * The declared type of a column of a source table as Postgres prints it ({@code format_type}: {@code
     * numeric(10,2)}, {@code character varying(20)}, {@code public.mood[]}), or null when the table or column does
     * not exist (any more).
     *
     * @throws IllegalStateException when the source cannot be asked
     */
    @Nullable
    String columnType(TableId table, String column);

    /** A catalog that knows nothing: every lookup answers null. */
    SourceCatalog NONE = (table, column) -> null;
}
