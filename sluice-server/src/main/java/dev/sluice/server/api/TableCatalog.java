package dev.sluice.server.api;

import dev.sluice.core.TableId;
import dev.sluice.postgres.replication.SourceSettings;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads the tables of a source database from its catalog, live: columns (type as {@code format_type} writes it,
 * nullability, default, position in the primary key), replica identity, whether the database's publication has the
 * table, and the planner's row estimate. Two queries, whatever the number of tables.
 */
final class TableCatalog {
    private static final String TABLES = "SELECT c.oid, n.nspname, c.relname, c.relreplident, c.reltuples::bigint,"
            + " EXISTS (SELECT 1 FROM pg_publication_tables p WHERE p.pubname = ? AND p.schemaname = n.nspname"
            + " AND p.tablename = c.relname)"
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
            + " ORDER BY n.nspname, c.relname";
    private static final String COLUMNS = "SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod),"
            + " a.attnotnull, pg_get_expr(d.adbin, d.adrelid),"
            // indkey is an int2vector, whose subscripts start at 0: make the position 1-based.
            + " array_position(i.indkey::int2[], a.attnum) + 1 - array_lower(i.indkey::int2[], 1)"
            + " FROM pg_attribute a"
            + " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            + " LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary"
            + " WHERE a.attrelid = ANY (?) AND a.attnum > 0 AND NOT a.attisdropped"
            + " ORDER BY a.attrelid, a.attnum";

    /**
     * A column.
     *
     * @param type as {@code format_type} writes it, e.g. {@code character varying(64)}
     * @param defaultExpression the default's SQL text, or null
     * @param primaryKeyPosition 1-based position in the primary key, or null
     */
    record ColumnInfo(
            String name,
            String type,
            boolean nullable,
            @Nullable String defaultExpression,
            @Nullable Integer primaryKeyPosition) {}

    /**
     * A table.
     *
     * @param replicaIdentity {@code default}, {@code full}, {@code index} or {@code nothing}
     * @param estimatedRows the planner's estimate, or null when the table was never analyzed
     */
    record TableInfo(
            TableId id,
            List<ColumnInfo> columns,
            String replicaIdentity,
            boolean published,
            @Nullable Long estimatedRows) {
        /** The primary key's column names, in key order. */
        List<String> primaryKey() {
            return columns.stream()
                    .filter(c -> c.primaryKeyPosition() != null)
                    .sorted(java.util.Comparator.comparing(ColumnInfo::primaryKeyPosition))
                    .map(ColumnInfo::name)
                    .toList();
        }

        @Nullable
        ColumnInfo column(String name) {
            for (ColumnInfo c : columns) {
                if (c.name().equals(name)) {
                    return c;
                }
            }
            return null;
        }
    }

    private TableCatalog() {}

    /** Every user table of the database, by schema and name. */
    static List<TableInfo> read(SourceSettings s) throws SQLException {
        try (Connection c = DriverManager.getConnection(s.jdbcUrl(), s.properties(false))) {
            c.setReadOnly(true);
            Map<Long, TableInfo> tables = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement(TABLES)) {
                ps.setString(1, s.publicationName());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long rows = rs.getLong(5);
                        tables.put(
                                rs.getLong(1),
                                new TableInfo(
                                        new TableId(rs.getString(2), rs.getString(3)),
                                        new ArrayList<>(),
                                        replicaIdentity(rs.getString(4)),
                                        rs.getBoolean(6),
                                        rows < 0 ? null : rows));
                    }
                }
            }
            if (tables.isEmpty()) {
                return List.of();
            }
            Array oids = c.createArrayOf("oid", tables.keySet().toArray());
            try (PreparedStatement ps = c.prepareStatement(COLUMNS)) {
                ps.setArray(1, oids);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        int pk = rs.getInt(6);
                        Integer position = rs.wasNull() ? null : pk;
                        tables.get(rs.getLong(1))
                                .columns()
                                .add(new ColumnInfo(
                                        rs.getString(2),
                                        rs.getString(3),
                                        !rs.getBoolean(4),
                                        rs.getString(5),
                                        position));
                    }
                }
            }
            List<TableInfo> out = new ArrayList<>(tables.size());
            for (TableInfo t : tables.values()) {
                out.add(new TableInfo(
                        t.id(), List.copyOf(t.columns()), t.replicaIdentity(), t.published(), t.estimatedRows()));
            }
            return out;
        }
    }

    private static String replicaIdentity(String code) {
        return switch (code) {
            case "f" -> "full";
            case "i" -> "index";
            case "n" -> "nothing";
            default -> "default";
        };
    }
}
