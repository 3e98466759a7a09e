package dev.sluice.server.jobs;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What {@code init} writes on a target database, read from its source in one snapshot and in the order it runs:
 * {@code pre} (schemas, extensions, types, functions, sequences, tables without their constraints, views), the data of
 * {@code copies}, then {@code post} (primary keys, unique, check and exclusion constraints, indexes: after the data,
 * where building them is cheapest), {@code foreignKeys}, {@code late} (materialized views, filled from the copied data)
 * and the {@code sequences}' values. {@code warnings} are what it leaves out and why.
 */
record SchemaPlan(
        List<Ddl> pre,
        List<CopyTable> copies,
        List<Ddl> post,
        List<Ddl> foreignKeys,
        List<Ddl> late,
        List<Sequence> sequences,
        List<Relation> relations,
        List<ForeignKey> references,
        List<String> warnings) {

    /** A table, view, sequence or type {@code init} creates: what is in the way when the target has it already. */
    record Relation(String kind, String schema, String name) {
        String label() {
            return kind + " " + schema + "." + name;
        }
    }

    /**
     * A sequence whose value is carried over: a sequence of its own ({@code column} null, same name on the target),
     * or the one behind an identity column, which the target names for itself.
     */
    record Sequence(
            String qualified, String table, @Nullable String column) {}

    /** A foreign key between two copied tables, for the check that {@code table_filters} leave no orphan. */
    record ForeignKey(
            String name, String child, List<String> childColumns, String parent, List<String> parentColumns) {}
}
