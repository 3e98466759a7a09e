package dev.sluice.bench.e2e;

import java.util.List;

/**
 * A steady workload at {@code targetRate} changes/s through the packaged Sluice server (a child JVM) to a
 * local webhook receiver. Latency is receipt time minus the change's commit timestamp.
 *
 * @param cpuPercent average CPU of the Sluice process over the run (100 = one core)
 * @param rssMaxBytes highest resident set size of the Sluice process seen during the run
 * @param timeline one point per second of the run
 */
public record LiveResult(
        int targetRate,
        double seconds,
        long messages,
        double p50Ms,
        double p95Ms,
        double p99Ms,
        double maxMs,
        double cpuPercent,
        long rssMaxBytes,
        List<Point> timeline) {
    public LiveResult {
        timeline = List.copyOf(timeline);
    }

    public double achievedRate() {
        return seconds <= 0 ? 0 : messages / seconds;
    }

    /** Second {@code t} of the run: messages received in it and their p99 latency. */
    public record Point(int t, long messages, double p99Ms) {}
}
