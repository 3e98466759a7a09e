package dev.sluice.postgres.types;

/**
 * The columns of one {@code pg_type} row that decide how a value of the type becomes JSON.
 *
 * @param oid the type's OID
 * @param name {@code typname}
 * @param kind {@code typtype}: {@code b} base, {@code d} domain, {@code e} enum, {@code c} composite,
 *     {@code r} range, {@code m} multirange, {@code p} pseudo
 * @param baseType {@code typbasetype}: the type a domain is defined over, else 0
 * @param elementType {@code typelem}: an array's element type, else 0 (or the element of a fixed-length
 *     type such as {@code point}, which is not an array)
 * @param delimiter {@code typdelim}: the separator of this type's values inside an array literal
 * @param category {@code typcategory}: {@code A} for arrays
 */
record PgType(int oid, String name, char kind, int baseType, int elementType, char delimiter, char category) {
    static final char KIND_BASE = 'b';
    static final char KIND_DOMAIN = 'd';
    static final char CATEGORY_ARRAY = 'A';

    boolean isDomain() {
        return kind == KIND_DOMAIN && baseType != 0;
    }

    /** A true array ({@code _int4}), as opposed to a fixed-length type that names an element type. */
    boolean isArray() {
        return category == CATEGORY_ARRAY && elementType != 0;
    }
}
