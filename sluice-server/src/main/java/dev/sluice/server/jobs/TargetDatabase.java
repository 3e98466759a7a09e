package dev.sluice.server.jobs;

import static dev.sluice.server.jobs.SourceTable.quote;

import dev.sluice.server.jobs.SchemaPlan.Relation;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The target side of {@code init}: creating the database, finding and dropping what is in the way. */
final class TargetDatabase {
    private TargetDatabase() {}

    /** Creates {@code db} on the target server when it does not exist (validate told whether the role may). */
    static void ensure(Endpoint target, String db, JobContext job) throws SQLException {
        try (Connection c = target.connect(db)) {
            return;
        } catch (SQLException e) {
            if (!"3D000".equals(e.getSQLState())) {
                throw e;
            }
        }
        SQLException last = null;
        for (String maintenance : List.of("postgres", "template1")) {
            try (Connection c = target.connect(maintenance);
                    Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + quote(db));
                job.log("created database " + db + " on the target");
                return;
            } catch (SQLException e) {
                if ("42P04".equals(e.getSQLState())) {
                    return; // created meanwhile
                }
                last = e;
            }
        }
        throw new SQLException(
                "the target database " + db + " does not exist and cannot be created (" + last.getMessage()
                        + "): create it, or GRANT the role CREATEDB",
                last.getSQLState(),
                last);
    }

    /**
     * What the target has already of the relations init creates: each with {@code kind} (what it is on the target),
     * {@code schema}, {@code name} and, for a table, {@code rows} (an estimate) and whether it {@code has_rows}.
     */
    static List<Map<String, Object>> conflicts(Connection t, List<Relation> relations) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        try (PreparedStatement rel = t.prepareStatement("SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN"
                        + " 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'"
                        + " WHEN 'f' THEN 'foreign table' ELSE 'relation' END, greatest(c.reltuples, 0)::bigint,"
                        + " c.relkind IN ('r', 'p') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')");
                PreparedStatement type = t.prepareStatement("SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE"
                        + " 'type' END FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
                        + " WHERE n.nspname = ? AND t.typname = ? AND (t.typtype <> 'c' OR"
                        + " (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')")) {
            for (Relation r : relations) {
                PreparedStatement ps = r.kind().equals("type") ? type : rel;
                ps.setString(1, r.schema());
                ps.setString(2, r.name());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        continue;
                    }
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("kind", rs.getString(1));
                    m.put("schema", r.schema());
                    m.put("name", r.name());
                    if (!r.kind().equals("type") && rs.getBoolean(3)) {
                        m.put("rows", rs.getLong(2));
                        m.put("has_rows", hasRows(t, quote(r.schema()) + "." + quote(r.name())));
                    }
                    out.add(m);
                }
            }
        }
        return out;
    }

    private static boolean hasRows(Connection t, String table) throws SQLException {
        try (Statement s = t.createStatement();
                ResultSet rs = s.executeQuery("SELECT EXISTS (SELECT 1 FROM " + table + ")")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Drops what {@link #conflicts} found, with what depends on it ({@code drop_existing}). */
    static void drop(Connection t, List<Map<String, Object>> existing) throws SQLException {
        for (Map<String, Object> m : existing) {
            String kind = ((String) m.get("kind")).toUpperCase(java.util.Locale.ROOT);
            try (Statement s = t.createStatement()) {
                s.execute("DROP " + kind + " IF EXISTS " + quote((String) m.get("schema")) + "."
                        + quote((String) m.get("name")) + " CASCADE");
            }
        }
    }

    /**
     * Sets each sequence on the target to the source's value now (sequences are outside snapshots: this is at least
     * the value of any row copied). Returns how many.
     */
    static int sequences(Connection s, Connection t, List<SchemaPlan.Sequence> sequences) throws SQLException {
        int n = 0;
        for (SchemaPlan.Sequence q : sequences) {
            long value;
            boolean called;
            try (Statement st = s.createStatement();
                    ResultSet rs = st.executeQuery("SELECT last_value, is_called FROM " + q.qualified())) {
                rs.next();
                value = rs.getLong(1);
                called = rs.getBoolean(2);
            }
            String targetName = q.qualified();
            if (q.column() != null) {
                try (PreparedStatement ps = t.prepareStatement("SELECT pg_get_serial_sequence(?, ?)")) {
                    ps.setString(1, q.table());
                    ps.setString(2, q.column());
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        targetName = rs.getString(1);
                    }
                }
            }
            try (PreparedStatement ps = t.prepareStatement("SELECT setval(?::regclass, ?, ?)")) {
                ps.setString(1, targetName);
                ps.setLong(2, value);
                ps.setBoolean(3, called);
                ps.execute();
            }
            n++;
        }
        return n;
    }
}
