package dev.sluice.server.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The columns verify reads, and in which form. Between servers of one major version a column of a built-in type is
 * compared in its binary form (what {@code COPY … (FORMAT binary)} sends: cheaper to produce than text, and exact);
 * every other column as its text: user-defined types (an enum, domain or composite type has another OID in each
 * database, and arrays and records of them carry those OIDs in binary), {@code reg*} types (OIDs that name objects),
 * types without a binary form, and every column across major versions, whose binary forms Postgres does not promise
 * to keep. A floating-point column's NaN is written as the one NaN, as its text would be: a NaN computed on the
 * source and one parsed from text on the target have other bits but are the same value.
 */
final class VerifyColumns {
    private static final String BUILT_IN = "%1$s.oid < 16384 AND %1$s.typsend <> 0 AND %1$s.typtype IN ('b', 'r', 'm')"
            + " AND %1$s.typname NOT LIKE 'reg%%'";
    private static final String QUERY = "SELECT n.nspname, r.relname, a.attname, a.atttypid::int8, ty.typlen,"
            + " " + BUILT_IN.formatted("ty") + " AND (ty.typcategory <> 'A' OR (" + BUILT_IN.formatted("e")
            + " AND e.typname NOT IN ('float4', 'float8'))),"
            + " ty.typname IN ('float4', 'float8')"
            + " FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace"
            + " JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped"
            + " JOIN pg_type ty ON ty.oid = a.atttypid LEFT JOIN pg_type e ON e.oid = ty.typelem"
            + " WHERE r.relkind IN ('r', 'p') AND (n.nspname, r.relname) IN (SELECT * FROM unnest(?::text[], ?::text[]))"
            + " ORDER BY n.nspname, r.relname, a.attnum";

    private VerifyColumns() {}

    /** One column: its type's OID and length, whether its binary form is compared, whether it is a float. */
    record Column(String name, long type, int length, boolean binary, boolean floating) {}

    /** The columns of each of {@code tables} that exist on {@code c}'s database, by {@link SourceTable#qualified()}. */
    static Map<String, List<Column>> read(Connection c, List<SourceTable> tables) throws SQLException {
        Map<String, List<Column>> out = new HashMap<>();
        try (PreparedStatement s = c.prepareStatement(QUERY)) {
            s.setArray(
                    1,
                    c.createArrayOf(
                            "text", tables.stream().map(SourceTable::schema).toArray()));
            s.setArray(
                    2,
                    c.createArrayOf(
                            "text", tables.stream().map(SourceTable::name).toArray()));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    String table = SourceTable.quote(rs.getString(1)) + "." + SourceTable.quote(rs.getString(2));
                    out.computeIfAbsent(table, k -> new ArrayList<>())
                            .add(new Column(
                                    rs.getString(3), rs.getLong(4), rs.getInt(5), rs.getBoolean(6), rs.getBoolean(7)));
                }
            }
        }
        return out;
    }

    /**
     * How column {@code s} of the source (and {@code t}, its namesake on the target) is selected on both sides: as
     * is only when both have one built-in type and the servers one major version, else as text.
     */
    static String expression(Column s, Column t, boolean sameMajor) {
        String c = "t." + SourceTable.quote(s.name());
        if (!sameMajor || s.type() != t.type() || !s.binary() || !t.binary()) {
            return c + "::text";
        }
        return s.floating() ? "CASE WHEN " + c + " = 'NaN' THEN 'NaN' ELSE " + c + " END" : c;
    }
}
