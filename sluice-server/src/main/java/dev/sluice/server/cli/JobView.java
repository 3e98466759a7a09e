package dev.sluice.server.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * How {@code sluice replicate} shows a job: its log lines as they come; on a terminal, a block redrawn in place with
 * the phase, counts, rate and time left and a bar per table being copied (or each database's lag while a sync
 * streams); at the end a summary table of the result.
 */
final class JobView {
    private static final int BAR = 24;

    private final PrintWriter out;
    private final boolean terminal;
    private final boolean unicode;
    private final Set<String> printed = new HashSet<>();
    private int blockLines;
    private long lastPlain;

    /** @param terminal whether to redraw a progress block in place (ANSI), rather than print log lines only */
    JobView(PrintWriter out, boolean terminal, boolean unicode) {
        this.out = out;
        this.terminal = terminal;
        this.unicode = unicode;
    }

    /**
     * The local Sluice's own log would run through the view: only its warnings and errors are shown until the
     * returned action puts the level back.
     */
    static Runnable quietLogs() {
        org.slf4j.Logger root = org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (root instanceof ch.qos.logback.classic.Logger l) {
            ch.qos.logback.classic.Level before = l.getLevel();
            l.setLevel(ch.qos.logback.classic.Level.WARN);
            return () -> l.setLevel(before);
        }
        return () -> {};
    }

    void update(JsonNode job) {
        clearBlock();
        for (JsonNode line : job.path("logs")) {
            if (printed.add(line.asString(""))) {
                out.println("  " + line.asString(""));
            }
        }
        List<String> block = block(job);
        if (terminal) {
            block.forEach(out::println);
            blockLines = block.size();
        } else if (!block.isEmpty() && System.nanoTime() - lastPlain > 10_000_000_000L) {
            out.println(block.getFirst());
            lastPlain = System.nanoTime();
        }
        out.flush();
    }

    private void clearBlock() {
        for (int i = 0; i < blockLines; i++) {
            out.print("\033[1A\033[2K");
        }
        blockLines = 0;
    }

    private List<String> block(JsonNode job) {
        List<String> lines = new ArrayList<>();
        JsonNode p = job.path("progress");
        String phase = p.path("phase").asString("");
        if (phase.isEmpty()) {
            lines.add(job.path("status").asString("") + "...");
            return lines;
        }
        if (phase.equals("streaming")) {
            for (JsonNode d : p.path("databases")) {
                lines.add(d.path("database").asString("") + " " + arrow() + " "
                        + d.path("target_database").asString("")
                        + ": " + d.path("state").asString("") + ", lag "
                        + bytes(d.path("lag_bytes").asLong(0)) + " / "
                        + d.path("lag_seconds").asDouble(0) + " s, "
                        + count(d.path("rows_per_second").asLong(0))
                        + " rows/s, " + count(d.path("rows_applied").asLong(0)) + " applied"
                        + (d.path("last_error").isString()
                                ? ", error: " + d.path("last_error").asString()
                                : ""));
            }
            return lines;
        }
        StringBuilder head =
                new StringBuilder(phase).append(' ').append(p.path("database").asString(""));
        if (p.has("tables_total")) {
            head.append("  ")
                    .append(p.path("tables_done").asLong())
                    .append('/')
                    .append(p.path("tables_total").asLong())
                    .append(" tables  ")
                    .append(count(p.path("rows_copied").asLong()))
                    .append(" rows  ")
                    .append(bytes(p.path("bytes_copied").asLong()));
            if (p.path("rows_per_second").asLong(0) > 0) {
                head.append("  ")
                        .append(count(p.path("rows_per_second").asLong()))
                        .append(" rows/s");
            }
            if (p.path("eta_seconds").isNumber()) {
                head.append("  ETA ").append(p.path("eta_seconds").asLong()).append(" s");
            }
        } else if (p.has("rows_compared")) {
            head.append("  ").append(count(p.path("rows_compared").asLong())).append(" rows compared");
        }
        lines.add(head.toString());
        for (JsonNode t : p.path("tables")) {
            long rows = t.path("rows").asLong();
            long estimate = Math.max(1, t.path("rows_estimate").asLong());
            int filled = (int) Math.min(BAR, rows * BAR / estimate);
            lines.add(String.format(
                    Locale.ROOT,
                    "  %-32s [%s%s] %s",
                    t.path("table").asString(""),
                    (unicode ? "█" : "#").repeat(filled),
                    (unicode ? "░" : ".").repeat(BAR - filled),
                    count(rows)));
        }
        return lines;
    }

    /** The job's outcome and a table of its result. */
    void summary(JsonNode job) {
        clearBlock();
        String status = job.path("status").asString("");
        out.println(status
                + (job.path("error").isString() ? ": " + job.path("error").asString() : ""));
        JsonNode r = job.path("result");
        List<String[]> rows = new ArrayList<>();
        switch (job.path("command").asString("")) {
            case "init", "sync" -> {
                rows.add(new String[] {"table", "rows", "size", "seconds", "format"});
                for (JsonNode d : r.path("databases")) {
                    for (JsonNode t : d.path("tables")) {
                        rows.add(new String[] {
                            d.path("database").asString("") + "."
                                    + t.path("schema").asString("") + "."
                                    + t.path("table").asString(""),
                            count(t.path("rows").asLong()),
                            bytes(t.path("bytes").asLong()),
                            String.valueOf(t.path("seconds").asDouble()),
                            t.path("format").asString("")
                        });
                    }
                    for (JsonNode w : d.path("warnings")) {
                        out.println("warning: " + w.asString(""));
                    }
                    for (JsonNode x : d.path("would_drop")) {
                        out.println("in the way: " + x.path("kind").asString("") + " "
                                + x.path("schema").asString("") + "."
                                + x.path("name").asString(""));
                    }
                }
            }
            case "verify" -> {
                rows.add(new String[] {"table", "status", "source rows", "target rows", "ranges that differ"});
                for (JsonNode t : r.path("tables")) {
                    rows.add(new String[] {
                        t.path("database").asString("") + "." + t.path("schema").asString("") + "."
                                + t.path("table").asString(""),
                        t.path("status").asString(""),
                        count(t.path("rows_source").asLong()),
                        count(t.path("rows_target").asLong()),
                        String.valueOf(t.path("mismatched_ranges").size())
                    });
                }
            }
            case "validate" -> {
                rows.add(new String[] {"check", "status", "detail", "fix"});
                for (JsonNode c : r.path("checks")) {
                    rows.add(new String[] {
                        c.path("name").asString(""),
                        c.path("status").asString(""),
                        c.path("detail").asString(""),
                        c.path("fix").asString("")
                    });
                }
            }
            case "status" -> {
                rows.add(new String[] {"table", "rows", "inserts/s", "updates/s", "deletes/s"});
                for (JsonNode t : r.path("tables")) {
                    rows.add(new String[] {
                        t.path("schema").asString("") + "." + t.path("table").asString(""),
                        count(t.path("rows").asLong()),
                        count(t.path("inserts_per_second").asLong()),
                        count(t.path("updates_per_second").asLong()),
                        count(t.path("deletes_per_second").asLong())
                    });
                }
                for (JsonNode s : r.path("syncs")) {
                    for (JsonNode d : s.path("databases")) {
                        out.println("sync " + s.path("job_id").asString("") + " "
                                + d.path("database").asString("")
                                + ": " + d.path("state").asString("") + ", lag "
                                + bytes(d.path("lag_bytes").asLong())
                                + " / " + d.path("lag_seconds").asDouble() + " s, applied "
                                + d.path("applied_lsn").asString(""));
                    }
                }
            }
            default -> {}
        }
        if (rows.size() > 1) {
            table(rows);
        }
        out.flush();
    }

    private void table(List<String[]> rows) {
        int[] width = new int[rows.getFirst().length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.min(60, Math.max(width[i], r[i].length()));
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                String cell = r[i].length() > 60 ? r[i].substring(0, 59) + (unicode ? "…" : "~") : r[i];
                line.append(String.format(Locale.ROOT, "%-" + width[i] + "s", cell))
                        .append(i + 1 < r.length ? "  " : "");
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private String arrow() {
        return unicode ? "→" : "->";
    }

    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f kB", b / 1024.0);
        }
        if (b < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MB", b / (1024.0 * 1024));
        }
        return String.format(Locale.ROOT, "%.2f GB", b / (1024.0 * 1024 * 1024));
    }
}
