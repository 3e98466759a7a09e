package dev.sluice.postgres.backfill;

import dev.sluice.core.Column;
import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import dev.sluice.postgres.types.TypeRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.postgresql.copy.CopyManager;
import org.postgresql.copy.CopyOut;
import org.postgresql.core.BaseConnection;

/**
 * Reads a table's existing rows in keyset pages, for backfills: in primary-key order (any key type, composite keys
 * compared as a row), or in a sort column's order with the key (or, without one, the row's physical position) as tie
 * breaker. Values come back in Postgres text form, exactly as pgoutput sends them, so a read row and a live change
 * of the same row encode alike.
 *
 * <p>The session must use {@link #prepareSession} settings so that timestamps, intervals and floats print as the
 * replication stream prints them.
 *
 * <p>Not thread-safe; it holds no connection of its own.
 */
public final class TableReader {
    private final TableSchema schema;
    private final List<String> orderColumns;
    private final List<String> orderTypes;
    private final int[] orderIndexes;
    private final boolean byCtid;
    private final @Nullable String sortColumn;
    private final @Nullable String sortType;
    private final List<TableId> members;
    private final int[] identityIndexes;
    private final String selectList;
    private final String from;
    // Order and filter columns are qualified with this alias: a bare name in ORDER BY would mean the output column
    // of the same name, which is its text form (ordered as text).
    private final String fromAliased;

    private TableReader(
            TableSchema schema,
            List<String> orderColumns,
            List<String> orderTypes,
            int[] orderIndexes,
            boolean byCtid,
            @Nullable String sortColumn,
            @Nullable String sortType,
            List<TableId> members) {
        this.schema = schema;
        this.orderColumns = orderColumns;
        this.orderTypes = orderTypes;
        this.orderIndexes = orderIndexes;
        this.byCtid = byCtid;
        this.sortColumn = sortColumn;
        this.sortType = sortType;
        this.members = members;
        this.identityIndexes = schema.primaryKey().length > 0
                ? schema.primaryKey()
                : java.util.stream.IntStream.range(0, schema.columnCount()).toArray();
        // Plain columns, not ::text: COPY prints each value with its type's output function, as pgoutput does,
        // where some casts to text differ (bpchar drops trailing blanks, inet adds the netmask, bool spells out).
        StringBuilder sb = new StringBuilder();
        for (Column c : schema.columns()) {
            sb.append("t.").append(quote(c.name())).append(", ");
        }
        sb.append(byCtid ? "t.ctid" : "NULL");
        this.selectList = sb.toString();
        this.from = quote(schema.id().schema()) + "." + quote(schema.id().name());
        this.fromAliased = from + " AS t";
    }

    /** Session settings under which values print as the replication stream prints them. */
    public static void prepareSession(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET TimeZone = 'UTC'");
            s.execute("SET DateStyle = 'ISO, MDY'");
            s.execute("SET IntervalStyle = 'postgres'");
            s.execute("SET extra_float_digits = 3");
            s.execute("SET bytea_output = 'hex'");
        }
    }

    /**
     * Describes {@code table} for reading, from the catalog.
     *
     * @throws UnreadableTableException when the table or the sort column does not exist, or the table has no
     *     primary key and no sort column is given (the message says what to fix)
     */
    public static TableReader describe(
            Connection catalog, TypeRegistry types, TableId table, @Nullable String sortColumn) throws SQLException {
        Integer oid = null;
        String kind = null;
        try (PreparedStatement ps = catalog.prepareStatement("""
                SELECT c.oid, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = ? AND c.relname = ?""")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    oid = (int) rs.getLong(1);
                    kind = rs.getString(2);
                }
            }
        }
        if (oid == null || !("r".equals(kind) || "p".equals(kind))) {
            throw new UnreadableTableException(
                    UnreadableTableException.Reason.NO_TABLE,
                    "table " + table + " does not exist in the source database"
                            + (oid == null ? "" : " (it is not a table)"));
        }
        List<Column> columns = new ArrayList<>();
        List<String> typeText = new ArrayList<>();
        try (PreparedStatement ps = catalog.prepareStatement("""
                SELECT attname, atttypid, format_type(atttypid, atttypmod) FROM pg_attribute
                 WHERE attrelid = ?::oid AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
                 ORDER BY attnum""")) {
            ps.setLong(1, Integer.toUnsignedLong(oid));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int typeOid = (int) rs.getLong(2);
                    columns.add(new Column(rs.getString(1), types.typeName(typeOid), types.codecFor(typeOid)));
                    typeText.add(rs.getString(3));
                }
            }
        }
        List<String> keyNames = new dev.sluice.postgres.capture.JdbcPrimaryKeyLookup(catalog).primaryKeyColumns(oid);
        int[] pk = new int[keyNames.size()];
        for (int i = 0; i < pk.length; i++) {
            pk[i] = indexOf(columns, keyNames.get(i));
        }
        TableSchema schema = new TableSchema(table, columns, pk);
        List<String> order = new ArrayList<>();
        List<String> orderTypes = new ArrayList<>();
        String sortType = null;
        if (sortColumn != null) {
            int s = indexOf(columns, sortColumn);
            if (s < 0) {
                throw new UnreadableTableException(
                        UnreadableTableException.Reason.NO_SORT_COLUMN,
                        "column '" + sortColumn + "' does not exist in table " + table
                                + " (it has: "
                                + String.join(
                                        ", ", columns.stream().map(Column::name).toList()) + ")");
            }
            order.add(sortColumn);
            orderTypes.add(typeText.get(s));
            sortType = typeText.get(s);
        } else if (pk.length == 0) {
            throw new UnreadableTableException(
                    UnreadableTableException.Reason.NO_PRIMARY_KEY,
                    "table " + table + " has no primary key: give a sort_column to read it"
                            + " in that column's order (or add a primary key)");
        }
        for (int i = 0; i < pk.length; i++) {
            if (!keyNames.get(i).equals(sortColumn)) {
                order.add(keyNames.get(i));
                orderTypes.add(typeText.get(pk[i]));
            }
        }
        boolean byCtid = pk.length == 0;
        int[] orderIndexes = new int[order.size()];
        for (int i = 0; i < orderIndexes.length; i++) {
            orderIndexes[i] = indexOf(columns, order.get(i));
        }
        return new TableReader(
                schema, order, orderTypes, orderIndexes, byCtid, sortColumn, sortType, members(catalog, oid, table));
    }

    // The table and, when it is partitioned, every partition below it: live changes may carry either name.
    private static List<TableId> members(Connection catalog, int oid, TableId table) throws SQLException {
        List<TableId> out = new ArrayList<>();
        out.add(table);
        try (PreparedStatement ps = catalog.prepareStatement("""
                SELECT n.nspname, c.relname FROM pg_partition_tree(?::oid::regclass) t
                  JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE t.level > 0""")) {
            ps.setLong(1, Integer.toUnsignedLong(oid));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new TableId(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return List.copyOf(out);
    }

    public TableSchema schema() {
        return schema;
    }

    /** The table, and its partitions when it is partitioned. */
    public List<TableId> members() {
        return members;
    }

    /** True when rows are identified by the primary key; false when only by the sort column's value. */
    public boolean keyed() {
        return schema.primaryKey().length > 0;
    }

    /** One page: rows as text values in column order, and the cursor after the last one (null when empty). */
    public record Page(
            List<@Nullable String[]> rows, @Nullable List<String> cursor) {}

    /**
     * Reads up to {@code limit} rows after {@code cursor} (from the start when null), from {@code startAt} on when
     * the reader has a sort column and it is given.
     */
    public Page read(Connection c, @Nullable List<String> cursor, @Nullable String startAt, int limit)
            throws SQLException {
        return read(c, cursor, startAt, null, limit);
    }

    /**
     * The cursor of the last row in read order (null when there is none): a backfill reads up to it and no further,
     * so that writers moving rows past its cursor cannot keep it going; rows that arrive beyond it came after the
     * backfill began and reach the sink as live changes.
     */
    public @Nullable List<String> last(Connection c, @Nullable String startAt) throws SQLException {
        StringBuilder sql =
                new StringBuilder("SELECT ").append(selectList).append(" FROM ").append(fromAliased);
        List<String> params = new ArrayList<>();
        where(sql, params, startAt, null, null);
        order(sql, " DESC");
        sql.append(" LIMIT 1");
        return copy(c, sql.toString(), params, 1, null).cursor();
    }

    /**
     * Reads up to {@code limit} rows after {@code cursor} (from the start when null) and up to {@code until} (a
     * {@link #last} cursor; no bound when null), from {@code startAt} on when the reader has a sort column and it is
     * given.
     */
    public Page read(
            Connection c,
            @Nullable List<String> cursor,
            @Nullable String startAt,
            @Nullable List<String> until,
            int limit)
            throws SQLException {
        return read(c, cursor, startAt, until, limit, null);
    }

    /** Receives each row of a page as it arrives, before the page is complete. */
    @FunctionalInterface
    public interface RowHandler {
        void row(@Nullable String[] values);
    }

    /**
     * Like {@link #read(Connection, List, String, List, int)}, handing each row to {@code each} as it arrives: work
     * done there overlaps with Postgres producing the rest of the page.
     */
    public Page read(
            Connection c,
            @Nullable List<String> cursor,
            @Nullable String startAt,
            @Nullable List<String> until,
            int limit,
            @Nullable RowHandler each)
            throws SQLException {
        StringBuilder sql =
                new StringBuilder("SELECT ").append(selectList).append(" FROM ").append(fromAliased);
        List<String> params = new ArrayList<>();
        where(sql, params, startAt, cursor, until);
        order(sql, "");
        sql.append(" LIMIT ").append(limit);
        return copy(c, sql.toString(), params, limit, each);
    }

    /**
     * Reads the page with {@code COPY (query) TO STDOUT} in text format: each value as its type's output function
     * prints it (as pgoutput sends it), at a fraction of a ResultSet's cost (no per-row materialisation by the
     * driver). COPY takes no parameters, so they go in as escaped literals.
     */
    private Page copy(Connection conn, String sql, List<String> params, int limit, @Nullable RowHandler each)
            throws SQLException {
        BaseConnection c = conn.unwrap(BaseConnection.class);
        String inlined = "COPY (" + CopyText.inline(sql, params) + ") TO STDOUT";
        int n = schema.columnCount();
        List<@Nullable String[]> rows = new ArrayList<>(Math.min(limit, 10_000));
        String ctid = null;
        CopyOut out = new CopyManager(c).copyOut(inlined);
        try {
            byte[] line;
            @Nullable String[] fields = new String[n + 1];
            while ((line = out.readFromCopy()) != null) {
                CopyText.parseRow(line, fields);
                String[] row = java.util.Arrays.copyOf(fields, n);
                rows.add(row);
                if (each != null) {
                    each.row(row);
                }
                if (byCtid) {
                    ctid = fields[n];
                }
            }
        } finally {
            if (out.isActive()) {
                out.cancelCopy();
            }
        }
        return page(rows, ctid);
    }

    private void where(
            StringBuilder sql,
            List<String> params,
            @Nullable String startAt,
            @Nullable List<String> after,
            @Nullable List<String> until) {
        String sep = " WHERE ";
        if (sortColumn != null) {
            // Rows without a sort value cannot be placed in its order.
            sql.append(sep).append("t.").append(quote(sortColumn)).append(" IS NOT NULL");
            sep = " AND ";
            if (startAt != null) {
                sql.append(sep)
                        .append("t.")
                        .append(quote(sortColumn))
                        .append(" >= ?::")
                        .append(sortType);
                params.add(startAt);
            }
        }
        if (after != null) {
            sql.append(sep);
            compare(sql, params, " > ", after);
            sep = " AND ";
        }
        if (until != null) {
            sql.append(sep);
            compare(sql, params, " <= ", until);
        }
    }

    // ROW(order columns) <op> ROW(cursor values), each value cast to its column's type.
    private void compare(StringBuilder sql, List<String> params, String op, List<String> cursor) {
        int width = orderColumns.size() + (byCtid ? 1 : 0);
        if (cursor.size() != width) {
            throw new IllegalArgumentException(
                    "a cursor of " + cursor.size() + " value(s) for an order of " + width + " column(s)");
        }
        sql.append("ROW(");
        for (int i = 0; i < orderColumns.size(); i++) {
            sql.append(i > 0 ? ", " : "").append("t.").append(quote(orderColumns.get(i)));
        }
        if (byCtid) {
            sql.append(", t.ctid");
        }
        sql.append(")").append(op).append("ROW(");
        for (int i = 0; i < width; i++) {
            sql.append(i > 0 ? ", " : "").append("?::").append(i < orderTypes.size() ? orderTypes.get(i) : "tid");
        }
        sql.append(")");
        params.addAll(cursor);
    }

    private void order(StringBuilder sql, String direction) {
        sql.append(" ORDER BY ");
        for (int i = 0; i < orderColumns.size(); i++) {
            sql.append(i > 0 ? ", " : "")
                    .append("t.")
                    .append(quote(orderColumns.get(i)))
                    .append(direction);
        }
        if (byCtid) {
            sql.append(", t.ctid").append(direction);
        }
    }

    private Page page(List<@Nullable String[]> rows, @Nullable String ctid) {
        int width = orderColumns.size() + (byCtid ? 1 : 0);
        if (rows.isEmpty()) {
            return new Page(rows, null);
        }
        String[] last = rows.getLast();
        List<String> next = new ArrayList<>(width);
        for (int idx : orderIndexes) {
            next.add(last[idx]);
        }
        if (byCtid) {
            next.add(ctid);
        }
        return new Page(rows, next);
    }

    /**
     * The average bytes a row takes on disk, TOAST included, from the table's size and the planner's row estimate
     * (cheap; -1 when unknown, as before the first ANALYZE).
     */
    public long averageRowBytes(Connection c) throws SQLException {
        try (PreparedStatement ps = storedMembers(
                        c,
                        "coalesce(sum(pg_table_size(c.oid)), 0)::bigint, coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            long bytes = rs.getLong(1);
            long rows = rs.getLong(2);
            return rows > 0 ? Math.max(1, bytes / rows) : -1;
        }
    }

    /** The planner's row estimate (cheap; may be stale or -1 before the first ANALYZE). */
    public long estimate(Connection c) throws SQLException {
        try (PreparedStatement ps = storedMembers(
                        c, "coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint, bool_or(c.reltuples >= 0)");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getBoolean(2) ? rs.getLong(1) : -1;
        }
    }

    /**
     * {@code SELECT <select> FROM pg_class c} over the relations that hold the table's rows: the table itself, or a
     * partitioned table's partitions (a plain table is in no partition tree; a partitioned one's own reltuples, after
     * ANALYZE, counts its partitions' rows again).
     */
    private PreparedStatement storedMembers(Connection c, String select) throws SQLException {
        PreparedStatement ps = c.prepareStatement("SELECT " + select + " " + """
                 FROM pg_class c
                 WHERE (c.oid = ?::regclass OR c.oid IN (SELECT relid FROM pg_partition_tree(?::regclass)))
                   AND c.relkind <> 'p'""");
        ps.setString(1, from);
        ps.setString(2, from);
        return ps;
    }

    /** The exact number of rows the backfill reads (a full scan). */
    public long count(Connection c, @Nullable String startAt) throws SQLException {
        String where = sortColumn == null
                ? ""
                : " WHERE " + quote(sortColumn) + " IS NOT NULL"
                        + (startAt == null ? "" : " AND " + quote(sortColumn) + " >= ?::" + sortType);
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + from + where)) {
            if (sortColumn != null && startAt != null) {
                ps.setString(1, startAt);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The columns of {@link #identity}: the primary key's, or without one every column. */
    public List<String> identityColumns() {
        List<String> out = new ArrayList<>();
        for (int i : identityIndexes) {
            out.add(schema.columns().get(i).name());
        }
        return out;
    }

    /**
     * The identity a live change and a read row share, to tell that a row changed while its page was read: its
     * primary-key values, or, without a key, all its values (a keyless table's update carries the whole old row
     * under REPLICA IDENTITY FULL, which such a table needs to publish updates and deletes). Matching by the sort
     * value alone would drop every other row that shares it.
     */
    public String identity(@Nullable String[] row) {
        StringBuilder sb = new StringBuilder();
        int[] idx = identityIndexes;
        for (int i = 0; i < idx.length; i++) {
            if (i > 0) {
                sb.append('\u0000');
            }
            sb.append(row[idx[i]]);
        }
        return sb.toString();
    }

    private static int indexOf(List<Column> columns, String name) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
