package dev.sluice.server.jobs;

import static dev.sluice.server.jobs.SourceTable.quote;

import dev.sluice.server.jobs.SchemaPlan.Relation;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * Reads the parts of a source's schema that its tables build on: schemas, extensions, user types (enums, domains,
 * composite and range types) and functions, as {@code CREATE} statements. The connection's {@code search_path} is
 * {@code pg_catalog}, so every name the catalog functions print is schema-qualified. Objects that belong to an
 * extension are left to the extension.
 */
final class TypeReader {
    /** Schemas of the system and of extensions' internals, never copied. */
    static final String USER_SCHEMA =
            "n.nspname NOT IN ('pg_catalog', 'information_schema')" + " AND n.nspname NOT LIKE 'pg\\_%'";

    private TypeReader() {}

    static String notInExtension(String catalog, String oid) {
        return "NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = '" + catalog + "'::regclass AND x.objid = "
                + oid + " AND x.deptype = 'e')";
    }

    /** {@code CREATE SCHEMA IF NOT EXISTS} for each schema, then {@code CREATE EXTENSION IF NOT EXISTS} for each. */
    static List<Ddl> schemasAndExtensions(Connection c, Collection<String> schemas) throws SQLException {
        List<Ddl> out = new ArrayList<>();
        List<String[]> extensions = new ArrayList<>();
        Set<String> all = new java.util.TreeSet<>(schemas);
        try (PreparedStatement ps = c.prepareStatement(
                        "SELECT e.extname, n.nspname FROM pg_extension e"
                                + " JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY e.oid");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                extensions.add(new String[] {rs.getString(1), rs.getString(2)});
                all.add(rs.getString(2));
            }
        }
        for (String s : all) {
            out.add(Ddl.of("schema " + s, "CREATE SCHEMA IF NOT EXISTS " + quote(s)));
        }
        for (String[] e : extensions) {
            out.add(Ddl.of(
                    "extension " + e[0],
                    "CREATE EXTENSION IF NOT EXISTS " + quote(e[0]) + " WITH SCHEMA " + quote(e[1])));
        }
        return out;
    }

    /** The schemas that hold user types (their types are copied whole: they are small, and columns may use them). */
    static List<String> typeSchemas(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT n.nspname FROM pg_type t"
                        + " JOIN pg_namespace n ON n.oid = t.typnamespace WHERE " + USER_SCHEMA + " AND " + TYPES
                        + " ORDER BY 1");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static final String TYPES = "(t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND"
            + " (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))"
            + " AND " + notInExtension("pg_type", "t.oid");

    /** Enums, domains, composite and range types, in creation order (a type made of others comes after them). */
    static List<Ddl> types(Connection c, List<Relation> relations) throws SQLException {
        List<Ddl> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, t.typname, t.typtype,
                  (SELECT array_agg(quote_literal(e.enumlabel) ORDER BY e.enumsortorder)
                     FROM pg_enum e WHERE e.enumtypid = t.oid),
                  format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
                  CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation
                    THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co
                          JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = t.typcollation) END,
                  (SELECT array_agg('CONSTRAINT ' || quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid)
                     ORDER BY k.conname) FROM pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c'),
                  (SELECT array_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
                     ORDER BY a.attnum) FROM pg_attribute a
                     WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped),
                  (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid)
                FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
                WHERE\s""" + USER_SCHEMA + " AND " + TYPES + " ORDER BY t.oid");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String name = quote(rs.getString(1)) + "." + quote(rs.getString(2));
                String sql = switch (rs.getString(3).charAt(0)) {
                    case 'e' -> "CREATE TYPE " + name + " AS ENUM (" + join(rs.getArray(4)) + ")";
                    case 'd' -> {
                        StringBuilder d = new StringBuilder("CREATE DOMAIN " + name + " AS " + rs.getString(5));
                        if (rs.getString(8) != null) {
                            d.append(" COLLATE ").append(rs.getString(8));
                        }
                        if (rs.getString(7) != null) {
                            d.append(" DEFAULT ").append(rs.getString(7));
                        }
                        if (rs.getBoolean(6)) {
                            d.append(" NOT NULL");
                        }
                        if (rs.getArray(9) != null) {
                            d.append(' ').append(String.join(" ", (String[])
                                    rs.getArray(9).getArray()));
                        }
                        yield d.toString();
                    }
                    case 'c' -> "CREATE TYPE " + name + " AS (" + join(rs.getArray(10)) + ")";
                    default -> "CREATE TYPE " + name + " AS RANGE (SUBTYPE = " + rs.getString(11) + ")";
                };
                out.add(Ddl.of("type " + rs.getString(1) + "." + rs.getString(2), sql));
                relations.add(new Relation("type", rs.getString(1), rs.getString(2)));
            }
        }
        return out;
    }

    /** User functions and procedures of {@code schemas}, for defaults, checks and views that call them. */
    static List<Ddl> functions(Connection c, List<String> schemas) throws SQLException {
        String kind = c.getMetaData().getDatabaseMajorVersion() >= 11
                ? "p.prokind IN ('f', 'p')"
                : "NOT p.proisagg AND NOT p.proiswindow";
        List<Ddl> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT n.nspname, p.proname,"
                + " pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid)"
                + " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE n.nspname = ANY(?) AND " + kind + " AND " + notInExtension("pg_proc", "p.oid")
                + " ORDER BY p.oid")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(Ddl.of(
                            "function " + rs.getString(1) + "." + rs.getString(2) + "(" + rs.getString(3) + ")",
                            rs.getString(4)));
                }
            }
        }
        return out;
    }

    private static String join(java.sql.Array a) throws SQLException {
        return a == null ? "" : String.join(", ", (String[]) a.getArray());
    }
}
