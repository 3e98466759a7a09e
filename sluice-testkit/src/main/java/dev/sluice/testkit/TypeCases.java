package dev.sluice.testkit;

import dev.sluice.core.TimestampFormat;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Test fixture: one column per case of the value-mapping table (docs/ARCHITECTURE.md), with the SQL literal inserted and the
 * JSON expected for it. Shared by {@code TypeMappingIT} (values read with SELECT), {@code ReplicationTypesIT}
 * (values streamed over pgoutput) and the postgres sink's tests (values written back to a replica), so every path is
 * held to the same table.
 *
 * <p>Column {@code cI} of {@link #columnsDdl()} holds case {@code I}; {@link #setupSql()} creates the
 * extensions and user-defined types the cases use.
 */
public final class TypeCases {
    private static final List<Case> CASES = new ArrayList<>();

    /** Every case, in column order. */
    public static final List<Case> ALL = java.util.Collections.unmodifiableList(CASES);

    /**
     * @param type SQL type of the column
     * @param literal SQL literal inserted
     * @param json expected JSON with ISO timestamps
     * @param kolkataJson expected JSON when the session's TimeZone is Asia/Kolkata, when the text
     *     form itself depends on it; null when equal to {@code json}
     * @param unixJson expected JSON with {@link TimestampFormat#UNIX_MICROSECOND}; null when not checked
     */
    public record Case(
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

    private TypeCases() {}

    /** An interval's JSON object. */
    public static String iv(long months, long days, long micros) {
        return "{\"months\":" + months + ",\"days\":" + days + ",\"microseconds\":" + micros + "}";
    }

    /** Extensions, domains, enum, composite and range types the cases use; run once per database. */
    public static String[] setupSql() {
        return new String[] {
            "CREATE EXTENSION citext",
            "CREATE EXTENSION hstore",
            "CREATE EXTENSION ltree",
            "CREATE DOMAIN posint AS int4 CHECK (VALUE > 0)",
            "CREATE DOMAIN small_posint AS posint CHECK (VALUE < 100)",
            "CREATE DOMAIN tags AS text[]",
            "CREATE TYPE mood AS ENUM ('sad', 'happy')",
            "CREATE TYPE pair AS (a int4, b text)",
            "CREATE TYPE floatrange AS RANGE (subtype = float8)"
        };
    }

    /** Column definitions {@code c0 bool, c1 bool, ...} for a CREATE TABLE. */
    public static String columnsDdl() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < CASES.size(); i++) {
            s.append(i == 0 ? "" : ", ")
                    .append(column(i))
                    .append(' ')
                    .append(CASES.get(i).type());
        }
        return s.toString();
    }

    /** Every case's literal, comma-separated in column order, for an INSERT's VALUES list. */
    public static String valuesSql() {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < CASES.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(CASES.get(i).literal());
        }
        return s.toString();
    }

    public static String column(int i) {
        return "c" + i;
    }

    /** Index of the first case of {@code type}. */
    public static int indexOf(String type) {
        for (int i = 0; i < CASES.size(); i++) {
            if (CASES.get(i).type().equals(type)) {
                return i;
            }
        }
        throw new IllegalArgumentException(type);
    }

    /** {@code json} labelled with case {@code i}'s type and literal, for readable assertion failures. */
    public static String label(int i, String json) {
        Case c = CASES.get(i);
        return c.type() + " " + c.literal() + " → " + json;
    }

    /** Each value labelled with its case. */
    public static List<String> labelled(List<String> values) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            out.add(label(i, values.get(i)));
        }
        return out;
    }
}
