package dev.sluice.server.config;

import dev.sluice.core.TableId;
import org.jspecify.annotations.Nullable;

/**
 * A sink's {@code initial_backfill}: a backfill created together with the sink (only when the sink is created).
 *
 * @param table the table, or null for the sink's only table
 * @param sortColumn read in this column's order instead of the primary key's
 * @param startPosition with {@code sortColumn}: only rows whose sort value is at least this
 */
public record InitialBackfill(
        @Nullable TableId table,
        @Nullable String sortColumn,
        @Nullable String startPosition) {}
