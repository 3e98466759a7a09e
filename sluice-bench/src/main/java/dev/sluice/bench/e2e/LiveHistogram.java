package dev.sluice.bench.e2e;

/**
 * A latency histogram in microseconds with log-linear buckets: exact below 128 µs, then 64 buckets per
 * power of two, so any recorded value is known to within 1/64 (1.6 %) of itself. That is the idea of
 * HdrHistogram, cut down to what the live benchmark needs: record, count, percentile, max. 2,400 longs
 * cover up to 2^40 µs (12 days); larger values land in the last bucket. Not thread-safe.
 */
final class LiveHistogram {
    private static final int EXACT = 128;
    private static final int SUB_BUCKETS = 64;
    private static final int BUCKETS = EXACT + 34 * SUB_BUCKETS;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long maxMicros;

    void record(long micros) {
        long v = Math.max(0, micros);
        counts[index(v)]++;
        total++;
        maxMicros = Math.max(maxMicros, v);
    }

    long count() {
        return total;
    }

    long maxMicros() {
        return maxMicros;
    }

    /**
     * The value at {@code percentile} (0–100) in microseconds: the middle of the bucket that holds the
     * ranked value, never more than the exact maximum. 0 when empty.
     */
    double percentileMicros(double percentile) {
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(percentile / 100.0 * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(middle(i), maxMicros);
            }
        }
        return maxMicros;
    }

    static int index(long v) {
        if (v < EXACT) {
            return (int) v;
        }
        int shift = 63 - Long.numberOfLeadingZeros(v) - 6; // keep the top 7 bits: 64..127
        int sub = (int) (v >>> shift) - SUB_BUCKETS;
        return Math.min(BUCKETS - 1, EXACT + (shift - 1) * SUB_BUCKETS + sub);
    }

    /** Middle of bucket {@code i}, in microseconds. */
    static double middle(int i) {
        if (i < EXACT) {
            return i;
        }
        int shift = (i - EXACT) / SUB_BUCKETS + 1;
        long sub = (i - EXACT) % SUB_BUCKETS + SUB_BUCKETS;
        long low = sub << shift;
        long high = ((sub + 1) << shift) - 1;
        return (low + high) / 2.0;
    }
}
