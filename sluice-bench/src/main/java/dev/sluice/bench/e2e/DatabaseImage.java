package dev.sluice.bench.e2e;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a copy must reproduce of the replication scenario's source, read from one database: per table the row count
 * and an order-independent hash of every row's text ({@code sum(hashtextextended(t::text, 0))}), and the schema
 * objects a copy must rebuild (index definitions, constraints with their validation state, sequence values, enum
 * labels, columns with their types, defaults, identity and nullability). Two images are equal when the copy is.
 */
record DatabaseImage(Map<String, Long> rows, Map<String, String> hashes, Map<String, List<String>> schema) {

    private static final Map<String, String> SCHEMA_QUERIES = Map.of(
            "indexes",
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
            "constraints",
            "SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)"
                    + " || CASE WHEN convalidated THEN '' ELSE ' NOT VALID' END"
                    + " FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1",
            "sequences",
            "SELECT schemaname || '.' || sequencename || ' ' || data_type || ' ' || coalesce(last_value::text, 'unused')"
                    + " FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1",
            "enums",
            "SELECT t.typname || ': ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)"
                    + " FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid GROUP BY t.typname ORDER BY 1",
            "columns",
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' '"
                    + " || coalesce(column_default, '') || ' ' || is_identity || ' ' || coalesce(identity_generation, '')"
                    + " FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1");

    /** Reads the image of {@code tables} (in schema {@code public}) from {@code c}. */
    static DatabaseImage read(Connection c, List<String> tables) throws SQLException {
        Map<String, Long> rows = new LinkedHashMap<>();
        Map<String, String> hashes = new LinkedHashMap<>();
        Map<String, List<String>> schema = new LinkedHashMap<>();
        try (Statement s = c.createStatement()) {
            for (String t : tables) {
                try (ResultSet rs =
                        s.executeQuery("SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric),"
                                + " 0)::text FROM public." + t + " t")) {
                    rs.next();
                    rows.put(t, rs.getLong(1));
                    hashes.put(t, rs.getString(2));
                }
            }
            for (String name : List.of("indexes", "constraints", "sequences", "enums", "columns")) {
                List<String> lines = new ArrayList<>();
                try (ResultSet rs = s.executeQuery(SCHEMA_QUERIES.get(name))) {
                    while (rs.next()) {
                        lines.add(rs.getString(1));
                    }
                }
                schema.put(name, lines);
            }
        }
        return new DatabaseImage(rows, hashes, schema);
    }

    /** What differs in {@code copy} from this image, one line each; empty when it is an exact copy. */
    List<String> differences(DatabaseImage copy) {
        List<String> out = new ArrayList<>();
        rows.forEach((t, n) -> {
            Long m = copy.rows.get(t);
            if (!Objects.equals(n, m)) {
                out.add(t + ": " + m + " rows instead of " + n);
            } else if (!Objects.equals(hashes.get(t), copy.hashes.get(t))) {
                out.add(t + ": the rows' hash differs");
            }
        });
        schema.forEach((name, lines) -> {
            List<String> other = copy.schema.getOrDefault(name, List.of());
            List<String> missing = new ArrayList<>(lines);
            missing.removeAll(other);
            List<String> extra = new ArrayList<>(other);
            extra.removeAll(lines);
            missing.forEach(l -> out.add(name + " missing: " + l));
            extra.forEach(l -> out.add(name + " not in the source: " + l));
        });
        return out;
    }
}
