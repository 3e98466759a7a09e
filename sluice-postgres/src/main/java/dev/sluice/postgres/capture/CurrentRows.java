package dev.sluice.postgres.capture;

import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Reads some columns of rows by primary key, as Postgres prints them: the current values of an update's unchanged
 * TOAST columns. One query per call ({@code WHERE (k1, k2) IN ((?, ?), …)}), with the keys sent untyped so that
 * Postgres reads them with the key columns' own types and uses the key's index.
 *
 * <p>Rows are matched to keys by the keys' text, which is the same as pgoutput's: both come from the types' output
 * functions, in sessions the same driver opened with the same settings.
 */
public final class CurrentRows {
    // Bind parameters of one statement, at most (Postgres allows 65535).
    private static final int MAX_PARAMETERS = 30_000;

    private CurrentRows() {}

    /**
     * For each of {@code keys} (primary-key values in key order), the values of {@code columns} (indexes into the
     * table's columns), or null when there is no such row.
     */
    public static List<@Nullable String[]> read(Connection c, TableSchema table, int[] columns, List<String[]> keys)
            throws SQLException {
        int[] pk = table.primaryKey();
        if (pk.length == 0) {
            throw new IllegalArgumentException(table.id() + " has no primary key to find its rows by");
        }
        Map<List<String>, String[]> found = new HashMap<>();
        int perQuery = Math.max(1, MAX_PARAMETERS / pk.length);
        for (int from = 0; from < keys.size(); from += perQuery) {
            List<String[]> chunk = keys.subList(from, Math.min(keys.size(), from + perQuery));
            try (PreparedStatement st = c.prepareStatement(sql(table, columns, chunk.size()))) {
                int p = 1;
                for (String[] key : chunk) {
                    for (String v : key) {
                        st.setObject(p++, v, Types.OTHER);
                    }
                }
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        String[] key = new String[pk.length];
                        for (int k = 0; k < pk.length; k++) {
                            key[k] = rs.getString(k + 1);
                        }
                        String[] values = new String[columns.length];
                        for (int j = 0; j < columns.length; j++) {
                            values[j] = rs.getString(pk.length + j + 1);
                        }
                        found.put(Arrays.asList(key), values);
                    }
                }
            }
        }
        List<@Nullable String[]> out = new ArrayList<>(keys.size());
        for (String[] key : keys) {
            out.add(found.get(Arrays.asList(key)));
        }
        return out;
    }

    static String sql(TableSchema table, int[] columns, int keys) {
        int[] pk = table.primaryKey();
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int k = 0; k < pk.length; k++) {
            sql.append(k > 0 ? ", " : "").append(column(table, pk[k])).append("::text");
        }
        for (int col : columns) {
            sql.append(", ").append(column(table, col)).append("::text");
        }
        sql.append(" FROM ").append(table.id().quoted()).append(" WHERE ");
        String tuple = "?";
        if (pk.length > 1) {
            sql.append('(');
            for (int k = 0; k < pk.length; k++) {
                sql.append(k > 0 ? ", " : "").append(column(table, pk[k]));
            }
            sql.append(')');
            tuple = "(" + String.join(", ", java.util.Collections.nCopies(pk.length, "?")) + ")";
        } else {
            sql.append(column(table, pk[0]));
        }
        sql.append(" IN (");
        for (int i = 0; i < keys; i++) {
            sql.append(i > 0 ? ", " : "").append(tuple);
        }
        return sql.append(')').toString();
    }

    private static String column(TableSchema table, int index) {
        return TableId.quoteIdent(table.columns().get(index).name());
    }
}
