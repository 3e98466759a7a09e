package dev.sluice.core;

import java.time.Instant;
import java.util.BitSet;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One committed row change, decoded and ready to be routed. Values are kept in Postgres' text output
 * format, index-aligned with {@link TableSchema#columns()}; a {@code null} element is SQL NULL. The
 * arrays are owned by this change and never modified after construction.
 *
 * @param table schema the values were written with
 * @param action insert, update, delete, read or truncate
 * @param record the new row (insert, update, read) or the old row or key (delete); empty for truncate
 * @param changed update only: columns whose old value is known and differs from the new one; empty
 *     when Postgres sent no old row; null for other actions
 * @param old update only: old values, meaningful at the indexes set in {@code changed}
 * @param unchangedToast columns whose new value Postgres did not send (unchanged TOAST) and that could
 *     not be filled from an old row; null when there are none
 * @param position commit LSN and index within the transaction
 * @param commitTimestamp commit time of the transaction
 * @param transactionAnnotations raw JSON set with {@code pg_logical_emit_message} for the transaction,
 *     or null
 * @param truncateOptions truncate only: the statement's options; empty otherwise
 */
public record Change(
        TableSchema table,
        Action action,
        @Nullable String[] record,
        @Nullable BitSet changed,
        @Nullable String @Nullable [] old,
        @Nullable BitSet unchangedToast,
        Position position,
        Instant commitTimestamp,
        @Nullable String transactionAnnotations,
        Set<TruncateOption> truncateOptions) {
    private static final String[] NO_ROW = new String[0];

    public Change {
        truncateOptions =
                truncateOptions.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(truncateOptions));
    }

    /** A row change (anything but truncate). */
    public Change(
            TableSchema table,
            Action action,
            @Nullable String[] record,
            @Nullable BitSet changed,
            @Nullable String @Nullable [] old,
            @Nullable BitSet unchangedToast,
            Position position,
            Instant commitTimestamp,
            @Nullable String transactionAnnotations) {
        this(
                table,
                action,
                record,
                changed,
                old,
                unchangedToast,
                position,
                commitTimestamp,
                transactionAnnotations,
                Set.of());
    }

    /** {@code TRUNCATE} of {@code table}: no row, the statement's options. */
    public static Change truncate(
            TableSchema table,
            Set<TruncateOption> options,
            Position position,
            Instant commitTimestamp,
            @Nullable String transactionAnnotations) {
        return new Change(
                table,
                Action.TRUNCATE,
                NO_ROW,
                null,
                null,
                null,
                position,
                commitTimestamp,
                transactionAnnotations,
                options);
    }

    /** Text value of the record's primary-key columns, in key order; none for a truncate. */
    public String[] primaryKeyValues() {
        if (action == Action.TRUNCATE) {
            return NO_ROW;
        }
        int[] pk = table.primaryKey();
        String[] out = new String[pk.length];
        for (int i = 0; i < pk.length; i++) {
            out[i] = record[pk[i]];
        }
        return out;
    }
}
