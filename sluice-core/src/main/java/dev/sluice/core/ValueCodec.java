package dev.sluice.core;

/**
 * Writes one column value, given in Postgres' text output format, as JSON. Implementations are
 * stateless and thread-safe; one instance is shared by every row of a column type.
 */
@FunctionalInterface
public interface ValueCodec {
    /**
     * Writes {@code text} (never null: SQL NULL is written by the caller) as one JSON value.
     *
     * @throws IllegalArgumentException when the text is not in the type's output format
     */
    void write(JsonWriter out, String text, TimestampFormat format);

    /** Writes the text as a JSON string: the mapping of every type without a closer JSON shape. */
    ValueCodec STRING = (out, text, format) -> out.writeString(text);
}
