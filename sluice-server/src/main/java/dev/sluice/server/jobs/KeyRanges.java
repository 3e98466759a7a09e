package dev.sluice.server.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * How verify cuts a table into ranges of its primary key: the key columns the ranges are over, their types, and the
 * bounds, read from the source. Range {@code i} holds the keys from bound {@code i-1} (inclusive) to bound {@code i}
 * (exclusive), open at both ends; {@code width_bucket} gives each row's range in the scan itself, so each side of a
 * table is read once. No bounds: the whole table is one range.
 *
 * @param row the ranges are over the whole composite key (compared as records), not its first column
 */
record KeyRanges(List<String> columns, List<String> types, List<List<String>> bounds, boolean row) {
    /** About this many rows a range. */
    static final int RANGE_ROWS = 10_000;
    /** Tables estimated larger than this get their bounds from a sample of about {@link #SAMPLE_ROWS} keys. */
    static final long SAMPLE_ABOVE = 200_000;

    static final int SAMPLE_ROWS = 50_000;
    /** At most this many ranges over a fixed-width key: {@code width_bucket} binary-searches its bounds. */
    static final int MAX_RANGES = 1_000;
    /**
     * At most this many over a variable-width or composite key, whose bounds {@code width_bucket} walks from the start
     * for each row.
     */
    static final int MAX_RANGES_VARIABLE = 64;

    private static final String SETTING = "sluice.verify_bounds_";

    static KeyRanges whole() {
        return new KeyRanges(List.of(), List.of(), List.of(), false);
    }

    int count() {
        return bounds.size() + 1;
    }

    /** The range {@code i}'s first key (inclusive), null for the first range. */
    List<String> from(int i) {
        return i == 0 ? null : bounds.get(i - 1);
    }

    /** The range {@code i}'s end (exclusive), null for the last range. */
    List<String> to(int i) {
        return i == bounds.size() ? null : bounds.get(i);
    }

    /**
     * Reads the bounds of {@code t} from the source: every {@link #RANGE_ROWS}th key in key order, or for a large
     * table every so many keys of a sample of its pages (ranges need not hold equal rows, only cover every key).
     * {@code fixedWidth} says whether the first key column's type has a fixed length.
     */
    static KeyRanges plan(Connection c, SourceTable t, boolean fixedWidth) throws SQLException {
        if (t.key().isEmpty()) {
            return whole();
        }
        boolean single = t.key().size() == 1;
        int cap = single && fixedWidth ? MAX_RANGES : MAX_RANGES_VARIABLE;
        long estimate = t.rowsEstimate();
        boolean sample = estimate > SAMPLE_ABOVE;
        long wanted = Math.max(1, Math.min(cap, estimate / RANGE_ROWS));
        String scanned = sample
                ? t.qualified() + " TABLESAMPLE SYSTEM ("
                        + String.format(
                                Locale.ROOT, "%.4f", Math.max(0.0001, Math.min(100.0, 100.0 * SAMPLE_ROWS / estimate)))
                        + ")"
                : t.qualified();
        long every = sample ? Math.max(1, SAMPLE_ROWS / wanted) : Math.max(RANGE_ROWS, estimate / cap);
        String key = String.join(", ", t.key().stream().map(SourceTable::quote).toList());
        List<List<String>> bounds = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT "
                + String.join(
                        ", ",
                        t.key().stream()
                                .map(k -> SourceTable.quote(k) + "::text")
                                .toList())
                + " FROM (SELECT " + key + ", row_number() OVER (ORDER BY " + key + ") AS sluice_rn FROM " + scanned
                + ") b WHERE sluice_rn % ? = 0 ORDER BY sluice_rn")) {
            s.setLong(1, every);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    List<String> b = new ArrayList<>();
                    for (int i = 1; i <= t.key().size(); i++) {
                        b.add(rs.getString(i));
                    }
                    bounds.add(b);
                }
            }
        }
        // An estimate far below the truth (a table never analyzed) gives too many bounds: keep every so many.
        bounds = thin(bounds, cap - 1);
        if (bounds.isEmpty()) {
            return whole();
        }
        if (single) {
            return new KeyRanges(t.key(), t.keyTypes(), bounds, false);
        }
        // Ranges of the first key column are cheaper to find for each row than ranges of records, and as fine when
        // that column has about as many values in the bounds.
        LinkedHashSet<String> leading = new LinkedHashSet<>();
        bounds.forEach(b -> leading.add(b.getFirst()));
        if (leading.size() * 2 >= bounds.size()) {
            return new KeyRanges(
                    List.of(t.key().getFirst()),
                    List.of(t.keyTypes().getFirst()),
                    leading.stream().map(List::of).toList(),
                    false);
        }
        return new KeyRanges(t.key(), t.keyTypes(), bounds, true);
    }

    private static List<List<String>> thin(List<List<String>> bounds, int max) {
        if (bounds.size() <= max) {
            return bounds;
        }
        int step = (bounds.size() + max - 1) / max;
        List<List<String>> out = new ArrayList<>();
        for (int i = step - 1; i < bounds.size(); i += step) {
            out.add(bounds.get(i));
        }
        return out;
    }

    /** The expression that gives a row of {@code t} (the table's alias) its range, an {@code int4}. */
    String expression() {
        if (bounds.isEmpty()) {
            return "0::int4";
        }
        if (!row) {
            return "width_bucket(t." + SourceTable.quote(columns.getFirst()) + ", (SELECT current_setting('" + SETTING
                    + "1')::text[]::" + types.getFirst() + "[]))";
        }
        List<String> fields = new ArrayList<>();
        List<String> typed = new ArrayList<>();
        List<String> arrays = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            fields.add("t." + SourceTable.quote(columns.get(i)));
            typed.add("u.c" + i + "::" + types.get(i));
            arrays.add("current_setting('" + SETTING + (i + 1) + "')::text[]");
        }
        List<String> aliases = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            aliases.add("c" + i);
        }
        return "width_bucket(ROW(" + String.join(", ", fields) + "), (SELECT array_agg(ROW("
                + String.join(", ", typed) + ") ORDER BY u.o) FROM unnest(" + String.join(", ", arrays)
                + ") WITH ORDINALITY AS u(" + String.join(", ", aliases) + ", o)))";
    }

    /**
     * Puts the bounds where {@link #expression()} reads them: a setting of {@code c}'s session per key column, so
     * that the values reach the server as one array parameter (a {@code COPY} takes no parameters).
     */
    void bind(Connection c) throws SQLException {
        for (int i = 0; i < columns.size() && !bounds.isEmpty(); i++) {
            int column = i;
            try (PreparedStatement s = c.prepareStatement("SELECT set_config(?, ?::text[]::text, false)")) {
                s.setString(1, SETTING + (i + 1));
                s.setArray(
                        2,
                        c.createArrayOf(
                                "text", bounds.stream().map(b -> b.get(column)).toArray()));
                s.execute();
            }
        }
    }
}
