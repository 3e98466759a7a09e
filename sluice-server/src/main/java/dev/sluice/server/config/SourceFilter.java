package dev.sluice.server.config;

import dev.sluice.core.TableId;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Which tables of the publication a sink receives. A null list means "not given". With nothing given every table
 * matches, including tables added later.
 *
 * <p>A table matches when it passes the includes (if any include list is given, its schema is in {@code
 * includeSchemas} or the table is in {@code includeTables}) and is not excluded (its schema is not in {@code
 * excludeSchemas} and the table is not in {@code excludeTables}). Include and exclude lists of the same kind
 * cannot be combined.
 */
public record SourceFilter(
        @Nullable List<String> includeSchemas,
        @Nullable List<String> excludeSchemas,
        @Nullable List<TableId> includeTables,
        @Nullable List<TableId> excludeTables) {

    /** Every table. */
    public static final SourceFilter ALL = new SourceFilter(null, null, null, null);

    public SourceFilter {
        if (includeSchemas != null && excludeSchemas != null) {
            throw new IllegalArgumentException("give include_schemas or exclude_schemas, not both");
        }
        if (includeTables != null && excludeTables != null) {
            throw new IllegalArgumentException("give include_tables or exclude_tables, not both");
        }
        includeSchemas = includeSchemas == null ? null : List.copyOf(includeSchemas);
        excludeSchemas = excludeSchemas == null ? null : List.copyOf(excludeSchemas);
        includeTables = includeTables == null ? null : List.copyOf(includeTables);
        excludeTables = excludeTables == null ? null : List.copyOf(excludeTables);
    }

    /** Whether changes of {@code table} go to the sink. */
    public boolean matches(TableId table) {
        if (includeSchemas != null || includeTables != null) {
            boolean included = (includeSchemas != null && includeSchemas.contains(table.schema()))
                    || (includeTables != null && includeTables.contains(table));
            if (!included) {
                return false;
            }
        }
        return (excludeSchemas == null || !excludeSchemas.contains(table.schema()))
                && (excludeTables == null || !excludeTables.contains(table));
    }
}
