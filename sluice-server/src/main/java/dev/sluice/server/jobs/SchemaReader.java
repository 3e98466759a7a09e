package dev.sluice.server.jobs;

import static dev.sluice.server.jobs.SourceTable.quote;

import dev.sluice.server.jobs.SchemaPlan.ForeignKey;
import dev.sluice.server.jobs.SchemaPlan.Relation;
import dev.sluice.server.jobs.SchemaPlan.Sequence;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads what {@code init} writes on the target from a source database: the selected tables with their partitions,
 * columns, defaults and identities; their sequences, constraints and indexes; the views of their schemas; and what
 * {@link TypeReader} adds. Run inside the copy's snapshot, so the schema and the data agree.
 */
final class SchemaReader {
    private final Connection c;
    private final int version;
    private final List<Ddl> pre = new ArrayList<>();
    private final List<Ddl> tables = new ArrayList<>();
    private final List<Ddl> post = new ArrayList<>();
    private final List<Ddl> foreignKeys = new ArrayList<>();
    private final List<Ddl> late = new ArrayList<>();
    private final List<CopyTable> copies = new ArrayList<>();
    private final List<Sequence> sequences = new ArrayList<>();
    private final List<Relation> relations = new ArrayList<>();
    private final List<ForeignKey> references = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    /** Every table created, partitions included: oid → "schema"."name". */
    private final Map<Long, String> created = new HashMap<>();

    private SchemaReader(Connection c) throws SQLException {
        this.c = c;
        this.version = c.getMetaData().getDatabaseMajorVersion();
    }

    /**
     * The plan for the tables of {@code db} the filter selects; {@code c} is connected to it, in the snapshot the
     * data will be read in.
     */
    static SchemaPlan read(Connection c, String db, JobSpec.Filter filter) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET search_path = pg_catalog"); // catalog functions then qualify every user name
        }
        try {
            return new SchemaReader(c).plan(db, filter);
        } finally {
            try (Statement s = c.createStatement()) {
                s.execute("RESET search_path"); // table_filters predicates are written for the usual one
            }
        }
    }

    private SchemaPlan plan(String db, JobSpec.Filter filter) throws SQLException {
        SchemaReader r = this;
        List<TableName> schemaOnly =
                filter.schemaOnlyTables().stream().map(TableName::parse).toList();
        Map<TableName, String> predicates = new HashMap<>();
        filter.tableFilters().forEach((t, p) -> predicates.put(TableName.parse(t), p));
        Set<String> schemas = new LinkedHashSet<>();
        List<SourceTable> selected =
                SourceTable.list(c, db).stream().filter(filter::selects).toList();
        for (SourceTable t : selected) {
            schemas.add(t.schema());
        }
        List<String> tableSchemas = List.copyOf(schemas);
        schemas.addAll(TypeReader.typeSchemas(c));
        r.pre.addAll(TypeReader.schemasAndExtensions(c, schemas));
        r.pre.addAll(TypeReader.types(c, r.relations));
        r.pre.addAll(TypeReader.functions(c, tableSchemas));
        List<Ddl> ownership = r.sequences(tableSchemas, selected);
        for (SourceTable t : selected) {
            String predicate = predicates.entrySet().stream()
                    .filter(e -> t.is(e.getKey()))
                    .map(Map.Entry::getValue)
                    .findFirst()
                    .orElse(null);
            r.table(t, schemaOnly.stream().anyMatch(t::is), predicate);
        }
        r.pre.addAll(r.tables);
        r.pre.addAll(ownership);
        r.constraintsAndIndexes();
        r.views(tableSchemas);
        return new SchemaPlan(
                r.pre, r.copies, r.post, r.foreignKeys, r.late, r.sequences, r.relations, r.references, r.warnings);
    }

    private void table(SourceTable t, boolean schemaOnly, @Nullable String predicate) throws SQLException {
        long oid;
        char kind;
        boolean unlogged;
        @Nullable String partitionKey;
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT c.oid, c.relkind, c.relpersistence,"
                        + " CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END FROM pg_class c WHERE c.oid = ?::regclass")) {
            ps.setString(1, t.qualified());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                oid = rs.getLong(1);
                kind = rs.getString(2).charAt(0);
                unlogged = rs.getString(3).equals("u");
                partitionKey = rs.getString(4);
            }
        }
        List<String> defs = new ArrayList<>();
        List<String> copied = new ArrayList<>();
        boolean binary = true;
        String generated = version >= 12 ? "a.attgenerated" : "''";
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                  a.attidentity,\s""" + generated + """
                , CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                    THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co
                          JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END,
                  a.atttypid < 16384 OR t.typtype = 'e' OR (t.typtype = 'd' AND t.typbasetype < 16384),
                  CASE WHEN a.attidentity <> '' THEN
                    (SELECT 'AS IDENTITY (INCREMENT BY ' || s.seqincrement || ' MINVALUE ' || s.seqmin
                       || ' MAXVALUE ' || s.seqmax || ' START WITH ' || s.seqstart || ' CACHE ' || s.seqcache
                       || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END || ')'
                     FROM pg_sequence s WHERE s.seqrelid = pg_get_serial_sequence(a.attrelid::regclass::text, a.attname)::regclass)
                  END
                FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString(1);
                    StringBuilder col =
                            new StringBuilder(quote(name)).append(' ').append(rs.getString(2));
                    if (rs.getString(7) != null) {
                        col.append(" COLLATE ").append(rs.getString(7));
                    }
                    String gen = rs.getString(6);
                    String identity = rs.getString(5);
                    if (!gen.isEmpty()) {
                        col.append(" GENERATED ALWAYS AS (")
                                .append(rs.getString(4))
                                .append(gen.equals("s") ? ") STORED" : ") VIRTUAL");
                    } else if (!identity.isEmpty()) {
                        col.append(identity.equals("a") ? " GENERATED ALWAYS " : " GENERATED BY DEFAULT ")
                                .append(rs.getString(9));
                        sequences.add(new Sequence(pgSerialSequence(t.qualified(), name), t.qualified(), name));
                    } else if (rs.getString(4) != null) {
                        col.append(" DEFAULT ").append(rs.getString(4));
                    }
                    if (rs.getBoolean(3)) {
                        col.append(" NOT NULL");
                    }
                    defs.add(col.toString());
                    if (gen.isEmpty()) {
                        copied.add(name);
                        binary &= rs.getBoolean(8);
                    }
                }
            }
        }
        tables.add(new Ddl(
                "table " + t.schema() + "." + t.name(),
                t.qualified(),
                "CREATE " + (unlogged ? "UNLOGGED " : "") + "TABLE " + t.qualified() + " (" + String.join(", ", defs)
                        + ")" + (partitionKey == null ? "" : " PARTITION BY " + partitionKey)));
        relations.add(new Relation("table", t.schema(), t.name()));
        created.put(oid, t.qualified());
        if (kind == 'p') {
            partitions(oid, t.qualified());
        }
        if (schemaOnly) {
            return;
        }
        if (copied.isEmpty()) {
            warnings.add("table " + t.label() + " has no column COPY can write (only generated ones, or none): created"
                    + " without rows");
            return;
        }
        copies.add(new CopyTable(
                t.schema(), t.name(), copied, binary, kind == 'p', predicate, Math.max(t.rowsEstimate(), 0)));
    }

    private String pgSerialSequence(String table, String column) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_get_serial_sequence(?, ?)")) {
            ps.setString(1, table);
            ps.setString(2, column);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /** Every partition under a partitioned table, parents before their partitions. */
    private void partitions(long root, String rootName) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                WITH RECURSIVE tree(oid, parent, level) AS (
                  SELECT ?::oid, 0::oid, 0
                  UNION ALL SELECT i.inhrelid, i.inhparent, t.level + 1 FROM pg_inherits i JOIN tree t ON i.inhparent = t.oid)
                SELECT c.oid, n.nspname, c.relname, c.relpersistence, pg_get_expr(c.relpartbound, c.oid),
                  CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, t.parent::regclass::text
                FROM tree t JOIN pg_class c ON c.oid = t.oid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE t.level > 0 ORDER BY t.level, c.oid""")) {
            ps.setLong(1, root);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = quote(rs.getString(2)) + "." + quote(rs.getString(3));
                    tables.add(new Ddl(
                            "table " + rs.getString(2) + "." + rs.getString(3),
                            rootName,
                            "CREATE " + (rs.getString(4).equals("u") ? "UNLOGGED " : "") + "TABLE " + name
                                    + " PARTITION OF " + rs.getString(7) + " " + rs.getString(5)
                                    + (rs.getString(6) == null ? "" : " PARTITION BY " + rs.getString(6))));
                    relations.add(new Relation("table", rs.getString(2), rs.getString(3)));
                    created.put(rs.getLong(1), name);
                }
            }
        }
    }

    /**
     * Sequences of their own in the tables' schemas (those behind identity columns come with their table), each
     * created before the tables whose defaults call it and then owned by its column again. A sequence owned by a
     * table that is not copied is left out.
     */
    private List<Ddl> sequences(List<String> schemas, List<SourceTable> selected) throws SQLException {
        Set<String> tableNames = new java.util.HashSet<>();
        selected.forEach(t -> tableNames.add(t.qualified()));
        List<Ddl> ownership = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin, s.seqmax,
                  s.seqstart, s.seqcache, s.seqcycle, tn.nspname, tc.relname, a.attname
                FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a'
                  AND d.refclassid = 'pg_class'::regclass
                LEFT JOIN pg_class tc ON tc.oid = d.refobjid LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
                LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                WHERE n.nspname = ANY(?) AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_class'::regclass
                  AND x.objid = c.oid AND x.deptype IN ('i', 'e'))
                ORDER BY c.oid""")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String owner =
                            rs.getString(10) == null ? null : quote(rs.getString(10)) + "." + quote(rs.getString(11));
                    if (owner != null && !tableNames.contains(owner)) {
                        continue;
                    }
                    String name = quote(rs.getString(1)) + "." + quote(rs.getString(2));
                    pre.add(Ddl.of(
                            "sequence " + rs.getString(1) + "." + rs.getString(2),
                            "CREATE SEQUENCE " + name + " AS " + rs.getString(3) + " INCREMENT BY " + rs.getLong(4)
                                    + " MINVALUE " + rs.getLong(5) + " MAXVALUE " + rs.getLong(6) + " START WITH "
                                    + rs.getLong(7) + " CACHE " + rs.getLong(8)
                                    + (rs.getBoolean(9) ? " CYCLE" : " NO CYCLE")));
                    relations.add(new Relation("sequence", rs.getString(1), rs.getString(2)));
                    sequences.add(new Sequence(name, owner == null ? name : owner, null));
                    if (owner != null) {
                        ownership.add(Ddl.of(
                                "owned " + rs.getString(1) + "." + rs.getString(2),
                                "ALTER SEQUENCE " + name + " OWNED BY " + owner + "." + quote(rs.getString(12))));
                    }
                }
            }
        }
        return ownership;
    }

    /**
     * Primary keys, unique, check and exclusion constraints and indexes of the created tables, and their foreign keys
     * to created tables. Those a partition inherits from its parent come with the parent's.
     */
    private void constraintsAndIndexes() throws SQLException {
        if (created.isEmpty()) {
            return;
        }
        java.sql.Array oids = c.createArrayOf("oid", created.keySet().toArray());
        String own = version >= 11 ? "k.conparentid = 0" : "true";
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT k.conrelid, k.conname, k.contype, pg_get_constraintdef(k.oid), k.confrelid,
                  (SELECT array_agg(a.attname ORDER BY x.i) FROM unnest(k.conkey) WITH ORDINALITY x(n, i)
                     JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.n),
                  (SELECT array_agg(a.attname ORDER BY x.i) FROM unnest(k.confkey) WITH ORDINALITY x(n, i)
                     JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = x.n)
                FROM pg_constraint k
                WHERE k.conrelid = ANY(?) AND k.contype IN ('p', 'u', 'c', 'x', 'f') AND k.conislocal AND\s""" + own + " ORDER BY k.contype <> 'p', k.oid")) {
            ps.setArray(1, oids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String table = created.get(rs.getLong(1));
                    String name = rs.getString(2);
                    Ddl ddl = new Ddl(
                            "constraint " + table + "." + name,
                            table,
                            "ALTER TABLE " + table + " ADD CONSTRAINT " + quote(name) + " " + rs.getString(4));
                    if (!rs.getString(3).equals("f")) {
                        post.add(ddl);
                        continue;
                    }
                    String parent = created.get(rs.getLong(5));
                    if (parent == null) {
                        warnings.add("foreign key " + name + " of " + table + " is left out: the table it references"
                                + " is not copied");
                        continue;
                    }
                    foreignKeys.add(ddl);
                    references.add(new ForeignKey(
                            name, table, List.of((String[]) rs.getArray(6).getArray()), parent, List.of((String[])
                                    rs.getArray(7).getArray())));
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT i.indrelid, n.nspname, ic.relname, pg_get_indexdef(i.indexrelid)
                FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
                WHERE i.indrelid = ANY(?)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                    AND k.conrelid = i.indrelid AND k.contype IN ('p', 'u', 'x'))
                  AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
                ORDER BY i.indexrelid""")) {
            ps.setArray(1, oids);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    // On a partitioned table the catalog prints "ON ONLY", which would build the index on the
                    // parent alone; without it the index is built on every partition too, as on the source.
                    post.add(new Ddl(
                            "index " + rs.getString(2) + "." + rs.getString(3),
                            created.get(rs.getLong(1)),
                            rs.getString(4).replaceFirst(" ON ONLY ", " ON ")));
                }
            }
        }
    }

    /**
     * Views (before the data) and materialized views (after it, so they are filled from it, unless the source's was
     * never filled) of the tables' schemas.
     */
    private void views(List<String> schemas) throws SQLException {
        try (PreparedStatement ps =
                c.prepareStatement("SELECT n.nspname, c.relname, c.relkind, pg_get_viewdef(c.oid), c.relispopulated"
                        + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY(?) AND "
                        + TypeReader.notInExtension("pg_class", "c.oid") + " ORDER BY c.oid")) {
            ps.setArray(1, c.createArrayOf("text", schemas.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = quote(rs.getString(1)) + "." + quote(rs.getString(2));
                    String def = rs.getString(4).strip();
                    if (def.endsWith(";")) {
                        def = def.substring(0, def.length() - 1);
                    }
                    boolean materialized = rs.getString(3).equals("m");
                    (materialized ? late : pre)
                            .add(Ddl.of(
                                    (materialized ? "materialized view " : "view ") + rs.getString(1) + "."
                                            + rs.getString(2),
                                    "CREATE " + (materialized ? "MATERIALIZED VIEW " : "VIEW ") + name + " AS " + def
                                            + (materialized && !rs.getBoolean(5) ? " WITH NO DATA" : "")));
                    relations.add(new Relation(
                            materialized ? "materialized view" : "view", rs.getString(1), rs.getString(2)));
                }
            }
        }
    }
}
