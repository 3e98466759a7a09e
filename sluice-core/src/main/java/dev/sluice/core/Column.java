package dev.sluice.core;

/**
 * A column of a captured table.
 *
 * @param name column name as Postgres spells it
 * @param typeName the type's name (for example {@code int4}, {@code _text}, {@code my_domain})
 * @param codec how its values become JSON
 */
public record Column(String name, String typeName, ValueCodec codec) {}
