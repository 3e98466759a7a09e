package dev.sluice.engine;

import dev.sluice.core.TableId;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One backfill to run: the rows of {@code table} that already exist, read in key order and delivered to one sink as
 * {@code read} messages, interleaved consistently with the live changes.
 *
 * @param id the backfill's id (part of each read message's idempotency key)
 * @param sinkId the sink that receives the rows
 * @param table the table (a partitioned table is read through its root)
 * @param sortColumn read in this column's order instead of the primary key's (ties broken by the key); required
 *     for a table without a primary key
 * @param startAt with {@code sortColumn}: only rows whose sort value is at least this (Postgres text form)
 * @param cursor resume after this position (text values of the order columns, as reported by
 *     {@link BackfillListener#progressed}); null to start from the beginning
 * @param rowsProcessed rows read before this run (resuming)
 * @param rowsIngested rows delivered before this run (resuming)
 */
public record BackfillSpec(
        String id,
        String sinkId,
        TableId table,
        @Nullable String sortColumn,
        @Nullable String startAt,
        @Nullable List<String> cursor,
        long rowsProcessed,
        long rowsIngested) {
    public BackfillSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(sinkId, "sinkId");
        Objects.requireNonNull(table, "table");
        if (startAt != null && sortColumn == null) {
            throw new IllegalArgumentException("a start position needs a sort column");
        }
        cursor = cursor == null ? null : List.copyOf(cursor);
    }

    /** A backfill of the whole table from the start. */
    public BackfillSpec(String id, String sinkId, TableId table) {
        this(id, sinkId, table, null, null, null, 0, 0);
    }
}
