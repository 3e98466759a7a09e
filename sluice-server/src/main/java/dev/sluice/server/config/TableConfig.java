package dev.sluice.server.config;

import dev.sluice.core.TableId;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Per-table settings of a sink.
 *
 * @param name the table
 * @param groupColumnNames columns whose values form the message group (ordering key) instead of the primary key;
 *     empty means the primary key
 * @param includeColumns the only columns delivered (with the primary key), or null
 * @param excludeColumns columns never delivered, or null; not together with {@code includeColumns}
 */
public record TableConfig(
        TableId name,
        List<String> groupColumnNames,
        @Nullable List<String> includeColumns,
        @Nullable List<String> excludeColumns) {
    public TableConfig {
        Objects.requireNonNull(name, "name");
        groupColumnNames = List.copyOf(groupColumnNames);
        includeColumns = includeColumns == null ? null : List.copyOf(includeColumns);
        excludeColumns = excludeColumns == null ? null : List.copyOf(excludeColumns);
        if (includeColumns != null && excludeColumns != null) {
            throw new IllegalArgumentException("give include_columns or exclude_columns of " + name + ", not both");
        }
    }

    /** Settings without a column selection. */
    public TableConfig(TableId name, List<String> groupColumnNames) {
        this(name, groupColumnNames, null, null);
    }

    /** Whether this table delivers only some of its columns. */
    public boolean selectsColumns() {
        return includeColumns != null || excludeColumns != null;
    }
}
