package dev.sluice.bench.e2e;

import java.util.Comparator;
import java.util.List;

/**
 * The backfill scenario's figures: the same table read by {@code COPY ... TO STDOUT}, by Sluice's keyset page query
 * alone, and by Sluice's backfill to a null sink.
 *
 * @param rows rows in the table
 * @param tableBytes the table's size on disk ({@code pg_table_size})
 * @param copy each {@code COPY} run (bytes are the COPY text output)
 * @param keyset each run of the backfill's page query alone, in pages of {@link #KEYSET_PAGE} rows (bytes are the
 *     text values read)
 * @param backfill each backfill run (bytes are the JSON messages the sink received)
 */
record BackfillResult(long rows, long tableBytes, List<Run> copy, List<Run> keyset, List<BackfillRun> backfill) {
    static final int KEYSET_PAGE = 50_000;

    /** One timed read of the whole table. */
    record Run(long rows, long bytes, double seconds) {
        double rowsPerSecond() {
            return seconds > 0 ? rows / seconds : 0;
        }

        double megabytesPerSecond() {
            return seconds > 0 ? bytes / seconds / 1e6 : 0;
        }
    }

    /**
     * One backfill: {@code run} timed from {@code startBackfill} to the listener's completion with every read at the
     * sink; {@code firstReadSeconds} from the start to the first read at the sink.
     *
     * @param pages each page as the sink saw it (the reads of one page share the high watermark's position), in order
     * @param completed the listener reported completion (rather than failure or a timeout)
     */
    record BackfillRun(Run run, double firstReadSeconds, List<Page> pages, boolean completed, String error) {}

    /**
     * One page at the sink.
     *
     * @param rows reads in it
     * @param firstSeconds from the backfill's start to its first read at the sink
     * @param lastSeconds to its last read
     */
    record Page(int rows, double firstSeconds, double lastSeconds) {}

    static Run best(List<Run> runs) {
        return runs.stream().max(Comparator.comparingDouble(Run::rowsPerSecond)).orElse(new Run(0, 0, 0));
    }

    Run bestCopy() {
        return best(copy);
    }

    Run bestBackfill() {
        return best(backfill.stream()
                .filter(b -> b.completed() && b.run().rows() == rows)
                .map(BackfillRun::run)
                .toList());
    }

    /** Best backfill over best COPY, in rows/s; 0 when either is missing. */
    double ratio() {
        double c = bestCopy().rowsPerSecond();
        return c > 0 ? bestBackfill().rowsPerSecond() / c : 0;
    }

    /** Page sizes in order, runs of equal sizes folded: {@code 1000, 2000, 50000 ×18, 3712}. */
    static String pageSizes(List<Page> pages) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < pages.size()) {
            int size = pages.get(i).rows();
            int j = i;
            while (j < pages.size() && pages.get(j).rows() == size) {
                j++;
            }
            sb.append(sb.isEmpty() ? "" : ", ").append(size);
            if (j - i > 1) {
                sb.append(" ×").append(j - i);
            }
            i = j;
        }
        return sb.toString();
    }
}
