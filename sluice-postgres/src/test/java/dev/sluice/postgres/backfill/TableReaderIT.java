package dev.sluice.postgres.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TableId;
import dev.sluice.postgres.types.TypeCases;
import dev.sluice.postgres.types.TypeRegistry;
import dev.sluice.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pages read by {@link TableReader} (COPY's text format, parsed) hold exactly the values a {@code ::text} query
 * returns, in key order, page after page: escapes, nulls, every mapped type, keys that need quoting as literals.
 */
class TableReaderIT {
    private static final TestPostgres PG = TestPostgres.shared();
    private static final String AWKWARD =
            "tab\there, line\nbreak, cr\rx, back\\slash, \b\f\u000b, quote ' \" ?, " + "\\N, N, é☃😀";
    private static String db;

    @BeforeAll
    static void createTables() {
        db = PG.createDatabase("table_reader");
        PG.execute(db, TypeCases.setupSql());
        PG.execute(
                db,
                "CREATE TABLE every_type (id int PRIMARY KEY, " + TypeCases.columnsDdl() + ")",
                "INSERT INTO every_type VALUES (1, " + TypeCases.valuesSql() + ")",
                "INSERT INTO every_type (id) VALUES (2)",
                // Keys that are awkward as SQL literals and as COPY text; a column name with a '?' in it.
                "CREATE TABLE awkward (k text PRIMARY KEY, \"what?\" text, n int, arr text[], b bytea)");
        try (Connection c = PG.connect(db);
                var ps = c.prepareStatement("INSERT INTO awkward VALUES (?, ?, ?, ?, ?)")) {
            String[] keys = {AWKWARD, "", "a'b", "a\\b", "a\tb", "\\N", "N", "?", "z\n", "é"};
            for (int i = 0; i < keys.length; i++) {
                ps.setString(1, keys[i]);
                ps.setString(2, i % 3 == 0 ? null : AWKWARD + i);
                ps.setInt(3, i);
                ps.setArray(4, c.createArrayOf("text", new String[] {AWKWARD, null, "x"}));
                ps.setBytes(5, AWKWARD.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                ps.executeUpdate();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        PG.execute(
                db,
                "CREATE TABLE keyless (grp int, val text)",
                "INSERT INTO keyless SELECT g / 3, 'v' || g FROM generate_series(1, 20) g",
                "INSERT INTO keyless VALUES (2, NULL), (2, NULL)");
    }

    @Test
    void everyMappedType_readsAsItsTextForm() throws SQLException {
        assertPagesMatch("every_type", null, "id", 1);
    }

    @Test
    void awkwardValuesAndKeys_readExactlyPageAfterPage() throws SQLException {
        assertPagesMatch("awkward", null, "k", 3);
    }

    @Test
    void aKeylessTableBySortColumn_readsEveryRowOnceWithTies() throws SQLException {
        assertPagesMatch("keyless", "grp", "grp, ctid", 2);
    }

    private static void assertPagesMatch(String table, @Nullable String sortColumn, String orderBy, int pageSize)
            throws SQLException {
        try (Connection c = PG.connect(db)) {
            TableReader.prepareSession(c);
            TableReader r = TableReader.describe(c, new TypeRegistry(c), new TableId("public", table), sortColumn);
            List<List<@Nullable String>> expected = expected(c, r, table, orderBy);

            List<List<@Nullable String>> read = new ArrayList<>();
            List<String> cursor = null;
            int pages = 0;
            while (true) {
                TableReader.Page p = r.read(c, cursor, null, pageSize);
                for (String[] row : p.rows()) {
                    read.add(Arrays.asList(row));
                }
                pages++;
                if (p.rows().size() < pageSize) {
                    break;
                }
                cursor = p.cursor();
            }

            assertThat(read).containsExactlyElementsOf(expected);
            assertThat(pages).isGreaterThanOrEqualTo(expected.size() / pageSize);
        }
    }

    private static List<List<@Nullable String>> expected(Connection c, TableReader r, String table, String orderBy)
            throws SQLException {
        int n = r.schema().columnCount();
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < n; i++) {
            sql.append(i > 0 ? ", " : "")
                    .append('"')
                    .append(r.schema().columns().get(i).name())
                    .append("\"::text");
        }
        sql.append(" FROM ").append(table).append(" ORDER BY ").append(orderBy);
        List<List<@Nullable String>> out = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql.toString())) {
            while (rs.next()) {
                List<@Nullable String> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    row.add(rs.getString(i));
                }
                out.add(row);
            }
        }
        return out;
    }
}
