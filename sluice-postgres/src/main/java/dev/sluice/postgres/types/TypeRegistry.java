package dev.sluice.postgres.types;

import dev.sluice.core.ValueCodec;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Maps Postgres type OIDs to the {@link ValueCodec} that turns their text output into JSON, as the
 * value-mapping table of docs/message-format.md describes.
 *
 * <p>Resolution: built-in types (OID below 10000, fixed by {@code pg_type.dat}) are known up front.
 * Any other OID (domains, enums, composites, arrays of them, extension types, information_schema
 * domains) is looked up in {@code pg_type} with one query on first use, following domains to their
 * base type and arrays to their element type, and cached for the life of the registry. Domains take
 * their base type's mapping; arrays map each element with the element type's codec and split on the
 * element type's {@code typdelim}; enums, composites, ranges and other types without a closer JSON
 * shape become their text as a JSON string.
 *
 * <p>Input: the codecs expect the text a session with {@code DateStyle=ISO} produces (what the
 * replication connection sets). They also accept any UTC offset in timestamptz and timetz (any
 * {@code TimeZone}), the {@code postgres}, {@code postgres_verbose} and {@code iso_8601}
 * IntervalStyles, any {@code extra_float_digits}, and hex or escape {@code bytea_output}.
 *
 * <p>Failure: a codec never throws on unexpected text. Text that is not in its type's output format
 * (for example a date in another DateStyle, an interval in {@code sql_standard} style, or garbage) is
 * written as a JSON string holding the text unchanged, so one odd value cannot stop the pipeline or
 * produce invalid JSON. Arrays are checked in full before anything is written.
 *
 * <p>Concurrency: thread-safe. Lookups of cached types take no lock; a catalog query runs under a
 * lock, since the catalog connection is not shared safely otherwise.
 */
public final class TypeRegistry {
    // A corrupt catalog with a domain or array cycle must not recurse forever.
    private static final int MAX_DEPTH = 16;

    private final TypeCatalog catalog;
    private final Map<Integer, Resolved> resolved = new ConcurrentHashMap<>();
    private final Object lookupLock = new Object();
    // guarded by lookupLock; null values record OIDs the catalog does not know
    private final Map<Integer, @Nullable PgType> fetched = new HashMap<>();

    private record Resolved(String name, ValueCodec codec) {}

    /**
     * @param catalog an open, non-replication connection to the source database, used only for
     *     {@code pg_type} lookups of non-built-in types; the registry does not close it
     */
    public TypeRegistry(Connection catalog) {
        this(new JdbcTypeCatalog(Objects.requireNonNull(catalog, "catalog")));
    }

    TypeRegistry(TypeCatalog catalog) {
        this.catalog = catalog;
    }

    /**
     * The codec for values of this type; {@link ValueCodec#STRING} for types without a closer JSON
     * shape and for OIDs the catalog does not know. May block on a catalog query the first time an
     * OID is seen.
     *
     * @throws IllegalStateException when the catalog query fails; nothing is cached, so a later
     *     call retries
     */
    public ValueCodec codecFor(int typeOid) {
        return resolve(typeOid).codec();
    }

    /**
     * The type's {@code typname} ({@code int4}, {@code _text}, {@code my_domain}), or
     * {@code oid:<n>} when the catalog does not know it. Same blocking and failure as
     * {@link #codecFor(int)}.
     */
    public String typeName(int typeOid) {
        return resolve(typeOid).name();
    }

    private Resolved resolve(int oid) {
        Resolved r = resolved.get(oid);
        if (r != null) {
            return r;
        }
        synchronized (lookupLock) {
            return resolveLocked(oid, 0);
        }
    }

    private Resolved resolveLocked(int oid, int depth) {
        Resolved r = resolved.get(oid);
        if (r != null) {
            return r;
        }
        PgType type = type(oid);
        if (type == null) {
            r = new Resolved("oid:" + Integer.toUnsignedString(oid), ValueCodec.STRING);
        } else if (depth > MAX_DEPTH) {
            return new Resolved(type.name(), ValueCodec.STRING);
        } else if (type.isDomain()) {
            r = new Resolved(
                    type.name(), resolveLocked(type.baseType(), depth + 1).codec());
        } else if (type.isArray()) {
            PgType element = type(type.elementType());
            ValueCodec elementCodec =
                    resolveLocked(type.elementType(), depth + 1).codec();
            char delimiter = element == null ? ',' : element.delimiter();
            r = new Resolved(type.name(), new ArrayCodec(elementCodec, delimiter));
        } else {
            r = new Resolved(type.name(), BuiltinTypes.scalarCodec(oid));
        }
        resolved.put(oid, r);
        return r;
    }

    private @Nullable PgType type(int oid) {
        PgType builtin = BuiltinTypes.lookup(oid);
        if (builtin != null) {
            return builtin;
        }
        if (fetched.containsKey(oid)) {
            return fetched.get(oid);
        }
        List<PgType> types;
        try {
            types = catalog.lookup(oid);
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "could not look up type OID " + Integer.toUnsignedString(oid) + " in pg_type: " + e.getMessage(),
                    e);
        }
        for (PgType t : types) {
            fetched.put(t.oid(), t);
        }
        fetched.putIfAbsent(oid, null);
        return fetched.get(oid);
    }
}
