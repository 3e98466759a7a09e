package dev.sluice.client;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ObjectNode;

/**
 * Which columns of one table a sink delivers: an include list or an exclude list (a primary key column cannot be
 * excluded). See {@link Sinks#selectColumns}.
 *
 * @param table {@code schema.table}
 * @param includeColumns the only columns delivered, or null
 * @param excludeColumns the columns never delivered, or null
 */
public record ColumnSelection(
        String table,
        @Nullable List<String> includeColumns,
        @Nullable List<String> excludeColumns) {
    public ColumnSelection {
        Objects.requireNonNull(table, "table");
        if (includeColumns != null && excludeColumns != null) {
            throw new IllegalArgumentException(
                    "table " + table + ": give include_columns or exclude_columns, not both");
        }
        includeColumns = includeColumns == null ? null : List.copyOf(includeColumns);
        excludeColumns = excludeColumns == null ? null : List.copyOf(excludeColumns);
    }

    /** Every column of {@code table} but {@code columns}. */
    public static ColumnSelection exclude(String table, String... columns) {
        return new ColumnSelection(table, null, List.of(columns));
    }

    /** Only {@code columns} of {@code table}. */
    public static ColumnSelection include(String table, String... columns) {
        return new ColumnSelection(table, List.of(columns), null);
    }

    /** Every column of {@code table}. */
    public static ColumnSelection all(String table) {
        return new ColumnSelection(table, null, null);
    }

    ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("table", table);
        if (includeColumns != null) {
            n.set("include_columns", Json.tree(includeColumns));
        }
        if (excludeColumns != null) {
            n.set("exclude_columns", Json.tree(excludeColumns));
        }
        return n;
    }
}
