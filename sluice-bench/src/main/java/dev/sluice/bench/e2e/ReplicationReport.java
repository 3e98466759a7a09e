package dev.sluice.bench.e2e;

import dev.sluice.bench.e2e.ReplicationResult.Copier;
import dev.sluice.bench.e2e.ReplicationResult.InitRun;
import dev.sluice.bench.e2e.ReplicationResult.Reader;
import dev.sluice.bench.e2e.ReplicationResult.VerifyRun;
import dev.sluice.bench.e2e.StatementLog.Phase;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The replication part of {@link Report}: its {@code results.json} object and its markdown section. */
final class ReplicationReport {
    private ReplicationReport() {}

    static Map<String, Object> json(ReplicationResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("postgres", r.postgres());
        m.put("bin", r.bin());
        m.put("rows", r.rows());
        m.put("tableRows", r.tableRows());
        m.put("sourceBytes", r.sourceBytes());
        m.put("parallelism", ReplicationBench.PARALLELISM);
        m.put("loadBefore", r.load().isEmpty() ? null : r.load().getFirst());
        m.put("loadAfter", r.load().size() < 2 ? null : r.load().get(1));
        m.put("commands", r.commands());
        List<Map<String, Object>> init = new ArrayList<>();
        for (InitRun x : r.init()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("system", x.copier().id);
            j.put("round", x.round());
            j.put("seconds", Report.round(x.seconds(), 3));
            j.put("ok", x.ok());
            j.put("error", x.error());
            Map<String, Object> parts = new LinkedHashMap<>();
            x.parts().forEach((k, v) -> parts.put(k, Report.round(v, 3)));
            j.put("parts", parts);
            j.put("phases", StatementLog.json(x.phases()));
            init.add(j);
        }
        m.put("init", init);
        Map<String, Object> medians = new LinkedHashMap<>();
        for (Copier c : ran(r)) {
            medians.put(c.id, Report.round(r.median(c), 3));
        }
        m.put("initMedianSeconds", medians);
        m.put("initFasterDump", r.fasterDump() == null ? null : r.fasterDump().id);
        m.put("initRatio", Report.round(r.initRatio(), 3));
        List<Map<String, Object>> verify = new ArrayList<>();
        for (VerifyRun v : r.verify()) {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("method", v.reader().id);
            j.put("round", v.round());
            j.put("seconds", Report.round(v.seconds(), 3));
            j.put("rows", v.rows());
            j.put("bytes", v.bytes());
            j.put("ok", v.ok());
            j.put("error", v.error());
            j.put("sluiceCpuSeconds", Report.round(v.sluiceCpuSeconds(), 3));
            verify.add(j);
        }
        m.put("verify", verify);
        Map<String, Object> vm = new LinkedHashMap<>();
        for (Reader x : Reader.values()) {
            vm.put(x.id, Report.round(r.median(x), 3));
        }
        m.put("verifyMedianSeconds", vm);
        m.put("verifyFasterCopy", r.fasterCopy() == null ? null : r.fasterCopy().id);
        m.put("verifyRatio", Report.round(r.verifyRatio(), 3));
        if (!r.probe().isEmpty()) {
            List<Map<String, Object>> probe = new ArrayList<>();
            for (VerifyProbe.Run p : r.probe()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("variant", p.variant().id);
                j.put("round", p.round());
                j.put("seconds", Report.round(p.seconds(), 3));
                j.put("chunks", p.chunks());
                probe.add(j);
            }
            m.put("verifyProbe", probe);
        }
        return m;
    }

    static void markdown(StringBuilder md, ReplicationResult r) {
        md.append("## Replication jobs: init and verify\n\n");
        md.append(String.format(
                Locale.ROOT,
                "Source: %,d rows in %d tables (%s), %.1f MiB, on Postgres %s (%s); every target is a fresh database on"
                        + " the same server. Seconds are end to end; the order of the systems rotates by round. Load"
                        + " average (1, 5, 15 min) before the first run: %s, after the last: %s.\n\n",
                r.rows(),
                r.tableRows().size(),
                r.tableRows().entrySet().stream()
                        .map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%,d", e.getValue()))
                        .collect(Collectors.joining(", ")),
                r.sourceBytes() / 1048576.0,
                r.postgres(),
                r.bin(),
                r.load().isEmpty() ? "unknown" : r.load().getFirst(),
                r.load().size() < 2 ? "unknown" : r.load().get(1)));
        md.append("| System | Runs (s) | Median s | Median ÷ Sluice's |\n|---|---|---:|---:|\n");
        double sluice = r.median(Copier.SLUICE);
        for (Copier c : ran(r)) {
            double med = r.median(c);
            md.append("| ")
                    .append(cell(c.label))
                    .append(" | ")
                    .append(runs(r.init().stream()
                            .filter(x -> x.copier() == c)
                            .map(x -> x.ok() ? Report.fmt(x.seconds(), 2) : "failed")
                            .toList()))
                    .append(" | ")
                    .append(med > 0 ? Report.fmt(med, 2) : "–")
                    .append(" | ")
                    .append(med > 0 && sluice > 0 ? Report.fmt(med / sluice, 2) : "–")
                    .append(" |\n");
        }
        md.append(String.format(
                Locale.ROOT,
                "\nSluice init against the faster pg_dump variant (%s): **%s×** the speed (median over median;"
                        + " goal ≥ 1.0).\n\n",
                r.fasterDump() == null ? "none" : r.fasterDump().label,
                Report.fmt(r.initRatio(), 2)));
        md.append("Phases on the target, from the server's statement log (medians; span: first statement's start to"
                + " the last's end, from the run's start; busy: statement time summed over connections):\n\n");
        md.append(
                "| System | schema | data (COPY) | indexes and constraints | foreign keys |\n|---|---|---|---|---|\n");
        for (Copier c : ran(r)) {
            md.append("| ").append(cell(c.label));
            for (Phase p : List.of(Phase.SCHEMA, Phase.DATA, Phase.INDEXES, Phase.FOREIGN_KEYS)) {
                double span = r.medianPhase(c, p, false);
                double busy = r.medianPhase(c, p, true);
                md.append(" | ")
                        .append(
                                span == 0 && busy == 0
                                        ? "–"
                                        : "span " + Report.fmt(span, 2) + " s, busy " + Report.fmt(busy, 2) + " s");
            }
            md.append(" |\n");
        }
        double dump = r.medianPart(Copier.DIRECTORY, "dump");
        double restore = r.medianPart(Copier.DIRECTORY, "restore");
        if (dump > 0) {
            md.append(
                    String.format(Locale.ROOT, "\npg_dump -Fd: dump %.2f s, restore %.2f s (medians).", dump, restore));
        }
        double server = r.medianPart(Copier.SLUICE, "server");
        if (server > 0) {
            md.append(String.format(
                    Locale.ROOT,
                    " Sluice: the job ran %.2f s by its own record (started to completed), queued %.3f s.",
                    server,
                    r.medianPart(Copier.SLUICE, "queued")));
        }
        md.append("\n\n| Method | Runs (s) | Median s | Median ÷ verify's |\n|---|---|---:|---:|\n");
        double verify = r.median(Reader.VERIFY);
        for (Reader x : Reader.values()) {
            double med = r.median(x);
            md.append("| ")
                    .append(x.label)
                    .append(" | ")
                    .append(runs(r.verify().stream()
                            .filter(v -> v.reader() == x)
                            .map(v -> v.ok() ? Report.fmt(v.seconds(), 2) : "failed")
                            .toList()))
                    .append(" | ")
                    .append(med > 0 ? Report.fmt(med, 2) : "–")
                    .append(" | ")
                    .append(med > 0 && verify > 0 ? Report.fmt(med / verify, 2) : "–")
                    .append(" |\n");
        }
        md.append(String.format(
                Locale.ROOT,
                "\nSluice verify against the faster COPY of both sides (%s): **%s×** the speed (goal ≥ 0.5).\n\n",
                r.fasterCopy() == null ? "none" : r.fasterCopy().label,
                Report.fmt(r.verifyRatio(), 2)));
        if (!r.probe().isEmpty()) {
            md.append("Verify taken apart (each part or variant timed alone from the benchmark's JVM, 2 threads, on the"
                    + " same source and target; medians):\n\n");
            md.append("| Part or variant | Runs (s) | Median s | Median ÷ COPY's |\n|---|---|---:|---:|\n");
            Reader copy = r.fasterCopy();
            double copySeconds = copy == null ? 0 : r.median(copy);
            for (VerifyProbe.Variant v : VerifyProbe.Variant.values()) {
                double med = r.median(v);
                md.append("| ")
                        .append(v.label)
                        .append(" | ")
                        .append(runs(r.probe().stream()
                                .filter(p -> p.variant() == v)
                                .map(p -> Report.fmt(p.seconds(), 2))
                                .toList()))
                        .append(" | ")
                        .append(Report.fmt(med, 2))
                        .append(" | ")
                        .append(copySeconds > 0 ? Report.fmt(med / copySeconds, 2) : "–")
                        .append(" |\n");
            }
            md.append('\n');
        }
        md.append("Commands:\n\n");
        r.commands()
                .forEach((k, v) ->
                        md.append("- ").append(k).append(": `").append(v).append("`\n"));
        md.append('\n');
    }

    /** The systems that ran, in their order. */
    private static List<Copier> ran(ReplicationResult r) {
        return java.util.Arrays.stream(Copier.values())
                .filter(c -> r.init().stream().anyMatch(x -> x.copier() == c))
                .toList();
    }

    /** A markdown table cell: a {@code |} in it would end the cell. */
    static String cell(String text) {
        return text.replace("|", "\\|");
    }

    private static String runs(List<String> values) {
        return values.isEmpty() ? "–" : String.join(" · ", values);
    }
}
