package dev.sluice.sink.postgres;

import dev.sluice.core.Action;
import dev.sluice.core.sink.SinkException;
import dev.sluice.sink.postgres.ChangeRow.JsonValue;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Applies one batch's rows to the target in order, in the caller's transaction. Consecutive rows that can go in one
 * statement do: inserts, updates and reads of one table writing the same columns become one {@code INSERT … SELECT
 * FROM unnest(…) ON CONFLICT (key) DO UPDATE} (the last row of a key wins, as it would applied one by one); deletes
 * of one table, one {@code DELETE … USING unnest(…)}. Values travel as text arrays and are cast to each column's
 * declared type on the target, so each type's own input function parses them. A table without a primary key is
 * written row by row, an update or delete matching one row by all its old values.
 */
final class BatchApply {
    private final Connection c;

    BatchApply(Connection c) {
        this.c = c;
    }

    /** A run of rows applied by one statement. */
    private record Segment(TargetTable table, boolean delete, List<String> columns, List<ChangeRow> rows) {}

    /** Applies {@code rows} in order; {@code tables.get(i)} is where row {@code i} goes. */
    void apply(List<ChangeRow> rows, List<TargetTable> tables) throws SQLException {
        Segment current = null;
        for (int i = 0; i < rows.size(); i++) {
            ChangeRow r = rows.get(i);
            TargetTable t = tables.get(i);
            boolean keyless = t.primaryKey().isEmpty();
            if (keyless && r.action() != Action.INSERT && r.action() != Action.READ) {
                flush(current);
                current = null;
                applyKeyless(t, r);
                continue;
            }
            Map<String, JsonValue> from = r.movedFrom(t.primaryKey());
            if (from != null) {
                flush(current);
                current = null;
                if (move(t, r, from)) {
                    continue;
                }
                // No row at the old key (a replay after the move was applied): the upsert below converges.
            }
            current = add(current, r, t);
        }
        flush(current);
    }

    /** Adds {@code r} to the current segment, or flushes it and starts the next; returns the segment {@code r} is in. */
    private Segment add(Segment current, ChangeRow r, TargetTable t) throws SQLException {
        List<String> columns = r.isDelete() ? t.primaryKey() : writtenColumns(t, r);
        if (current == null
                || current.table() != t
                || current.delete() != r.isDelete()
                || !current.columns().equals(columns)) {
            flush(current);
            current = new Segment(t, r.isDelete(), columns, new ArrayList<>());
        }
        current.rows().add(r);
        return current;
    }

    private static List<String> writtenColumns(TargetTable t, ChangeRow r) {
        Map<String, JsonValue> w = r.written();
        List<String> columns = new ArrayList<>(w.size());
        for (TargetTable.Column col : t.columns().values()) {
            if (col.writable() && w.containsKey(col.name())) {
                columns.add(col.name());
            }
        }
        return columns;
    }

    private void flush(Segment s) throws SQLException {
        if (s == null || s.rows().isEmpty()) {
            return;
        }
        TargetTable t = s.table();
        List<ChangeRow> rows = s.delete() || t.primaryKey().isEmpty() ? s.rows() : lastPerKey(t, s.rows());
        int n = rows.size();
        List<String> cols = s.columns();
        String[][] values = new String[cols.size()][n];
        for (int i = 0; i < n; i++) {
            ChangeRow r = rows.get(i);
            for (int j = 0; j < cols.size(); j++) {
                TargetTable.Column col = t.columns().get(cols.get(j));
                values[j][i] = r.text(col.name(), col.kind());
            }
        }
        String sql = s.delete() ? deleteSql(t, cols) : upsertSql(t, cols);
        try (PreparedStatement st = c.prepareStatement(sql)) {
            for (int j = 0; j < cols.size(); j++) {
                st.setArray(j + 1, c.createArrayOf("text", values[j]));
            }
            st.executeUpdate();
        }
    }

    /** The rows of an upsert segment, one per key: the last, which is what applying them in turn would leave. */
    private static List<ChangeRow> lastPerKey(TargetTable t, List<ChangeRow> rows) {
        if (rows.size() == 1) {
            return rows;
        }
        Map<List<String>, ChangeRow> byKey = new LinkedHashMap<>();
        for (ChangeRow r : rows) {
            List<String> key = new ArrayList<>(t.primaryKey().size());
            for (String k : t.primaryKey()) {
                key.add(Objects.toString(PgText.of(
                        r.record().getOrDefault(k, JsonValue.NULL),
                        t.columns().get(k).kind())));
            }
            byKey.remove(key);
            byKey.put(key, r);
        }
        return new ArrayList<>(byKey.values());
    }

    private static String upsertSql(TargetTable t, List<String> cols) {
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(name(t)).append(" (");
        join(sql, cols, c -> quote(c));
        sql.append(')');
        if (cols.stream().anyMatch(c -> t.columns().get(c).identityAlways())) {
            sql.append(" OVERRIDING SYSTEM VALUE");
        }
        sql.append(" SELECT ");
        join(sql, cols, c -> "u." + quote(c) + "::" + t.columns().get(c).declared());
        sql.append(" FROM unnest(");
        join(sql, cols, c -> "?::text[]");
        sql.append(") AS u(");
        join(sql, cols, c -> quote(c));
        sql.append(')');
        if (!t.primaryKey().isEmpty()) {
            sql.append(" ON CONFLICT (");
            join(sql, t.primaryKey(), c -> quote(c));
            // An identity column GENERATED ALWAYS takes a value on insert (OVERRIDING SYSTEM VALUE), never on update.
            List<String> set = cols.stream()
                    .filter(c ->
                            !t.primaryKey().contains(c) && !t.columns().get(c).identityAlways())
                    .toList();
            if (set.isEmpty()) {
                sql.append(") DO NOTHING");
            } else {
                sql.append(") DO UPDATE SET ");
                join(sql, set, c -> quote(c) + " = EXCLUDED." + quote(c));
            }
        }
        return sql.toString();
    }

    private static String deleteSql(TargetTable t, List<String> key) {
        StringBuilder sql = new StringBuilder("DELETE FROM ").append(name(t)).append(" t USING unnest(");
        join(sql, key, c -> "?::text[]");
        sql.append(") AS u(");
        join(sql, key, c -> quote(c));
        sql.append(") WHERE ");
        List<String> conditions = new ArrayList<>();
        for (String k : key) {
            conditions.add("t." + quote(k) + " = u." + quote(k) + "::"
                    + t.columns().get(k).declared());
        }
        sql.append(String.join(" AND ", conditions));
        return sql.toString();
    }

    /**
     * An update or delete of a table without a primary key: one row whose every column equals the old row's (as
     * text, which also compares types without an equality operator, such as json), as Postgres's own logical
     * replication matches rows of a REPLICA IDENTITY FULL table.
     */
    private void applyKeyless(TargetTable t, ChangeRow r) throws SQLException {
        Map<String, JsonValue> old = r.isDelete() ? r.record() : r.before();
        List<String> match =
                old.keySet().stream().filter(t.columns()::containsKey).toList();
        List<String> set = r.isDelete()
                ? List.of()
                : writtenColumns(t, r).stream()
                        .filter(c -> !t.columns().get(c).identityAlways())
                        .toList();
        StringBuilder sql = new StringBuilder(r.isDelete() ? "DELETE FROM " : "UPDATE ").append(name(t));
        if (!r.isDelete()) {
            sql.append(" SET ");
            join(sql, set, c -> quote(c) + " = ?::" + t.columns().get(c).declared());
        }
        sql.append(" WHERE ctid = (SELECT ctid FROM ").append(name(t)).append(" WHERE ");
        List<String> conditions = new ArrayList<>();
        for (String col : match) {
            conditions.add(quote(col) + "::text IS NOT DISTINCT FROM (?::"
                    + t.columns().get(col).declared() + ")::text");
        }
        sql.append(conditions.isEmpty() ? "false" : String.join(" AND ", conditions))
                .append(" LIMIT 1)");
        try (PreparedStatement st = c.prepareStatement(sql.toString())) {
            int i = 1;
            for (String col : set) {
                st.setString(i++, r.text(col, t.columns().get(col).kind()));
            }
            for (String col : match) {
                st.setString(i++, PgText.of(old.get(col), t.columns().get(col).kind()));
            }
            st.executeUpdate();
        }
    }

    /**
     * An update that changed the primary key, applied as one: the row at the old key takes the new key and the
     * columns the update carries, and keeps the others (unchanged TOAST values the message does not hold). False
     * when there is no row at the old key.
     */
    private boolean move(TargetTable t, ChangeRow r, Map<String, JsonValue> from) throws SQLException {
        List<String> set = writtenColumns(t, r).stream()
                .filter(col -> !t.columns().get(col).identityAlways())
                .toList();
        StringBuilder sql = new StringBuilder("UPDATE ").append(name(t)).append(" SET ");
        join(sql, set, col -> quote(col) + " = ?::" + t.columns().get(col).declared());
        sql.append(" WHERE ")
                .append(String.join(
                        " AND ",
                        t.primaryKey().stream()
                                .map(k ->
                                        quote(k) + " = ?::" + t.columns().get(k).declared())
                                .toList()));
        try (PreparedStatement st = c.prepareStatement(sql.toString())) {
            int i = 1;
            for (String col : set) {
                st.setString(i++, r.text(col, t.columns().get(col).kind()));
            }
            for (String k : t.primaryKey()) {
                st.setString(i++, PgText.of(from.get(k), t.columns().get(k).kind()));
            }
            return st.executeUpdate() > 0;
        }
    }

    /** Columns of the rows that the target table lacks, in the order first seen. */
    static Set<String> missingColumns(TargetTable t, ChangeRow r) {
        Set<String> missing = new java.util.LinkedHashSet<>();
        for (String col : r.record().keySet()) {
            if (!t.columns().containsKey(col)) {
                missing.add(col);
            }
        }
        return missing;
    }

    static String name(TargetTable t) {
        return quote(t.id().schema()) + "." + quote(t.id().name());
    }

    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    private static void join(StringBuilder sql, List<String> items, java.util.function.Function<String, String> f) {
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                sql.append(", ");
            }
            sql.append(f.apply(items.get(i)));
        }
    }

    /** A batch row the sink cannot apply, whatever the retry: the reason names the row. */
    static SinkException unappliable(String reason) {
        return new SinkException(reason, false);
    }
}
