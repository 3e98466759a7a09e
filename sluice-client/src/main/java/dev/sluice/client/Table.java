package dev.sluice.client;

import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A table's schema metadata, as {@link Databases#tables} and {@link Sinks#tables} show it.
 *
 * @param schema its schema
 * @param name its name
 * @param columns its columns, in table order
 * @param replicaIdentity {@code default}, {@code full}, {@code index} or {@code nothing}, or null when not shown
 * @param published whether it is in the database's publication, or null when not shown
 * @param estimatedRows Postgres's estimate of its rows, or null
 * @param deliveredColumns for a sink: the columns it delivers; empty for a database's table
 * @param includeColumns for a sink: the include list, or null
 * @param excludeColumns for a sink: the exclude list, or null
 * @param raw the whole JSON object
 */
public record Table(
        String schema,
        String name,
        List<Column> columns,
        @Nullable String replicaIdentity,
        @Nullable Boolean published,
        @Nullable Long estimatedRows,
        List<String> deliveredColumns,
        @Nullable List<String> includeColumns,
        @Nullable List<String> excludeColumns,
        JsonNode raw) {

    /**
     * A column.
     *
     * @param name its name
     * @param type its Postgres type ({@code integer}, {@code text}, {@code timestamp with time zone}, ...)
     * @param nullable whether it takes NULL
     * @param defaultValue its default expression, or null
     * @param primaryKeyPosition its 1-based position in the primary key, or null when not in it
     */
    public record Column(
            String name,
            String type,
            boolean nullable,
            @Nullable String defaultValue,
            @Nullable Integer primaryKeyPosition) {

        /** Whether it is part of the primary key. */
        public boolean isPrimaryKey() {
            return primaryKeyPosition != null;
        }

        static Column from(JsonNode n) {
            return new Column(
                    Json.str(n, "name", ""),
                    Json.str(n, "type", ""),
                    !Boolean.FALSE.equals(Json.boolOrNull(n, "nullable")),
                    Json.str(n, "default"),
                    Json.intOrNull(n, "primary_key_position"));
        }
    }

    /** {@code schema.name}. */
    public String qualifiedName() {
        return schema + "." + name;
    }

    static Table from(JsonNode n) {
        String schema = Json.str(n, "schema");
        String name = Json.str(n, "name", "");
        if (schema == null) {
            String table = Json.str(n, "table", name);
            int dot = table.indexOf('.');
            schema = dot < 0 ? "public" : table.substring(0, dot);
            name = dot < 0 ? table : table.substring(dot + 1);
        }
        return new Table(
                schema,
                name,
                Json.list(n, "columns", Column::from),
                Json.str(n, "replica_identity"),
                Json.boolOrNull(n, "published"),
                Json.longOrNull(n, "estimated_rows"),
                Json.strings(n, "delivered_columns"),
                Json.stringsOrNull(n, "include_columns"),
                Json.stringsOrNull(n, "exclude_columns"),
                n);
    }
}
