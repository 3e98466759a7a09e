package dev.sluice.server.jobs;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A user table of a source database as the jobs see it: its replica identity ({@code d}efault, {@code f}ull, {@code
 * n}othing, {@code i}ndex), the planner's row estimate, and its primary key columns with their declared types (empty
 * when it has none). Partitions are left out: their parent stands for them.
 */
record SourceTable(
        String database,
        String schema,
        String name,
        char replicaIdentity,
        long rowsEstimate,
        List<String> key,
        List<String> keyTypes) {
    private static final String KEY = "(SELECT array_agg(%s ORDER BY k.i) FROM pg_index x"
            + " CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, i)"
            + " JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum"
            + " WHERE x.indrelid = r.oid AND x.indisprimary)";

    /** Every user table of {@code db} (the database {@code c} is connected to), by schema and name. */
    static List<SourceTable> list(Connection c, String db) throws SQLException {
        List<SourceTable> out = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT n.nspname, r.relname, r.relreplident,"
                        + " greatest(r.reltuples, 0)::bigint,"
                        + " coalesce(" + KEY.formatted("a.attname") + ", '{}'),"
                        + " coalesce(" + KEY.formatted("format_type(a.atttypid, a.atttypmod)") + ", '{}')"
                        + " FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace"
                        + " WHERE r.relkind IN ('r', 'p') AND NOT r.relispartition"
                        + " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
                        + " ORDER BY 1, 2")) {
            while (rs.next()) {
                out.add(new SourceTable(
                        db,
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3).charAt(0),
                        rs.getLong(4),
                        List.of((String[]) rs.getArray(5).getArray()),
                        List.of((String[]) rs.getArray(6).getArray())));
            }
        }
        return out;
    }

    boolean hasPrimaryKey() {
        return !key.isEmpty();
    }

    /** {@code "schema"."name"}, for SQL. */
    String qualified() {
        return quote(schema) + "." + quote(name);
    }

    /** {@code database.schema.name}, for messages. */
    String label() {
        return database + "." + schema + "." + name;
    }

    boolean is(TableName n) {
        return n.matches(database, schema, name);
    }

    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
