package dev.sluice.core;

import java.util.List;

/**
 * The shape of a captured table at some point in the stream. A new instance replaces the old one
 * whenever the table's definition changes (ALTER TABLE), so a {@link Change} always carries the
 * schema its values were written with.
 *
 * @param id the table
 * @param columns columns in the order of the row values
 * @param primaryKey indexes into {@code columns} of the primary-key columns, in key order; empty when
 *     the table has no primary key
 */
public record TableSchema(TableId id, List<Column> columns, int[] primaryKey) {
    public TableSchema {
        columns = List.copyOf(columns);
        primaryKey = primaryKey.clone();
    }

    public int columnCount() {
        return columns.size();
    }

    public int indexOf(String columnName) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(columnName)) {
                return i;
            }
        }
        return -1;
    }

    public boolean hasPrimaryKey() {
        return primaryKey.length > 0;
    }
}
