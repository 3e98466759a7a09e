package dev.sluice.server.jobs;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A table whose rows {@code init} copies: its columns (generated ones left out: the target computes them), the
 * {@code table_filters} predicate that selects its rows, and whether COPY's binary format may carry every column.
 *
 * @param partitioned a partitioned table, read through a query over its partitions and written through its parent,
 *     which routes each row
 */
record CopyTable(
        String schema,
        String name,
        List<String> columns,
        boolean binarySafe,
        boolean partitioned,
        @Nullable String predicate,
        long rowsEstimate) {

    String qualified() {
        return SourceTable.quote(schema) + "." + SourceTable.quote(name);
    }

    String label() {
        return schema + "." + name;
    }

    private String columnList() {
        return String.join(", ", columns.stream().map(SourceTable::quote).toList());
    }

    /** The source side's COPY. */
    String copyOut(boolean binary) {
        String from = partitioned || predicate != null
                ? "(SELECT " + columnList() + " FROM " + qualified() + (predicate == null ? "" : " WHERE " + predicate)
                        + ")"
                : qualified() + " (" + columnList() + ")";
        return "COPY " + from + " TO STDOUT" + (binary ? " (FORMAT binary)" : "");
    }

    /** The target side's COPY. */
    String copyIn(boolean binary) {
        return "COPY " + qualified() + " (" + columnList() + ") FROM STDIN" + (binary ? " (FORMAT binary)" : "");
    }
}
