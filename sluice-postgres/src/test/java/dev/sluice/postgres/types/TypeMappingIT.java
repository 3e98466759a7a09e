package dev.sluice.postgres.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.core.TimestampFormat;
import dev.sluice.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.jspecify.annotations.Nullable;
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
    private static final TestPostgres PG = TestPostgres.shared();
    private static final List<Case> CASES = new ArrayList<>();
    private static String db;

    /**
     * @param type SQL type of the column
     * @param literal SQL literal inserted
     * @param json expected JSON with ISO timestamps
     * @param kolkataJson expected JSON when the session's TimeZone is Asia/Kolkata, when the text
     *     form itself depends on it; null when equal to {@code json}
     * @param unixJson expected JSON with {@link TimestampFormat#UNIX_MICROSECOND}; null when not checked
     */
    record Case(
            String type,
            String literal,
            String json,
            @Nullable String kolkataJson,
            @Nullable String unixJson) {}

    private static void c(String type, String literal, String json) {
        CASES.add(new Case(type, literal, json, null, null));
    }

    static {
        c("bool", "true", "true");
        c("bool", "false", "false");
        c("int2", "-32768", "-32768");
        c("int4", "2147483647", "2147483647");
        c("int8", "-9223372036854775808", "-9223372036854775808");
        c("oid", "4294967295", "4294967295");
        c("float4", "3.14", "3.14");
        c("float4", "'NaN'", "\"NaN\"");
        c("float8", "0.1", "0.1");
        c("float8", "1e308", "1e+308");
        c("float8", "'-Infinity'", "\"-Infinity\"");
        c("float8", "'Infinity'", "\"Infinity\"");
        c("float8", "'-0'", "-0");
        c("float8", "1.5e-7", "1.5e-07");
        c("numeric", "12345678901234567890.000000000000000001", "\"12345678901234567890.000000000000000001\"");
        c("numeric", "-1.50", "\"-1.50\"");
        c("numeric", "'NaN'", "\"NaN\"");
        c("numeric", "'Infinity'", "\"Infinity\"");
        c("numeric(10,3)", "2.5", "\"2.500\"");
        c("money", "-1234.56", "\"-1234.56\"");
        c("money", "92233720368547758.07", "\"92233720368547758.07\"");
        c("text", "E'h\\u00e9llo \"q\" \\\\ \\n tab\\t'", "\"héllo \\\"q\\\" \\\\ \\n tab\\t\"");
        c("varchar(10)", "'abc'", "\"abc\"");
        c("char(5)", "'ab'", "\"ab   \"");
        c("name", "'a_name'", "\"a_name\"");
        c("\"char\"", "'x'", "\"x\"");
        c("citext", "'MiXeD'", "\"MiXeD\"");
        c("uuid", "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
        c("json", "'{\"b\": 1,  \"a\": [1, 2.50]}'", "{\"b\": 1,  \"a\": [1, 2.50]}");
        c("jsonb", "'{\"b\": 1, \"a\": [1, 2.50, null, \"s\"]}'", "{\"a\": [1, 2.50, null, \"s\"], \"b\": 1}");
        c("jsonb", "'\"just a string\"'", "\"just a string\"");
        c("bytea", "'\\x0a0bff'", "\"Cgv/\"");
        c("bytea", "''", "\"\"");
        c("date", "'2024-01-02'", "\"2024-01-02\"");
        c("date", "'0044-03-15 BC'", "\"-0043-03-15\"");
        c("date", "'infinity'", "\"infinity\"");
        c("date", "'-infinity'", "\"-infinity\"");
        c("time", "'12:34:56.789'", "\"12:34:56.789000\"");
        c("time", "'24:00:00'", "\"24:00:00.000000\"");
        c("timetz", "'12:34:56.789+05:30'", "\"12:34:56.789000+05:30\"");
        c("timetz", "'01:02:03-08'", "\"01:02:03.000000-08:00\"");
        c("timetz", "'01:02:03+00'", "\"01:02:03.000000Z\"");
        CASES.add(new Case(
                "timestamp",
                "'2024-01-02 03:04:05.123456'",
                "\"2024-01-02T03:04:05.123456\"",
                null,
                "1704164645123456"));
        CASES.add(new Case("timestamp", "'1969-12-31 23:59:59.5'", "\"1969-12-31T23:59:59.500000\"", null, "-500000"));
        CASES.add(new Case("timestamp", "'-infinity'", "\"-infinity\"", null, "\"-infinity\""));
        CASES.add(new Case(
                "timestamp",
                "'0044-03-15 12:00:00 BC'",
                "\"-0043-03-15T12:00:00.000000\"",
                null,
                "-63517780800000000"));
        CASES.add(new Case(
                "timestamptz",
                "'2024-01-02 03:04:05.123456+00'",
                "\"2024-01-02T03:04:05.123456Z\"",
                null,
                "1704164645123456"));
        CASES.add(new Case(
                "timestamptz",
                "'2024-01-02 08:34:05.5+05:30'",
                "\"2024-01-02T03:04:05.500000Z\"",
                null,
                "1704164645500000"));
        CASES.add(new Case(
                "timestamptz",
                "'1900-01-01 00:00:00+00'",
                "\"1900-01-01T00:00:00.000000Z\"",
                null,
                "-2208988800000000"));
        CASES.add(new Case(
                "timestamptz",
                "'0044-03-15 12:00:00+00 BC'",
                "\"-0043-03-15T12:00:00.000000Z\"",
                null,
                "-63517780800000000"));
        CASES.add(new Case("timestamptz", "'infinity'", "\"infinity\"", null, "\"infinity\""));
        c("interval", "'1 year 2 months 3 days 04:05:06.789'", iv(14, 3, 14_706_789_000L));
        c("interval", "'-1 years -2 mons +3 days -04:05:06.789'", iv(-14, 3, -14_706_789_000L));
        c("interval", "'0'", iv(0, 0, 0));
        c("interval", "'2 weeks 36 hours'", iv(0, 14, 129_600_000_000L));
        c("interval", "'-0.5 seconds'", iv(0, 0, -500_000));
        c("interval", "'1 day ago'", iv(0, -1, 0));
        c("inet", "'192.168.0.1/24'", "\"192.168.0.1/24\"");
        c("inet", "'::1'", "\"::1\"");
        c("cidr", "'10.0.0.0/8'", "\"10.0.0.0/8\"");
        c("macaddr", "'08:00:2B:01:02:03'", "\"08:00:2b:01:02:03\"");
        c("macaddr8", "'08:00:2b:01:02:03:04:05'", "\"08:00:2b:01:02:03:04:05\"");
        c("point", "'(1,2)'", "\"(1,2)\"");
        c("line", "'{1,2,3}'", "\"{1,2,3}\"");
        c("lseg", "'[(1,2),(3,4)]'", "\"[(1,2),(3,4)]\"");
        c("box", "'((1,2),(3,4))'", "\"(3,4),(1,2)\"");
        c("path", "'[(1,2),(3,4)]'", "\"[(1,2),(3,4)]\"");
        c("polygon", "'((1,2),(3,4),(5,6))'", "\"((1,2),(3,4),(5,6))\"");
        c("circle", "'<(1,2),3>'", "\"<(1,2),3>\"");
        c("tsvector", "'a fat cat'", "\"'a' 'cat' 'fat'\"");
        c("tsquery", "'fat & rat'", "\"'fat' & 'rat'\"");
        c("xml", "'<a b=\"1\">x</a>'", "\"<a b=\\\"1\\\">x</a>\"");
        c("bit(3)", "B'101'", "\"101\"");
        c("varbit", "B'10'", "\"10\"");
        c("pg_lsn", "'16/B374D848'", "\"16/B374D848\"");
        c("xid", "'42'", "\"42\"");
        c("xid8", "'42'", "\"42\"");
        c("jsonpath", "'$.a[*] ? (@ > 1)'", "\"$.\\\"a\\\"[*]?(@ > 1)\"");
        c("int4range", "'[1,10)'", "\"[1,10)\"");
        c("int4range", "'empty'", "\"empty\"");
        c("daterange", "'[2024-01-01,2024-02-01)'", "\"[2024-01-01,2024-02-01)\"");
        c("int4multirange", "'{[1,3),[5,7)}'", "\"{[1,3),[5,7)}\"");
        CASES.add(new Case(
                "tstzrange",
                "'[2024-01-02 03:04:05+00,2024-01-03 00:00:00+00)'",
                "\"[\\\"2024-01-02 03:04:05+00\\\",\\\"2024-01-03 00:00:00+00\\\")\"",
                "\"[\\\"2024-01-02 08:34:05+05:30\\\",\\\"2024-01-03 05:30:00+05:30\\\")\"",
                null));
        c("hstore", "'a=>1, b=>NULL'", "\"\\\"a\\\"=>\\\"1\\\", \\\"b\\\"=>NULL\"");
        c("ltree", "'a.b.c'", "\"a.b.c\"");
        c("int4[]", "'{1,2,3}'", "[1,2,3]");
        c("int4[]", "'{1,NULL,3}'", "[1,null,3]");
        c("int4[]", "'{}'", "[]");
        c("int4[][]", "'{{1,2},{3,4}}'", "[[1,2],[3,4]]");
        c("int4[]", "'[0:2]={1,2,3}'", "[1,2,3]");
        c("int8[]", "'{9223372036854775807}'", "[9223372036854775807]");
        c(
                "text[]",
                "E'{\"a b\",\"c\\\\\"d\",\"e\\\\\\\\f\",NULL,\"NULL\",\"\",\"{x,y}\",plain}'",
                "[\"a b\",\"c\\\"d\",\"e\\\\f\",null,\"NULL\",\"\",\"{x,y}\",\"plain\"]");
        c("text[][]", "'{{a,\"b,c\"},{NULL,d}}'", "[[\"a\",\"b,c\"],[null,\"d\"]]");
        c("numeric[]", "'{1.50,NaN,-3}'", "[\"1.50\",\"NaN\",\"-3\"]");
        c("float8[]", "'{1.5,NaN,-Infinity}'", "[1.5,\"NaN\",\"-Infinity\"]");
        c("bool[]", "'{t,f,NULL}'", "[true,false,null]");
        CASES.add(new Case(
                "timestamptz[]",
                "'{\"2024-01-02 03:04:05+00\",infinity,NULL}'",
                "[\"2024-01-02T03:04:05.000000Z\",\"infinity\",null]",
                null,
                "[1704164645000000,\"infinity\",null]"));
        c("jsonb[]", "ARRAY['{\"a\": 1}'::jsonb, '[1, 2]', NULL]", "[{\"a\": 1},[1, 2],null]");
        c("uuid[]", "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'", "[\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"]");
        c("bytea[]", "ARRAY['\\x0a0b'::bytea]", "[\"Cgs=\"]");
        c("date[]", "'{2024-01-02,infinity}'", "[\"2024-01-02\",\"infinity\"]");
        c("interval[]", "'{\"1 day\",\"-00:00:01\"}'", "[" + iv(0, 1, 0) + "," + iv(0, 0, -1_000_000) + "]");
        c("box[]", "ARRAY['((0,0),(1,1))'::box, '((2,2),(3,3))']", "[\"(1,1),(0,0)\",\"(3,3),(2,2)\"]");
        c("money[]", "'{1.5}'", "[\"1.50\"]");
        c("posint", "5", "5");
        c("small_posint", "7", "7");
        c("posint[]", "'{1,2}'", "[1,2]");
        c("tags", "'{a,\"b c\",NULL}'", "[\"a\",\"b c\",null]");
        c("mood", "'happy'", "\"happy\"");
        c("mood[]", "'{happy,NULL,sad}'", "[\"happy\",null,\"sad\"]");
        c("pair", "ROW(1, 'x y')", "\"(1,\\\"x y\\\")\"");
        c("pair[]", "ARRAY[ROW(1, 'x y')::pair]", "[\"(1,\\\"x y\\\")\"]");
        c("floatrange", "'[1.5,2.5)'", "\"[1.5,2.5)\"");
        c("information_schema.cardinal_number", "3", "3");
    }

    private static String iv(long months, long days, long micros) {
        return "{\"months\":" + months + ",\"days\":" + days + ",\"microseconds\":" + micros + "}";
    }

    @BeforeAll
    static void createTable() {
        db = PG.createDatabase("type_mapping");
        StringBuilder create = new StringBuilder("CREATE TABLE every_type (");
        StringBuilder insert = new StringBuilder("INSERT INTO every_type VALUES (");
        for (int i = 0; i < CASES.size(); i++) {
            create.append(i == 0 ? "" : ", ")
                    .append("c")
                    .append(i)
                    .append(' ')
                    .append(CASES.get(i).type());
            insert.append(i == 0 ? "" : ", ").append(CASES.get(i).literal());
        }
        PG.execute(
                db,
                "CREATE EXTENSION citext",
                "CREATE EXTENSION hstore",
                "CREATE EXTENSION ltree",
                "CREATE DOMAIN posint AS int4 CHECK (VALUE > 0)",
                "CREATE DOMAIN small_posint AS posint CHECK (VALUE < 100)",
                "CREATE DOMAIN tags AS text[]",
                "CREATE TYPE mood AS ENUM ('sad', 'happy')",
                "CREATE TYPE pair AS (a int4, b text)",
                "CREATE TYPE floatrange AS RANGE (subtype = float8)",
                create.append(")").toString(),
                insert.append(")").toString());
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
        assertThat(labelled(actual)).containsExactlyElementsOf(labelled(expected));
    }

    @Test
    void unixMicrosecondTurnsTimestampsIntoIntegers() throws SQLException {
        List<String> actual = mapRow("Asia/Kolkata", "postgres", TimestampFormat.UNIX_MICROSECOND);
        List<String> got = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < CASES.size(); i++) {
            if (CASES.get(i).unixJson() != null) {
                got.add(label(i, actual.get(i)));
                expected.add(label(i, CASES.get(i).unixJson()));
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
            assertThat(registry.typeName(oids.get(indexOf("int4[][]")))).isEqualTo("_int4");
            assertThat(registry.typeName(oids.get(indexOf("small_posint")))).isEqualTo("small_posint");
            assertThat(registry.typeName(oids.get(indexOf("mood[]")))).isEqualTo("_mood");
            assertThat(registry.typeName(oids.get(indexOf("hstore")))).isEqualTo("hstore");
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

    private static int indexOf(String type) {
        for (int i = 0; i < CASES.size(); i++) {
            if (CASES.get(i).type().equals(type)) {
                return i;
            }
        }
        throw new IllegalArgumentException(type);
    }

    private static List<String> labelled(List<String> values) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            out.add(label(i, values.get(i)));
        }
        return out;
    }

    private static String label(int i, String json) {
        Case c = CASES.get(i);
        return c.type() + " " + c.literal() + " → " + json;
    }
}
