package dev.sluice.postgres.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.core.TimestampFormat;
import dev.sluice.testkit.TestPostgres;
import dev.sluice.testkit.TypeCases;
import dev.sluice.testkit.TypeCases.Case;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every type of the mapping table against a real Postgres: values are inserted, read back in text
 * output format (simple query protocol, as pgoutput sends them) and mapped through
 * {@link TypeRegistry#codecFor(int)} with the column's {@code pg_attribute.atttypid}.
 */
class TypeMappingIT {
    private static final List<Case> CASES = TypeCases.ALL;
    private static final TestPostgres PG = TestPostgres.shared();
    private static String db;

    @BeforeAll
    static void createTable() {
        db = PG.createDatabase("type_mapping");
        PG.execute(db, TypeCases.setupSql());
        PG.execute(
                db,
                "CREATE TABLE every_type (" + TypeCases.columnsDdl() + ")",
                "INSERT INTO every_type VALUES (" + TypeCases.valuesSql() + ")");
    }

    @ParameterizedTest(name = "TimeZone={0}, IntervalStyle={1}")
    @CsvSource({"UTC, iso_8601", "Asia/Kolkata, postgres"})
    void mapsEveryTypeExactly(String timeZone, String intervalStyle) throws SQLException {
        List<String> actual = mapRow(timeZone, intervalStyle, TimestampFormat.ISO8601);
        boolean kolkata = timeZone.equals("Asia/Kolkata");
        List<String> expected = new ArrayList<>();
        for (Case c : CASES) {
            expected.add(kolkata && c.kolkataJson() != null ? c.kolkataJson() : c.json());
        }
        assertThat(TypeCases.labelled(actual)).containsExactlyElementsOf(TypeCases.labelled(expected));
    }

    @Test
    void unixMicrosecondTurnsTimestampsIntoIntegers() throws SQLException {
        List<String> actual = mapRow("Asia/Kolkata", "postgres", TimestampFormat.UNIX_MICROSECOND);
        List<String> got = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < CASES.size(); i++) {
            if (CASES.get(i).unixJson() != null) {
                got.add(TypeCases.label(i, actual.get(i)));
                expected.add(TypeCases.label(i, CASES.get(i).unixJson()));
            }
        }
        assertThat(got).containsExactlyElementsOf(expected);
    }

    @Test
    void infiniteIntervalIsAString() throws SQLException {
        assumeTrue(PG.majorVersion() >= 17, "infinite intervals arrived in Postgres 17");
        try (Connection c = PG.connect(db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT 'infinity'::interval, '-infinity'::interval")) {
            rs.next();
            TypeRegistry registry = new TypeRegistry(c);
            assertThat(Render.json(registry.codecFor(BuiltinTypes.INTERVAL), rs.getString(1)))
                    .isEqualTo("\"infinity\"");
            assertThat(Render.json(registry.codecFor(BuiltinTypes.INTERVAL), rs.getString(2)))
                    .isEqualTo("\"-infinity\"");
        }
    }

    @Test
    void typeNamesComeFromTheCatalog() throws SQLException {
        try (Connection catalog = PG.connect(db)) {
            TypeRegistry registry = new TypeRegistry(catalog);
            List<Integer> oids = columnTypes(catalog);
            assertThat(registry.typeName(oids.get(TypeCases.indexOf("int4[][]"))))
                    .isEqualTo("_int4");
            assertThat(registry.typeName(oids.get(TypeCases.indexOf("small_posint"))))
                    .isEqualTo("small_posint");
            assertThat(registry.typeName(oids.get(TypeCases.indexOf("mood[]")))).isEqualTo("_mood");
            assertThat(registry.typeName(oids.get(TypeCases.indexOf("hstore")))).isEqualTo("hstore");
        }
    }

    @Test
    void builtinTableMatchesTheServerCatalog() throws SQLException {
        List<String> mismatches = new ArrayList<>();
        try (Connection c = PG.connect(db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT oid::int8, typname::text, typelem::int8, typcategory::text"
                        + " FROM pg_type WHERE oid < 10000")) {
            int seen = 0;
            while (rs.next()) {
                PgType builtin = BuiltinTypes.lookup((int) rs.getLong(1));
                if (builtin == null) {
                    continue;
                }
                seen++;
                long oid = rs.getLong(1);
                // int2vector and oidvector are category A, but print as space-separated lists
                boolean array = rs.getString(4).equals("A") && rs.getLong(3) != 0 && oid != 22 && oid != 30;
                if (!builtin.name().equals(rs.getString(2))
                        || builtin.isArray() != array
                        || array && builtin.elementType() != rs.getLong(3)) {
                    mismatches.add(rs.getLong(1) + " " + rs.getString(2));
                }
            }
            assertThat(seen).isGreaterThan(150);
        }
        assertThat(mismatches).isEmpty();
    }

    private List<String> mapRow(String timeZone, String intervalStyle, TimestampFormat format) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("preferQueryMode", "simple");
        p.setProperty(
                "options",
                "-c DateStyle=ISO -c IntervalStyle=" + intervalStyle + " -c TimeZone=" + timeZone
                        + " -c extra_float_digits=3 -c bytea_output=hex");
        String url = "jdbc:postgresql://localhost:" + PG.port() + "/" + db;
        try (Connection text = DriverManager.getConnection(url, p);
                Connection catalog = PG.connect(db)) {
            // pgjdbc sends its own TimeZone (the JVM's) and extra_float_digits as startup parameters,
            // which win over "options": set them again and check what the session really uses.
            try (Statement s = text.createStatement()) {
                s.execute("SET TimeZone = '" + timeZone + "'");
                s.execute("SET extra_float_digits = 3");
            }
            assertThat(show(text, "DateStyle")).startsWith("ISO");
            assertThat(show(text, "IntervalStyle")).isEqualTo(intervalStyle);
            assertThat(show(text, "TimeZone")).isEqualTo(timeZone);
            assertThat(show(text, "extra_float_digits")).isEqualTo("3");
            assertThat(show(text, "bytea_output")).isEqualTo("hex");
            TypeRegistry registry = new TypeRegistry(catalog);
            List<Integer> oids = columnTypes(catalog);
            List<String> out = new ArrayList<>();
            try (Statement s = text.createStatement();
                    ResultSet rs = s.executeQuery("SELECT * FROM every_type")) {
                assertThat(rs.next()).isTrue();
                for (int i = 0; i < CASES.size(); i++) {
                    String value = rs.getString(i + 1);
                    out.add(Render.json(registry.codecFor(oids.get(i)), value, format));
                }
            }
            return out;
        }
    }

    private static String show(Connection c, String setting) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static List<Integer> columnTypes(Connection catalog) throws SQLException {
        List<Integer> oids = new ArrayList<>();
        try (Statement s = catalog.createStatement();
                ResultSet rs = s.executeQuery("SELECT atttypid::int8 FROM pg_attribute"
                        + " WHERE attrelid = 'every_type'::regclass AND attnum > 0 ORDER BY attnum")) {
            while (rs.next()) {
                oids.add((int) rs.getLong(1));
            }
        }
        return oids;
    }
}
