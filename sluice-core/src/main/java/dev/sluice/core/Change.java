package dev.sluice.core;

import java.time.Instant;
import java.util.BitSet;
import org.jspecify.annotations.Nullable;

/**
 * One committed row change, decoded and ready to be routed. Values are kept in Postgres' text output
 * format, index-aligned with {@link TableSchema#columns()}; a {@code null} element is SQL NULL. The
 * arrays are owned by this change and never modified after construction.
 *
 * @param table schema the values were written with
 * @param action insert, update, delete or read
 * @param record the new row (insert, update, read) or the old row or key (delete)
 * @param changed update only: columns whose old value is known and differs from the new one; empty
 *     when Postgres sent no old row; null for other actions
 * @param old update only: old values, meaningful at the indexes set in {@code changed}
 * @param unchangedToast columns whose new value Postgres did not send (unchanged TOAST) and that could
 *     not be filled from an old row; null when there are none
 * @param position commit LSN and index within the transaction
 * @param commitTimestamp commit time of the transaction
 * @param transactionAnnotations raw JSON set with {@code pg_logical_emit_message} for the transaction,
 *     or null
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
        @Nullable String transactionAnnotations) {

    /** Text value of the record's primary-key columns, in key order. */
    public String[] primaryKeyValues() {
        int[] pk = table.primaryKey();
        String[] out = new String[pk.length];
        for (int i = 0; i < pk.length; i++) {
            out[i] = record[pk[i]];
        }
        return out;
    }
}
