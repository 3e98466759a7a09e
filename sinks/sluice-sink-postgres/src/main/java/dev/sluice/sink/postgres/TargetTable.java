package dev.sluice.sink.postgres;

import dev.sluice.core.TableId;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A target table as its catalog describes it: columns in order with their declared types and value kinds, and its
 * primary key (empty when it has none; rows are then matched by all their columns, as REPLICA IDENTITY FULL does).
 */
record TargetTable(TableId id, Map<String, Column> columns, List<String> primaryKey) {
    /**
     * @param declared the type as {@code format_type} prints it, used in casts
     * @param writable false for generated columns, which take no value
     * @param identityAlways a {@code GENERATED ALWAYS AS IDENTITY} column, written with {@code OVERRIDING SYSTEM
     *     VALUE}
     */
    record Column(String name, String declared, ValueKind kind, boolean writable, boolean identityAlways) {}

    private static final String COLUMNS = "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.atttypid,"
            + " a.attgenerated <> '', a.attidentity = 'a',"
            // int2vector subscripts start at 0; -1 for a column outside the key
            + " coalesce(array_position(i.indkey::int2[], a.attnum), -1)"
            + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            + " JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary"
            + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p') AND a.attnum > 0"
            + " AND NOT a.attisdropped ORDER BY a.attnum";

    // Each type with the types it is made of (a domain's base, an array's element), to any depth.
    private static final String TYPES = "WITH RECURSIVE t AS ("
            + " SELECT y.oid, y.typname, y.typnamespace, y.typtype, y.typbasetype, y.typelem, y.typcategory, y.typdelim"
            + " FROM pg_type y WHERE y.oid = ANY(?)"
            + " UNION SELECT y.oid, y.typname, y.typnamespace, y.typtype, y.typbasetype, y.typelem, y.typcategory, y.typdelim"
            + " FROM pg_type y JOIN t ON y.oid = t.typbasetype OR (t.typcategory = 'A' AND y.oid = t.typelem))"
            + " SELECT oid, typname, typnamespace = 'pg_catalog'::regnamespace, typtype, typbasetype, typelem,"
            + " typcategory, typdelim FROM t";

    /** The table {@code id} as the target's catalog has it now, or null when there is no such table. */
    static @Nullable TargetTable load(Connection c, TableId id) throws SQLException {
        record Row(String name, String declared, long typeOid, boolean generated, boolean identity, int pkPos) {}
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(COLUMNS)) {
            s.setString(1, id.schema());
            s.setString(2, id.name());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(
                            rs.getString(1),
                            rs.getString(2),
                            rs.getLong(3),
                            rs.getBoolean(4),
                            rs.getBoolean(5),
                            rs.getInt(6)));
                }
            }
        }
        if (rows.isEmpty()) {
            return null;
        }
        Map<Long, ValueKind> kinds =
                kinds(c, rows.stream().map(Row::typeOid).distinct().toList());
        Map<String, Column> columns = new LinkedHashMap<>();
        List<Row> pk = new ArrayList<>();
        for (Row r : rows) {
            columns.put(
                    r.name(),
                    new Column(
                            r.name(),
                            r.declared(),
                            kinds.getOrDefault(r.typeOid(), ValueKind.Scalar.OTHER),
                            !r.generated(),
                            r.identity()));
            if (r.pkPos() >= 0) {
                pk.add(r);
            }
        }
        pk.sort(java.util.Comparator.comparingInt(Row::pkPos));
        return new TargetTable(id, columns, pk.stream().map(Row::name).toList());
    }

    private static Map<Long, ValueKind> kinds(Connection c, List<Long> oids) throws SQLException {
        Map<Long, PgType> types = new HashMap<>();
        try (PreparedStatement s = c.prepareStatement(TYPES)) {
            Array a = c.createArrayOf("oid", oids.toArray());
            s.setArray(1, a);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    types.put(
                            rs.getLong(1),
                            new PgType(
                                    rs.getString(2),
                                    rs.getBoolean(3),
                                    rs.getString(4),
                                    rs.getLong(5),
                                    rs.getLong(6),
                                    rs.getString(7),
                                    rs.getString(8).charAt(0)));
                }
            }
        }
        Map<Long, ValueKind> kinds = new HashMap<>();
        for (long oid : oids) {
            kinds.put(oid, kind(oid, types, 0));
        }
        return kinds;
    }

    private static ValueKind kind(long oid, Map<Long, PgType> all, int depth) {
        PgType t = all.get(oid);
        if (t == null || depth > 32) {
            return ValueKind.Scalar.OTHER;
        }
        if ("d".equals(t.typtype())) {
            return kind(t.base(), all, depth + 1);
        }
        if ("A".equals(t.category()) && t.elem() != 0) {
            PgType element = all.get(t.elem());
            return new ValueKind.Array(kind(t.elem(), all, depth + 1), element == null ? ',' : element.delimiter());
        }
        return t.builtin() ? ValueKind.builtin(t.name()) : ValueKind.Scalar.OTHER;
    }

    /** A pg_type row: what {@link #kind} needs to resolve domains and arrays. */
    private record PgType(
            String name, boolean builtin, String typtype, long base, long elem, String category, char delimiter) {}
}
