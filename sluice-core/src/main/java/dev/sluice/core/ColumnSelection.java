package dev.sluice.core;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which columns of each table a sink delivers: per table, a list of columns to include (only those) or to exclude
 * (all but those); tables not listed deliver every column. Primary-key columns are always delivered, whatever the
 * lists say (configuration rejects excluding them; this keeps a key column added later from vanishing).
 *
 * <p>Applied where a change becomes a message ({@link MessageEncoder}): dropped columns appear nowhere in it, not in
 * {@code record}, {@code changes}, {@code unchanged_toast_columns} nor {@code array_bounds}.
 *
 * @param tables the rule of each table that has one
 */
public record ColumnSelection(Map<TableId, Rule> tables) {
    /** Every column of every table. */
    public static final ColumnSelection ALL = new ColumnSelection(Map.of());

    /**
     * One table's rule.
     *
     * @param include true: only {@code columns} (and the primary key); false: all but {@code columns}
     * @param columns column names as Postgres spells them; not empty
     */
    public record Rule(boolean include, Set<String> columns) {
        public Rule {
            columns = Set.copyOf(columns);
            if (columns.isEmpty()) {
                throw new IllegalArgumentException("a column selection rule needs at least one column");
            }
        }

        /** Whether a column of this name is delivered (primary-key columns always are: see the class notes). */
        public boolean delivers(String column) {
            return include == columns.contains(column);
        }
    }

    public ColumnSelection {
        tables = Map.copyOf(tables);
    }

    /**
     * Which of the columns of {@code table} are delivered, index-aligned with its columns; null when all are. Made
     * once per table schema by its users, not per row.
     */
    public boolean @Nullable [] mask(TableSchema table) {
        Rule rule = tables.get(table.id());
        if (rule == null) {
            return null;
        }
        boolean[] out = new boolean[table.columnCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = rule.delivers(table.columns().get(i).name());
        }
        for (int k : table.primaryKey()) {
            out[k] = true;
        }
        for (boolean delivered : out) {
            if (!delivered) {
                return out;
            }
        }
        return null;
    }

    /** The rule of {@code table}, or null when it delivers every column. */
    public @Nullable Rule rule(TableId table) {
        return tables.get(Objects.requireNonNull(table));
    }
}
