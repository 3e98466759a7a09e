package dev.sluice.postgres.backfill;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * COPY's text format, both ways: a query with its parameters inlined as literals (COPY takes no parameters), and
 * one row of {@code COPY ... TO STDOUT} output split into fields.
 */
final class CopyText {
    private CopyText() {}

    /** {@code sql} with each {@code ?} outside a quoted identifier replaced by the next parameter as a literal. */
    static String inline(String sql, List<String> params) {
        StringBuilder out = new StringBuilder(sql.length() + 64);
        int p = 0;
        boolean quoted = false; // in a quoted identifier, where '?' is just a character
        for (int i = 0; i < sql.length(); i++) {
            char ch = sql.charAt(i);
            if (ch == '"') {
                quoted = !quoted;
                out.append(ch);
            } else if (ch == '?' && !quoted) {
                literal(out, params.get(p++));
            } else {
                out.append(ch);
            }
        }
        return out.toString();
    }

    // E'...' reads the same whatever standard_conforming_strings is.
    private static void literal(StringBuilder sql, String value) {
        sql.append("E'");
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (ch == '\\' || ch == '\'') {
                sql.append(ch);
            }
            sql.append(ch);
        }
        sql.append('\'');
    }

    /**
     * Splits one row of COPY's text format into {@code fields}: tab-separated, {@code \N} for null, backslash
     * escapes for backslash and control characters, UTF-8 (the driver's client encoding).
     */
    static void parseRow(byte[] line, @Nullable String[] fields) {
        int end = line.length;
        if (end > 0 && line[end - 1] == '\n') {
            end--;
        }
        int f = 0;
        int start = 0;
        boolean escaped = false;
        for (int i = 0; i <= end; i++) {
            byte b = i < end ? line[i] : (byte) '\t';
            if (b == '\\') {
                escaped = true;
                i++; // the escaped byte is never a separator
            } else if (b == '\t') {
                if (f == fields.length) {
                    throw new IllegalStateException("COPY row with more than " + fields.length + " fields");
                }
                fields[f++] = field(line, start, i, escaped);
                start = i + 1;
                escaped = false;
            }
        }
        if (f != fields.length) {
            throw new IllegalStateException("COPY row with " + f + " fields, expected " + fields.length);
        }
    }

    private static @Nullable String field(byte[] line, int from, int to, boolean escaped) {
        if (!escaped) {
            return new String(line, from, to - from, StandardCharsets.UTF_8);
        }
        if (to - from == 2 && line[from + 1] == 'N') {
            return null;
        }
        byte[] out = new byte[to - from];
        int o = 0;
        for (int i = from; i < to; i++) {
            byte b = line[i];
            if (b == '\\' && i + 1 < to) {
                b = switch (line[++i]) {
                    case 'b' -> 8;
                    case 'f' -> 12;
                    case 'n' -> 10;
                    case 'r' -> 13;
                    case 't' -> 9;
                    case 'v' -> 11;
                    default -> line[i]; // \\ and any other escaped byte stand for themselves
                };
            }
            out[o++] = b;
        }
        return new String(out, 0, o, StandardCharsets.UTF_8);
    }
}
