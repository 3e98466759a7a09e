package dev.sluice.postgres.types;

import dev.sluice.core.ValueCodec;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The built-in types of {@code pg_type.dat}: base, range and multirange types and their arrays.
 * Their OIDs are below 10000 and fixed across Postgres versions, so they need no catalog lookup.
 * Types created by initdb with higher OIDs (information_schema domains) and everything users or
 * extensions create are looked up in the catalog instead.
 */
final class BuiltinTypes {
    static final int BOOL = 16;
    static final int BYTEA = 17;
    static final int INT8 = 20;
    static final int INT2 = 21;
    static final int INT4 = 23;
    static final int TEXT = 25;
    static final int OID = 26;
    static final int JSON = 114;
    static final int FLOAT4 = 700;
    static final int FLOAT8 = 701;
    static final int MONEY = 790;
    static final int DATE = 1082;
    static final int TIME = 1083;
    static final int TIMESTAMP = 1114;
    static final int TIMESTAMPTZ = 1184;
    static final int INTERVAL = 1186;
    static final int TIMETZ = 1266;
    static final int NUMERIC = 1700;
    static final int JSONB = 3802;

    /** OIDs at or above this are assigned by initdb or later, and may differ between servers. */
    static final int FIRST_UNPINNED_OID = 10000;

    private static final Map<Integer, PgType> TYPES = new HashMap<>(256);

    static {
        // Generated from pg_type of Postgres 17 (oid < 10000, typtype b/r/m, and their arrays).
        // int2vector and oidvector are category A in the catalog, but their text form is
        // space-separated, not an array literal: they are listed as plain base types.
        PgType[] all = {
            base(16, "bool", 'b', ','),
            base(17, "bytea", 'b', ','),
            base(18, "char", 'b', ','),
            base(19, "name", 'b', ','),
            base(20, "int8", 'b', ','),
            base(21, "int2", 'b', ','),
            base(22, "int2vector", 'b', ','),
            base(23, "int4", 'b', ','),
            base(24, "regproc", 'b', ','),
            base(25, "text", 'b', ','),
            base(26, "oid", 'b', ','),
            base(27, "tid", 'b', ','),
            base(28, "xid", 'b', ','),
            base(29, "cid", 'b', ','),
            base(30, "oidvector", 'b', ','),
            base(114, "json", 'b', ','),
            base(142, "xml", 'b', ','),
            base(194, "pg_node_tree", 'b', ','),
            base(600, "point", 'b', ','),
            base(601, "lseg", 'b', ','),
            base(602, "path", 'b', ','),
            base(603, "box", 'b', ';'),
            base(604, "polygon", 'b', ','),
            base(628, "line", 'b', ','),
            base(650, "cidr", 'b', ','),
            base(700, "float4", 'b', ','),
            base(701, "float8", 'b', ','),
            base(718, "circle", 'b', ','),
            base(774, "macaddr8", 'b', ','),
            base(790, "money", 'b', ','),
            base(829, "macaddr", 'b', ','),
            base(869, "inet", 'b', ','),
            base(1033, "aclitem", 'b', ','),
            base(1042, "bpchar", 'b', ','),
            base(1043, "varchar", 'b', ','),
            base(1082, "date", 'b', ','),
            base(1083, "time", 'b', ','),
            base(1114, "timestamp", 'b', ','),
            base(1184, "timestamptz", 'b', ','),
            base(1186, "interval", 'b', ','),
            base(1266, "timetz", 'b', ','),
            base(1560, "bit", 'b', ','),
            base(1562, "varbit", 'b', ','),
            base(1700, "numeric", 'b', ','),
            base(1790, "refcursor", 'b', ','),
            base(2202, "regprocedure", 'b', ','),
            base(2203, "regoper", 'b', ','),
            base(2204, "regoperator", 'b', ','),
            base(2205, "regclass", 'b', ','),
            base(2206, "regtype", 'b', ','),
            base(2950, "uuid", 'b', ','),
            base(2970, "txid_snapshot", 'b', ','),
            base(3220, "pg_lsn", 'b', ','),
            base(3361, "pg_ndistinct", 'b', ','),
            base(3402, "pg_dependencies", 'b', ','),
            base(3614, "tsvector", 'b', ','),
            base(3615, "tsquery", 'b', ','),
            base(3642, "gtsvector", 'b', ','),
            base(3734, "regconfig", 'b', ','),
            base(3769, "regdictionary", 'b', ','),
            base(3802, "jsonb", 'b', ','),
            base(3904, "int4range", 'r', ','),
            base(3906, "numrange", 'r', ','),
            base(3908, "tsrange", 'r', ','),
            base(3910, "tstzrange", 'r', ','),
            base(3912, "daterange", 'r', ','),
            base(3926, "int8range", 'r', ','),
            base(4072, "jsonpath", 'b', ','),
            base(4089, "regnamespace", 'b', ','),
            base(4096, "regrole", 'b', ','),
            base(4191, "regcollation", 'b', ','),
            base(4451, "int4multirange", 'm', ','),
            base(4532, "nummultirange", 'm', ','),
            base(4533, "tsmultirange", 'm', ','),
            base(4534, "tstzmultirange", 'm', ','),
            base(4535, "datemultirange", 'm', ','),
            base(4536, "int8multirange", 'm', ','),
            base(4600, "pg_brin_bloom_summary", 'b', ','),
            base(4601, "pg_brin_minmax_multi_summary", 'b', ','),
            base(5017, "pg_mcv_list", 'b', ','),
            base(5038, "pg_snapshot", 'b', ','),
            base(5069, "xid8", 'b', ','),
            array(143, "_xml", 142),
            array(199, "_json", 114),
            array(271, "_xid8", 5069),
            array(629, "_line", 628),
            array(651, "_cidr", 650),
            array(719, "_circle", 718),
            array(775, "_macaddr8", 774),
            array(791, "_money", 790),
            array(1000, "_bool", 16),
            array(1001, "_bytea", 17),
            array(1002, "_char", 18),
            array(1003, "_name", 19),
            array(1005, "_int2", 21),
            array(1006, "_int2vector", 22),
            array(1007, "_int4", 23),
            array(1008, "_regproc", 24),
            array(1009, "_text", 25),
            array(1010, "_tid", 27),
            array(1011, "_xid", 28),
            array(1012, "_cid", 29),
            array(1013, "_oidvector", 30),
            array(1014, "_bpchar", 1042),
            array(1015, "_varchar", 1043),
            array(1016, "_int8", 20),
            array(1017, "_point", 600),
            array(1018, "_lseg", 601),
            array(1019, "_path", 602),
            array(1020, "_box", 603),
            array(1021, "_float4", 700),
            array(1022, "_float8", 701),
            array(1027, "_polygon", 604),
            array(1028, "_oid", 26),
            array(1034, "_aclitem", 1033),
            array(1040, "_macaddr", 829),
            array(1041, "_inet", 869),
            array(1115, "_timestamp", 1114),
            array(1182, "_date", 1082),
            array(1183, "_time", 1083),
            array(1185, "_timestamptz", 1184),
            array(1187, "_interval", 1186),
            array(1231, "_numeric", 1700),
            array(1263, "_cstring", 2275),
            array(1270, "_timetz", 1266),
            array(1561, "_bit", 1560),
            array(1563, "_varbit", 1562),
            array(2201, "_refcursor", 1790),
            array(2207, "_regprocedure", 2202),
            array(2208, "_regoper", 2203),
            array(2209, "_regoperator", 2204),
            array(2210, "_regclass", 2205),
            array(2211, "_regtype", 2206),
            array(2949, "_txid_snapshot", 2970),
            array(2951, "_uuid", 2950),
            array(3221, "_pg_lsn", 3220),
            array(3643, "_tsvector", 3614),
            array(3644, "_gtsvector", 3642),
            array(3645, "_tsquery", 3615),
            array(3735, "_regconfig", 3734),
            array(3770, "_regdictionary", 3769),
            array(3807, "_jsonb", 3802),
            array(3905, "_int4range", 3904),
            array(3907, "_numrange", 3906),
            array(3909, "_tsrange", 3908),
            array(3911, "_tstzrange", 3910),
            array(3913, "_daterange", 3912),
            array(3927, "_int8range", 3926),
            array(4073, "_jsonpath", 4072),
            array(4090, "_regnamespace", 4089),
            array(4097, "_regrole", 4096),
            array(4192, "_regcollation", 4191),
            array(5039, "_pg_snapshot", 5038),
            array(6150, "_int4multirange", 4451),
            array(6151, "_nummultirange", 4532),
            array(6152, "_tsmultirange", 4533),
            array(6153, "_tstzmultirange", 4534),
            array(6155, "_datemultirange", 4535),
            array(6157, "_int8multirange", 4536)
        };
        for (PgType t : all) {
            TYPES.put(t.oid(), t);
        }
    }

    private BuiltinTypes() {}

    /** The built-in type with this OID, or null when it is not one (or is newer than Postgres 17). */
    static @Nullable PgType lookup(int oid) {
        return TYPES.get(oid);
    }

    /** The codec of a built-in scalar type; {@link ValueCodec#STRING} for types mapped to their text. */
    static ValueCodec scalarCodec(int oid) {
        return switch (oid) {
            case BOOL -> ScalarCodecs.BOOL;
            case INT2, INT4, INT8, OID -> ScalarCodecs.INTEGER;
            case FLOAT4, FLOAT8 -> ScalarCodecs.FLOAT;
            case MONEY -> ScalarCodecs.MONEY;
            case JSON, JSONB -> ScalarCodecs.JSON;
            case BYTEA -> ScalarCodecs.BYTEA;
            case DATE -> DateTimeCodecs.DATE;
            case TIME -> DateTimeCodecs.TIME;
            case TIMETZ -> DateTimeCodecs.TIMETZ;
            case TIMESTAMP -> DateTimeCodecs.TIMESTAMP;
            case TIMESTAMPTZ -> DateTimeCodecs.TIMESTAMPTZ;
            case INTERVAL -> IntervalCodec.INSTANCE;
            // numeric keeps its exact digits as a string, like every type without a closer JSON shape
            default -> ValueCodec.STRING;
        };
    }

    private static PgType base(int oid, String name, char kind, char delimiter) {
        return new PgType(oid, name, kind, 0, 0, delimiter, 'U');
    }

    private static PgType array(int oid, String name, int elementType) {
        return new PgType(oid, name, PgType.KIND_BASE, 0, elementType, ',', PgType.CATEGORY_ARRAY);
    }
}
