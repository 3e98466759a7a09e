package dev.sluice.bench.e2e;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The backfill-versus-COPY part of {@link Report}: its {@code results.json} object and its markdown section. */
final class BackfillReport {
    private BackfillReport() {}

    static Map<String, Object> json(BackfillResult b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rows", b.rows());
        m.put("tableBytes", b.tableBytes());
        m.put("copy", b.copy().stream().map(BackfillReport::runJson).toList());
        m.put("keysetRead", b.keyset().stream().map(BackfillReport::runJson).toList());
        m.put("keysetPageRows", BackfillResult.KEYSET_PAGE);
        List<Map<String, Object>> runs = new ArrayList<>();
        for (BackfillResult.BackfillRun r : b.backfill()) {
            Map<String, Object> x = runJson(r.run());
            x.put("completed", r.completed());
            x.put("error", r.error());
            x.put("firstReadSeconds", Report.round(r.firstReadSeconds(), 3));
            x.put("pageSizes", BackfillResult.pageSizes(r.pages()));
            List<Map<String, Object>> pages = new ArrayList<>();
            for (BackfillResult.Page p : r.pages()) {
                pages.add(Map.of(
                        "rows",
                        p.rows(),
                        "firstSeconds",
                        Report.round(p.firstSeconds(), 3),
                        "lastSeconds",
                        Report.round(p.lastSeconds(), 3)));
            }
            x.put("pages", pages);
            runs.add(x);
        }
        m.put("backfill", runs);
        m.put("bestCopyRowsPerSecond", Report.round(b.bestCopy().rowsPerSecond(), 0));
        m.put("bestBackfillRowsPerSecond", Report.round(b.bestBackfill().rowsPerSecond(), 0));
        m.put("ratio", Report.round(b.ratio(), 3));
        return m;
    }

    private static Map<String, Object> runJson(BackfillResult.Run r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rows", r.rows());
        m.put("bytes", r.bytes());
        m.put("seconds", Report.round(r.seconds(), 3));
        m.put("rowsPerSecond", Report.round(r.rowsPerSecond(), 0));
        m.put("megabytesPerSecond", Report.round(r.megabytesPerSecond(), 1));
        return m;
    }

    static void markdown(StringBuilder md, BackfillResult b) {
        md.append("## Backfill versus COPY\n\n");
        md.append(String.format(
                Locale.ROOT,
                "Table of %,d rows (%.1f MiB), read whole by each method in turn; MB/s counts what the client"
                        + " received (COPY text, the text values of the page query, the sink's JSON).\n\n",
                b.rows(),
                b.tableBytes() / 1048576.0));
        md.append("| Method | Run | Rows | Seconds | Rows/s | MB/s | vs best COPY |\n");
        md.append("|---|---:|---:|---:|---:|---:|---:|\n");
        double copy = b.bestCopy().rowsPerSecond();
        int i = 0;
        for (BackfillResult.Run r : b.copy()) {
            backfillRow(md, "COPY TO STDOUT", ++i, r, copy);
        }
        i = 0;
        for (BackfillResult.Run r : b.keyset()) {
            backfillRow(md, "page query alone (" + BackfillResult.KEYSET_PAGE + "-row pages)", ++i, r, copy);
        }
        i = 0;
        for (BackfillResult.BackfillRun r : b.backfill()) {
            backfillRow(
                    md,
                    "Sluice backfill → null" + (r.error().isEmpty() ? "" : " (" + r.error() + ")"),
                    ++i,
                    r.run(),
                    copy);
        }
        md.append(String.format(
                Locale.ROOT,
                "\nBest backfill / best COPY = **%.2f** (%,.0f / %,.0f rows/s).\n\n",
                b.ratio(),
                b.bestBackfill().rowsPerSecond(),
                copy));
        i = 0;
        for (BackfillResult.BackfillRun r : b.backfill()) {
            md.append(String.format(
                    Locale.ROOT,
                    "Backfill run %d: first read after %.2f s; %d pages: %s\n\n",
                    ++i,
                    r.firstReadSeconds(),
                    r.pages().size(),
                    BackfillResult.pageSizes(r.pages())));
        }
    }

    private static void backfillRow(StringBuilder md, String method, int run, BackfillResult.Run r, double copy) {
        md.append(String.format(
                Locale.ROOT,
                "| %s | %d | %,d | %.2f | %,.0f | %.1f | %s |\n",
                method,
                run,
                r.rows(),
                r.seconds(),
                r.rowsPerSecond(),
                r.megabytesPerSecond(),
                copy > 0 ? Report.fmt(r.rowsPerSecond() / copy, 2) : "–"));
    }
}
