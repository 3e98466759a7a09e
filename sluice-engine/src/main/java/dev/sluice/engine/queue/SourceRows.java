package dev.sluice.engine.queue;

import dev.sluice.core.TableSchema;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The current values of rows of the source database, read by primary key: what a sink with {@code
 * reselect_unchanged_toast} fills an update's unchanged TOAST columns with. Engine-internal: public only for the
 * database pipeline, which backs it with a connection of its source.
 *
 * <p>Implementations are thread-safe (the sinks' delivery threads call it) and may block on I/O.
 */
@FunctionalInterface
public interface SourceRows {
    /**
     * For each of {@code keys} (primary-key values in key order, as Postgres prints them), the values of {@code
     * columns} (indexes into the table's columns) as Postgres prints them, or null when no such row exists now. One
     * query for all of them.
     *
     * @throws Exception when the source cannot be read
     */
    List<@Nullable String[]> current(TableSchema table, int[] columns, List<String[]> keys) throws Exception;
}
