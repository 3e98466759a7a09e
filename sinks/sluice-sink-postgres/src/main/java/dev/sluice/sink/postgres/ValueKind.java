package dev.sluice.sink.postgres;

/**
 * How a target column's values are turned back from the message JSON into Postgres text: the JSON mapping differs
 * from the text form only for these types (domains resolve to their base type).
 */
sealed interface ValueKind {
    /** A type whose JSON mapping is its text form, or a number, or a boolean. */
    enum Scalar implements ValueKind {
        /** Written as base64. */
        BYTEA,
        /** Written as {@code {months, days, microseconds}}. */
        INTERVAL,
        /** Written as ISO-8601 with astronomical years. */
        DATE,
        /** ISO-8601 without offset, or microseconds since the epoch. */
        TIMESTAMP,
        /** ISO-8601 in UTC, or microseconds since the epoch. */
        TIMESTAMPTZ,
        /** json and jsonb: embedded JSON, taken as its exact text. */
        JSON,
        /** Everything else. */
        OTHER
    }

    /**
     * An array of {@code element}, written as a JSON array; its text form separates elements with the element
     * type's {@code typdelim} ({@code ;} for box, {@code ,} for every other built-in type).
     */
    record Array(ValueKind element, char delimiter) implements ValueKind {
        Array(ValueKind element) {
            this(element, ',');
        }
    }

    /** The kind of a type by its name in pg_catalog; OTHER for any other type. */
    static ValueKind builtin(String typname) {
        return switch (typname) {
            case "bytea" -> Scalar.BYTEA;
            case "interval" -> Scalar.INTERVAL;
            case "date" -> Scalar.DATE;
            case "timestamp" -> Scalar.TIMESTAMP;
            case "timestamptz" -> Scalar.TIMESTAMPTZ;
            case "json", "jsonb" -> Scalar.JSON;
            default -> Scalar.OTHER;
        };
    }
}
