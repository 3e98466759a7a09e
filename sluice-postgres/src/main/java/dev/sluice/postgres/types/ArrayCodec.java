package dev.sluice.postgres.types;

import dev.sluice.core.JsonWriter;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.ValueCodec;
import org.jspecify.annotations.Nullable;

/**
 * An array literal ({@code {1,2,NULL}}, {@code {{"a b","c\"d"},{e,f}}}, {@code [0:2]={1,2,3}}) →
 * a JSON array, nested per dimension, each element written by the element type's codec and an
 * unquoted {@code NULL} as null. Dimension bounds are dropped: JSON arrays start at 0.
 *
 * <p>The text is read twice: once to check its syntax, then to write. So a malformed literal is
 * written as one JSON string instead of leaving a half-written array behind.
 */
final class ArrayCodec implements ValueCodec {
    private final ValueCodec element;
    private final char delimiter;

    /**
     * @param element codec of the element type
     * @param delimiter the element type's {@code typdelim}: ',' for all types but box (';')
     */
    ArrayCodec(ValueCodec element, char delimiter) {
        this.element = element;
        this.delimiter = delimiter;
    }

    @Override
    public void write(JsonWriter out, String text, TimestampFormat format) {
        int start = skipDimensions(text);
        if (start < 0 || !new Reader(text, null, format).all(start)) {
            out.writeString(text);
            return;
        }
        new Reader(text, out, format).all(start);
    }

    /** The index after an optional {@code [l:u][l:u]=} prefix, or -1 when it is malformed. */
    private static int skipDimensions(String s) {
        if (s.isEmpty() || s.charAt(0) != '[') {
            return 0;
        }
        int eq = s.indexOf('=');
        if (eq < 0) {
            return -1;
        }
        for (int i = 0; i < eq; i++) {
            char c = s.charAt(i);
            if (!(ScalarCodecs.isDigit(c) || c == '[' || c == ']' || c == ':' || c == '-')) {
                return -1;
            }
        }
        return eq + 1;
    }

    /** One pass over the literal; writes when {@code out} is set, else only checks the syntax. */
    private final class Reader {
        private final String s;
        private final @Nullable JsonWriter out;
        private final TimestampFormat format;
        private int pos;

        Reader(String s, @Nullable JsonWriter out, TimestampFormat format) {
            this.s = s;
            this.out = out;
            this.format = format;
        }

        boolean all(int start) {
            pos = start;
            skipSpace();
            if (!array()) {
                return false;
            }
            skipSpace();
            return pos == s.length();
        }

        /** {@code { item (delimiter item)* }} or {@code {}}, starting at '{'. */
        private boolean array() {
            if (pos >= s.length() || s.charAt(pos) != '{') {
                return false;
            }
            pos++;
            if (out != null) {
                out.writeStartArray();
            }
            skipSpace();
            if (pos < s.length() && s.charAt(pos) == '}') {
                pos++;
                if (out != null) {
                    out.writeEndArray();
                }
                return true;
            }
            while (true) {
                skipSpace();
                if (pos >= s.length()) {
                    return false;
                }
                char c = s.charAt(pos);
                boolean ok = c == '{' ? array() : c == '"' ? quoted() : unquoted();
                if (!ok) {
                    return false;
                }
                skipSpace();
                if (pos >= s.length()) {
                    return false;
                }
                c = s.charAt(pos++);
                if (c == '}') {
                    break;
                }
                if (c != delimiter) {
                    return false;
                }
            }
            if (out != null) {
                out.writeEndArray();
            }
            return true;
        }

        /** {@code "..."} with backslash escapes; never NULL. */
        private boolean quoted() {
            int start = ++pos;
            StringBuilder unescaped = null;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '"') {
                    if (out != null) {
                        String value = unescaped == null
                                ? s.substring(start, pos)
                                : unescaped.append(s, start, pos).toString();
                        element.write(out, value, format);
                    }
                    pos++;
                    return true;
                }
                if (c == '\\') {
                    if (pos + 1 >= s.length()) {
                        return false;
                    }
                    if (out != null) {
                        if (unescaped == null) {
                            unescaped = new StringBuilder(s.length() - start);
                        }
                        unescaped.append(s, start, pos).append(s.charAt(pos + 1));
                    }
                    pos += 2;
                    start = pos;
                } else {
                    pos++;
                }
            }
            return false;
        }

        /** Characters up to the delimiter or '}', trailing spaces dropped; {@code NULL} is null. */
        private boolean unquoted() {
            int start = pos;
            StringBuilder unescaped = null;
            int end = pos;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == delimiter || c == '}') {
                    break;
                }
                if (c == '{' || c == '"') {
                    return false;
                }
                if (c == '\\') {
                    // escapes are legal in unquoted input, though Postgres quotes such elements on output
                    if (pos + 1 >= s.length()) {
                        return false;
                    }
                    if (unescaped == null) {
                        unescaped = new StringBuilder();
                    }
                    unescaped.append(s, start, pos).append(s.charAt(pos + 1));
                    pos += 2;
                    start = pos;
                    end = pos;
                    continue;
                }
                pos++;
                if (!Character.isWhitespace(c)) {
                    end = pos;
                }
            }
            if (end == start && unescaped == null) {
                return false; // empty element
            }
            if (out != null) {
                String value = unescaped == null
                        ? s.substring(start, end)
                        : unescaped.append(s, start, Math.max(start, end)).toString();
                if (unescaped == null && value.equalsIgnoreCase("NULL")) {
                    out.writeNull();
                } else {
                    element.write(out, value, format);
                }
            }
            return true;
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }
    }
}
