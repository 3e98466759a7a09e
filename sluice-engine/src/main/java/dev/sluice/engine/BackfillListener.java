package dev.sluice.engine;

import java.util.List;

/**
 * Where a running backfill reports. Called from the backfill's own thread, never holding a pipeline lock; calls for
 * one backfill are sequential.
 */
public interface BackfillListener {
    /** How many rows the backfill expects to read: an estimate first, then an exact count when it is cheap. */
    void counted(String backfillId, long rows, boolean exact);

    /**
     * Every row up to {@code cursor} has been delivered (or dropped because a live change carries a newer version):
     * a restart may resume after it. Totals include earlier runs. Called in order, at least every second while
     * pages complete.
     */
    void progressed(String backfillId, List<String> cursor, long rowsProcessed, long rowsIngested);

    /** Every row was read and delivered. */
    void completed(String backfillId, long rowsProcessed, long rowsIngested);

    /** The backfill cannot go on (the table or column is gone, a query keeps failing); it has stopped. */
    void failed(String backfillId, String error);
}
