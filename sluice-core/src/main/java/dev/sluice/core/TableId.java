package dev.sluice.core;

import java.util.Objects;

/** A table's schema-qualified name, as Postgres spells it (case preserved, unquoted). */
public record TableId(String schema, String name) {
    public TableId {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(name, "name");
    }

    /**
     * Parses {@code "schema.table"} or {@code "table"} (schema {@code public}). Double quotes keep dots
     * and case: {@code "\"My.Schema\".orders"}.
     */
    public static TableId parse(String text) {
        String s = text.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty table name");
        }
        int split = -1;
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '.' && !quoted) {
                if (split >= 0) {
                    throw new IllegalArgumentException("too many dots in table name: " + text);
                }
                split = i;
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("unbalanced quote in table name: " + text);
        }
        if (split < 0) {
            return new TableId("public", unquote(s));
        }
        return new TableId(unquote(s.substring(0, split)), unquote(s.substring(split + 1)));
    }

    private static String unquote(String part) {
        if (part.isEmpty()) {
            throw new IllegalArgumentException("empty part in table name");
        }
        if (part.length() >= 2 && part.startsWith("\"") && part.endsWith("\"")) {
            return part.substring(1, part.length() - 1).replace("\"\"", "\"");
        }
        return part;
    }

    /** SQL-quoted form, safe to splice into statements: {@code "schema"."name"}. */
    public String quoted() {
        return quoteIdent(schema) + "." + quoteIdent(name);
    }

    public static String quoteIdent(String ident) {
        return "\"" + ident.replace("\"", "\"\"") + "\"";
    }

    @Override
    public String toString() {
        return schema + "." + name;
    }
}
