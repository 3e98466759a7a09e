package dev.sluice.postgres.backfill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Change;
import dev.sluice.core.Column;
import dev.sluice.core.TableId;
import dev.sluice.postgres.capture.PgOutputTestStream;
import dev.sluice.postgres.types.Render;
import dev.sluice.postgres.types.TypeRegistry;
import dev.sluice.testkit.TestPostgres;
import dev.sluice.testkit.TypeCases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pages read by {@link TableReader} (COPY's text format, parsed) hold exactly the values of the rows, in key order,
 * page after page: escapes, nulls, every mapped type, keys that need quoting as literals; and every value encodes as
 * the replication stream's value of the same row does.
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
    void everyMappedType_encodesAsTheReplicationStreamsValue() throws Exception {
        // bpchar, inet and bool are among the types whose cast to text differs from their output function.
        PG.execute(
                db,
                "CREATE TABLE streamed (id int PRIMARY KEY, " + TypeCases.columnsDdl() + ")",
                "CREATE PUBLICATION streamed_pub FOR TABLE streamed",
                "SELECT pg_create_logical_replication_slot('streamed_slot', 'pgoutput')",
                "INSERT INTO streamed VALUES (1, " + TypeCases.valuesSql() + ")",
                "INSERT INTO streamed (id) VALUES (2)");
        List<Change> streamed = new ArrayList<>();
        try (var s = PgOutputTestStream.open(PG, db, "streamed_slot", "streamed_pub")) {
            s.readTransactions(2, Duration.ofSeconds(30)).forEach(tx -> streamed.addAll(tx.changes()));
        } finally {
            PG.execute(db, "SELECT pg_drop_replication_slot('streamed_slot')");
        }
        try (Connection c = PG.connect(db)) {
            TableReader.prepareSession(c);
            TableReader r = TableReader.describe(c, new TypeRegistry(c), new TableId("public", "streamed"), null);
            List<@Nullable String[]> read = r.read(c, null, null, 10).rows();

            assertThat(read).hasSize(2);
            for (int row = 0; row < 2; row++) {
                Change live = streamed.get(row);
                for (int i = 0; i < r.schema().columnCount(); i++) {
                    Column column = r.schema().columns().get(i);
                    String liveValue = live.record()[i];
                    String readValue = read.get(row)[i];
                    assertThat(readValue == null ? null : Render.json(column.codec(), readValue))
                            .as(
                                    "row %d, column %s (read %s, streamed %s)",
                                    row + 1, column.name(), readValue, liveValue)
                            .isEqualTo(liveValue == null ? null : Render.json(column.codec(), liveValue));
                }
            }
        }
    }

    @Test
    void estimateAndRowSize_fromTheCatalog_forPlainAndPartitionedTables() throws Exception {
        PG.execute(
                db,
                "CREATE TABLE sized (id int PRIMARY KEY, pad text)",
                "INSERT INTO sized SELECT g, repeat('x', 200) FROM generate_series(1, 3000) g",
                "CREATE TABLE sized_parts (id int PRIMARY KEY, pad text) PARTITION BY RANGE (id)",
                "CREATE TABLE sized_parts_1 PARTITION OF sized_parts FOR VALUES FROM (0) TO (1000)",
                "CREATE TABLE sized_parts_2 PARTITION OF sized_parts FOR VALUES FROM (1000) TO (5000)",
                "INSERT INTO sized_parts SELECT g, repeat('x', 200) FROM generate_series(1, 3000) g",
                "CREATE TABLE unanalyzed (id int PRIMARY KEY)",
                "ANALYZE sized, sized_parts");
        try (Connection c = PG.connect(db)) {
            for (String table : List.of("sized", "sized_parts")) {
                TableReader r = TableReader.describe(c, new TypeRegistry(c), new TableId("public", table), null);
                assertThat(r.estimate(c)).as(table).isEqualTo(3000);
                // 200 characters of text and an int, plus tuple headers and page overhead.
                assertThat(r.averageRowBytes(c)).as(table).isBetween(200L, 400L);
            }
            TableReader r = TableReader.describe(c, new TypeRegistry(c), new TableId("public", "unanalyzed"), null);
            if (PG.majorVersion() >= 14) { // before 14, a table never analyzed counts 0 rows, not -1
                assertThat(r.estimate(c)).isEqualTo(-1);
            }
            assertThat(r.averageRowBytes(c)).isEqualTo(-1);
        }
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
        // Plain columns in text format: each value as its output function prints it.
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < n; i++) {
            sql.append(i > 0 ? ", " : "")
                    .append('"')
                    .append(r.schema().columns().get(i).name())
                    .append('"');
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
