package dev.sluice.server.functions;

import dev.sluice.core.TableId;
import dev.sluice.engine.MessageFunctions.Outcome;
import dev.sluice.postgres.replication.SourceSettings;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * An enrichment function at work: its SQL run against the source database once per batch, with {@code $1}, {@code
 * $2}, … the batch's primary-key values, one array per key column in alphabetical order of column name (Sequin's
 * rule, for {@code unnest($1, $2)}). Each returned row, matched to its message by the key columns it must select,
 * lands in the message's {@code metadata.enrichment}; a message without a row gets null.
 *
 * <p>One connection of its own, opened on first use and again after an error. Called by one sink's delivery thread
 * at a time; synchronized all the same.
 */
public final class Enrichment implements AutoCloseable {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    // Key types whose text in the message is the text Postgres gives back: matched without asking the server.
    private static final Set<String> PLAIN_TYPES =
            Set.of("int2", "int4", "int8", "text", "varchar", "uuid", "bpchar", "citext", "name", "oid");
    private static final int QUERY_TIMEOUT_SECONDS = 30;

    private record KeyColumn(String name, String type) {}

    private final String function;
    // The SQL with $n turned into JDBC's ?, and which $n each ? is.
    private final String jdbcSql;
    private final int[] parameterOf;
    private final int parameters;
    private final TableId table;
    private final SourceSettings source;
    private @Nullable Connection connection;
    private @Nullable List<KeyColumn> keys;

    public Enrichment(String function, String sql, TableId table, SourceSettings source) {
        this.function = function;
        Translated t = translate(sql);
        this.jdbcSql = t.sql();
        this.parameterOf = t.parameterOf();
        this.parameters = java.util.Arrays.stream(parameterOf).max().orElse(0);
        this.table = table;
        this.source = source;
    }

    /**
     * Puts each message's row into its {@code metadata.enrichment}, replacing {@code jsons}' entries; returns null,
     * or, when the batch cannot be enriched, a failure for each message.
     */
    public synchronized @Nullable List<Outcome.Failed> enrich(List<byte[]> jsons) {
        try {
            enrichAll(jsons);
            return null;
        } catch (EnrichmentProblem e) {
            return failAll(jsons.size(), "enrichment function " + function + ": " + e.getMessage());
        } catch (SQLException e) {
            closeConnection();
            return failAll(
                    jsons.size(),
                    "enrichment function " + function + " failed in " + table + "'s database: " + e.getMessage());
        }
    }

    private static List<Outcome.Failed> failAll(int n, String reason) {
        return Collections.nCopies(n, new Outcome.Failed(reason));
    }

    private void enrichAll(List<byte[]> jsons) throws SQLException, EnrichmentProblem {
        Connection c = connection();
        List<KeyColumn> cols = keys(c);
        List<ObjectNode> docs = new ArrayList<>(jsons.size());
        List<List<String>> keyValues = new ArrayList<>(jsons.size());
        for (byte[] json : jsons) {
            ObjectNode doc = (ObjectNode) JSON.readTree(json);
            docs.add(doc);
            JsonNode record = doc.get("record");
            List<String> key = new ArrayList<>(cols.size());
            for (KeyColumn k : cols) {
                JsonNode v = record == null ? null : record.get(k.name());
                key.add(v == null || v.isNull() ? null : v.isString() ? v.asString() : v.toString());
            }
            keyValues.add(key);
        }
        List<List<String>> canonical = canonical(c, cols, keyValues);
        Map<List<String>, ObjectNode> rows = run(c, cols, keyValues);
        for (int i = 0; i < docs.size(); i++) {
            ObjectNode doc = docs.get(i);
            JsonNode row = rows.get(canonical.get(i));
            JsonNode meta = doc.get("metadata");
            if (meta instanceof ObjectNode m) {
                m.set("enrichment", row == null ? JSON.nullNode() : row);
            }
            jsons.set(i, JSON.writeValueAsBytes(doc));
        }
    }

    /** Runs the SQL; its rows by key, each key once. */
    private Map<List<String>, ObjectNode> run(Connection c, List<KeyColumn> cols, List<List<String>> keyValues)
            throws SQLException, EnrichmentProblem {
        Map<List<String>, ObjectNode> rows = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(jdbcSql)) {
            ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            bindKeys(c, ps, cols, keyValues);
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                Map<String, Integer> index = new HashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    index.putIfAbsent(md.getColumnLabel(i), i);
                }
                for (KeyColumn k : cols) {
                    if (!index.containsKey(k.name())) {
                        throw new EnrichmentProblem("its query must select the primary key column"
                                + (cols.size() > 1
                                        ? "s "
                                                + String.join(
                                                        ", ",
                                                        cols.stream()
                                                                .map(KeyColumn::name)
                                                                .toList())
                                        : " " + k.name())
                                + " to match rows to messages");
                    }
                }
                while (rs.next()) {
                    List<String> key = new ArrayList<>(cols.size());
                    for (KeyColumn k : cols) {
                        key.add(rs.getString(index.get(k.name())));
                    }
                    ObjectNode row = JSON.createObjectNode();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        row.set(md.getColumnLabel(i), value(rs.getObject(i), rs.getString(i)));
                    }
                    if (rows.put(key, row) != null) {
                        throw new EnrichmentProblem("its query returned more than one row for primary key " + key
                                + "; it must return at most one row per message");
                    }
                }
            }
        }
        return rows;
    }

    private static JsonNode value(@Nullable Object o, @Nullable String text) {
        return switch (o) {
            case null -> JSON.nullNode();
            case Boolean b -> JSON.getNodeFactory().booleanNode(b);
            case Integer n -> JSON.getNodeFactory().numberNode(n);
            case Long n -> JSON.getNodeFactory().numberNode(n);
            case Short n -> JSON.getNodeFactory().numberNode(n);
            case Double n -> JSON.getNodeFactory().numberNode(n);
            case Float n -> JSON.getNodeFactory().numberNode(n);
            case java.math.BigDecimal n -> JSON.getNodeFactory().numberNode(n);
            default -> JSON.getNodeFactory().stringNode(text);
        };
    }

    private void bindKeys(Connection c, PreparedStatement ps, List<KeyColumn> cols, List<List<String>> keyValues)
            throws SQLException, EnrichmentProblem {
        if (parameters > cols.size()) {
            throw new EnrichmentProblem("its query uses $" + parameters + "; " + table + " has " + cols.size()
                    + " primary key column(s), given as $1" + (cols.size() > 1 ? "…$" + cols.size() : "")
                    + " in alphabetical order of column name ("
                    + String.join(", ", cols.stream().map(KeyColumn::name).toList()) + ")");
        }
        for (int p : parameterOf) {
            if (p < 1) {
                throw new EnrichmentProblem("its query uses $" + p + "; parameters start at $1");
            }
        }
        Array[] arrays = new Array[parameters];
        for (int i = 0; i < parameterOf.length; i++) {
            int p = parameterOf[i] - 1;
            if (arrays[p] == null) {
                arrays[p] = array(c, cols.get(p), keyValues, p);
            }
            ps.setArray(i + 1, arrays[p]);
        }
    }

    /** SQL in Postgres's {@code $n} form, for JDBC. */
    record Translated(String sql, int[] parameterOf) {}

    /**
     * Turns {@code $n} into {@code ?} (noting which n each is) and escapes a literal {@code ?} (a jsonb operator) as
     * {@code ??}, outside quoted strings, quoted identifiers, comments and dollar-quoted bodies.
     */
    static Translated translate(String sql) {
        StringBuilder out = new StringBuilder(sql.length());
        List<Integer> params = new ArrayList<>();
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char ch = sql.charAt(i);
            if (ch == '\'' || ch == '"') {
                int end = sql.indexOf(ch, i + 1);
                end = end < 0 ? n : end + 1;
                out.append(sql, i, end);
                i = end;
            } else if (ch == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                int end = sql.indexOf('\n', i);
                end = end < 0 ? n : end;
                out.append(sql, i, end);
                i = end;
            } else if (ch == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int end = sql.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                out.append(sql, i, end);
                i = end;
            } else if (ch == '$' && i + 1 < n && Character.isDigit(sql.charAt(i + 1))) {
                int j = i + 1;
                while (j < n && Character.isDigit(sql.charAt(j))) {
                    j++;
                }
                params.add(Integer.parseInt(sql.substring(i + 1, j)));
                out.append('?');
                i = j;
            } else if (ch == '$') {
                // A dollar-quoted body ($$...$$ or $tag$...$tag$) is copied as it is.
                int j = i + 1;
                while (j < n && (Character.isLetterOrDigit(sql.charAt(j)) || sql.charAt(j) == '_')) {
                    j++;
                }
                if (j < n && sql.charAt(j) == '$') {
                    String tag = sql.substring(i, j + 1);
                    int end = sql.indexOf(tag, j + 1);
                    end = end < 0 ? n : end + tag.length();
                    out.append(sql, i, end);
                    i = end;
                } else {
                    out.append(ch);
                    i++;
                }
            } else if (ch == '?') {
                out.append("??");
                i++;
            } else {
                out.append(ch);
                i++;
            }
        }
        return new Translated(
                out.toString(), params.stream().mapToInt(Integer::intValue).toArray());
    }

    private static Array array(Connection c, KeyColumn col, List<List<String>> keyValues, int p) throws SQLException {
        String[] values = new String[keyValues.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = keyValues.get(i).get(p);
        }
        return c.createArrayOf(col.type(), values);
    }

    /** Each message's key as Postgres writes it back, for matching rows. */
    private List<List<String>> canonical(Connection c, List<KeyColumn> cols, List<List<String>> keyValues)
            throws SQLException {
        List<List<String>> out = new ArrayList<>(keyValues);
        for (int p = 0; p < cols.size(); p++) {
            KeyColumn col = cols.get(p);
            if (PLAIN_TYPES.contains(col.type())) {
                continue;
            }
            try (PreparedStatement ps =
                    c.prepareStatement("SELECT x::text FROM unnest(?) WITH ORDINALITY AS u(x, n)" + " ORDER BY n")) {
                ps.setArray(1, array(c, col, keyValues, p));
                try (ResultSet rs = ps.executeQuery()) {
                    for (int i = 0; rs.next(); i++) {
                        List<String> key = new ArrayList<>(out.get(i));
                        key.set(p, rs.getString(1));
                        out.set(i, key);
                    }
                }
            }
        }
        return out;
    }

    private List<KeyColumn> keys(Connection c) throws SQLException, EnrichmentProblem {
        List<KeyColumn> k = keys;
        if (k != null) {
            return k;
        }
        List<KeyColumn> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, t.typname FROM pg_index i"
                + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
                + " JOIN pg_type t ON t.oid = a.atttypid"
                + " WHERE i.indrelid = ?::regclass AND i.indisprimary ORDER BY a.attname")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(new KeyColumn(rs.getString(1), rs.getString(2)));
                }
            }
        }
        if (found.isEmpty()) {
            throw new EnrichmentProblem(table + " has no primary key; enrichment matches rows by primary key");
        }
        keys = List.copyOf(found);
        return keys;
    }

    private Connection connection() throws SQLException {
        Connection c = connection;
        if (c == null || c.isClosed()) {
            c = DriverManager.getConnection(source.jdbcUrl(), source.properties(false));
            // Enrichment reads; in autocommit mode pgjdbc's setReadOnly enforces nothing, so the session does.
            try (var st = c.createStatement()) {
                st.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
            } catch (SQLException e) {
                c.close();
                throw e;
            }
            connection = c;
        }
        return c;
    }

    private void closeConnection() {
        Connection c = connection;
        connection = null;
        keys = null; // the table may have changed too
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // going away anyway
            }
        }
    }

    @Override
    public synchronized void close() {
        closeConnection();
    }

    /** The query does not fit the enrichment contract: fails the batch with what to fix. */
    private static final class EnrichmentProblem extends Exception {
        EnrichmentProblem(String message) {
            super(message, null, false, false);
        }
    }
}
