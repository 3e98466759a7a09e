package dev.sluice.bench.e2e;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The replication scenario's figures: each timed copy of the source database by each system, and each timed
 * comparison of source and target by Sluice's {@code verify} and by {@code COPY ... TO STDOUT} of both sides.
 *
 * @param postgres the server's version
 * @param bin the Postgres installation whose server and client tools ran
 * @param rows rows in the source, all tables
 * @param tableRows rows per table
 * @param sourceBytes {@code pg_database_size} of the source
 * @param commands each system's command line, as run
 * @param init every copy, in the order they ran
 * @param verify every comparison, in the order they ran
 * @param probe verify taken apart ({@link VerifyProbe}), when asked for
 * @param load the machine's load averages ({@code /proc/loadavg}: 1, 5, 15 minutes) before the first timed run and
 *     after the last: other work on the machine shares its cores with every system measured
 */
record ReplicationResult(
        String postgres,
        String bin,
        long rows,
        Map<String, Long> tableRows,
        long sourceBytes,
        Map<String, String> commands,
        List<InitRun> init,
        List<VerifyRun> verify,
        List<VerifyProbe.Run> probe,
        List<String> load) {

    /** The systems that copy the source to an empty target database. */
    enum Copier {
        SLUICE("sluice-init", "Sluice init (parallelism 2)"),
        /** Another build of the server, for a change's before and after in one run ({@code sluice.bench.baselineJar}). */
        SLUICE_BASELINE("sluice-init-baseline", "Sluice init, baseline jar (parallelism 2)"),
        PLAIN("pg_dump-psql", "pg_dump | psql"),
        DIRECTORY("pg_dump-Fd-pg_restore", "pg_dump -Fd -j2 + pg_restore -j2");

        final String id;
        final String label;

        Copier(String id, String label) {
            this.id = id;
            this.label = label;
        }
    }

    /** The ways source and target are read whole. */
    enum Reader {
        VERIFY("sluice-verify", "Sluice verify (parallelism 2)"),
        COPY_SERIAL("copy-serial", "COPY TO STDOUT, both sides, one table after another"),
        COPY_PARALLEL("copy-parallel", "COPY TO STDOUT, both sides at once (2 connections)");

        final String id;
        final String label;

        Reader(String id, String label) {
            this.id = id;
            this.label = label;
        }
    }

    /**
     * One copy, timed end to end (for Sluice from the POST of the job to the poll that saw it completed).
     *
     * @param round the round (1-based); the systems' order rotates from round to round
     * @param ok the target holds what the source holds (rows, a hash of every row, indexes, constraints, sequences,
     *     enums, columns), checked after the clock stopped
     * @param error why not, or empty
     * @param phases the target's statements by phase, from the server's log
     * @param parts named sub-timings: {@code dump}/{@code restore} for the directory format; for Sluice the job's own
     *     {@code server} time (started to completed) and each table's copy
     */
    record InitRun(
            Copier copier,
            int round,
            double seconds,
            boolean ok,
            String error,
            Map<StatementLog.Phase, StatementLog.Span> phases,
            Map<String, Double> parts) {}

    /**
     * One comparison or read of both sides.
     *
     * @param rows rows compared (verify) or read from both sides (COPY)
     * @param bytes bytes read (COPY text), 0 for verify
     * @param ok verify completed and found every table equal; COPY read every row
     * @param sluiceCpuSeconds CPU time of the Sluice server's process during a verify (0 for COPY)
     */
    record VerifyRun(
            Reader reader,
            int round,
            double seconds,
            long rows,
            long bytes,
            boolean ok,
            String error,
            double sluiceCpuSeconds) {}

    double median(Copier c) {
        return median(init.stream()
                .filter(r -> r.copier() == c && r.ok())
                .mapToDouble(InitRun::seconds)
                .toArray());
    }

    double median(Reader r) {
        return median(verify.stream()
                .filter(v -> v.reader() == r && v.ok())
                .mapToDouble(VerifyRun::seconds)
                .toArray());
    }

    /** The faster pg_dump variant by median; null when neither ran cleanly. */
    @Nullable
    Copier fasterDump() {
        double plain = median(Copier.PLAIN);
        double dir = median(Copier.DIRECTORY);
        if (plain == 0 && dir == 0) {
            return null;
        }
        return dir == 0 || (plain != 0 && plain <= dir) ? Copier.PLAIN : Copier.DIRECTORY;
    }

    /** Speed of Sluice's init over the faster pg_dump variant's (medians); 0 when either is missing. */
    double initRatio() {
        Copier dump = fasterDump();
        double sluice = median(Copier.SLUICE);
        return dump == null || sluice == 0 ? 0 : median(dump) / sluice;
    }

    /** The faster COPY reference by median; null when neither ran cleanly. */
    @Nullable
    Reader fasterCopy() {
        double serial = median(Reader.COPY_SERIAL);
        double parallel = median(Reader.COPY_PARALLEL);
        if (serial == 0 && parallel == 0) {
            return null;
        }
        return parallel == 0 || (serial != 0 && serial <= parallel) ? Reader.COPY_SERIAL : Reader.COPY_PARALLEL;
    }

    /** Speed of verify over the faster COPY of both sides (medians); 0 when either is missing. */
    double verifyRatio() {
        Reader copy = fasterCopy();
        double verify = median(Reader.VERIFY);
        return copy == null || verify == 0 ? 0 : median(copy) / verify;
    }

    /** The median of a phase's span over a system's clean runs; 0 when no run has the phase. */
    double medianPhase(Copier c, StatementLog.Phase p, boolean busy) {
        return median(init.stream()
                .filter(r -> r.copier() == c && r.ok() && r.phases().containsKey(p))
                .mapToDouble(r -> busy
                        ? r.phases().get(p).busySeconds()
                        : r.phases().get(p).seconds())
                .toArray());
    }

    /** The median of a named sub-timing over a system's clean runs; 0 when none has it. */
    double medianPart(Copier c, String part) {
        return median(init.stream()
                .filter(r -> r.copier() == c && r.ok() && r.parts().containsKey(part))
                .mapToDouble(r -> r.parts().get(part))
                .toArray());
    }

    /** The median time of a probe variant; 0 when it did not run. */
    double median(VerifyProbe.Variant v) {
        return median(probe.stream()
                .filter(p -> p.variant() == v)
                .mapToDouble(VerifyProbe.Run::seconds)
                .toArray());
    }

    static double median(double[] values) {
        if (values.length == 0) {
            return 0;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
