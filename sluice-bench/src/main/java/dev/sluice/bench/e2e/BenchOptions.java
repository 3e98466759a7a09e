package dev.sluice.bench.e2e;

import java.nio.file.Path;
import java.util.List;

/**
 * What one benchmark run does.
 *
 * @param changes backlog size for the drain comparison
 * @param rates live-latency target rates in changes/s
 * @param liveSeconds duration of each live run
 * @param out directory for results.json, results.md and the PNG chart
 * @param quick a CI smoke run: tiny sizes, no targets judged
 * @param backfillRows rows of the table the backfill scenario reads
 * @param replicationRows rows of the replication scenario's source database, all tables
 * @param replicationRuns rounds of each comparison of the replication scenario
 */
public record BenchOptions(
        long changes,
        List<Integer> rates,
        int liveSeconds,
        Path out,
        boolean quick,
        long backfillRows,
        long replicationRows,
        int replicationRuns) {
    public static BenchOptions defaults(Path out) {
        return new BenchOptions(1_000_000, List.of(1_000, 5_000, 10_000), 30, out, false, 1_000_000, 1_000_000, 5);
    }

    public static BenchOptions quick(Path out) {
        return new BenchOptions(5_000, List.of(500), 3, out, true, 5_000, 5_000, 1);
    }
}
