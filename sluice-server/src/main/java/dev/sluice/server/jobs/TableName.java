package dev.sluice.server.jobs;

import org.jspecify.annotations.Nullable;

/**
 * A table as a filter names it: {@code table} (schema {@code public}), {@code schema.table}, or {@code
 * db.schema.table}; {@code database} is null when the name does not say.
 */
record TableName(@Nullable String database, String schema, String table) {
    static TableName parse(String text) {
        String[] parts = text.split("\\.", -1);
        return switch (parts.length) {
            case 1 -> new TableName(null, "public", parts[0]);
            case 2 -> new TableName(null, parts[0], parts[1]);
            case 3 -> new TableName(parts[0], parts[1], parts[2]);
            default ->
                throw new IllegalArgumentException(
                        "'" + text + "' is not a table name: write table, schema.table or database.schema.table");
        };
    }

    boolean matches(String db, String s, String t) {
        return (database == null || database.equals(db)) && schema.equals(s) && table.equals(t);
    }

    @Override
    public String toString() {
        return (database == null ? "" : database + ".") + schema + "." + table;
    }
}
