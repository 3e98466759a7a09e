package dev.sluice.bench.e2e;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the statements of one database cost, read back from the Postgres log: the replication scenario's server logs
 * every statement of the databases it watches ({@code log_min_duration_statement = 0} set on them, {@code
 * log_line_prefix = '%m [%p] %d '}, {@code log_timezone = UTC}), so a run of any tool can be cut into phases the same
 * way, from the server's side: schema, data (COPY), indexes and constraints, foreign keys.
 */
final class StatementLog {
    /** The settings the server needs for this; the databases to watch get {@link #WATCH}. */
    static final Map<String, String> SERVER_SETTINGS = Map.of("log_line_prefix", "%m [%p] %d ", "log_timezone", "UTC");

    /** Run on a database ({@code ALTER DATABASE ... SET}) to have its statements logged. */
    static final String WATCH = "log_min_duration_statement = 0";

    enum Phase {
        SCHEMA("schema"),
        DATA("data (COPY)"),
        INDEXES("indexes and constraints"),
        FOREIGN_KEYS("foreign keys"),
        OTHER("other");

        final String label;

        Phase(String label) {
            this.label = label;
        }
    }

    /** One logged statement: when it started and ended (seconds from the run's start), on which backend. */
    record Statement(double start, double end, int pid, Phase phase, String sql) {}

    /** A phase of a run: statement time summed over backends, and from its first statement's start to its last's end. */
    record Span(int statements, double busySeconds, double firstStart, double lastEnd) {
        double seconds() {
            return lastEnd - firstStart;
        }
    }

    private static final Pattern LINE = Pattern.compile(
            "^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) UTC \\[(\\d+)\\] (\\S*) (\\w+):  (.*)$");
    private static final Pattern DURATION = Pattern.compile(
            "^duration: ([\\d.]+) ms  (statement|execute [^:]*|parse [^:]*|bind [^:]*): (.*)$", Pattern.DOTALL);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT);

    private StatementLog() {}

    /** The log's size now: where a run's statements will start. */
    static long mark(Path log) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            return f.length();
        }
    }

    /**
     * The statements of database {@code db} logged since {@code offset} that ended within the run ({@code from} to
     * {@code to}), with times relative to {@code from}.
     */
    static List<Statement> read(Path log, long offset, String db, Instant from, Instant to) throws IOException {
        String text;
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            f.seek(offset);
            byte[] b = new byte[(int) Math.max(0, f.length() - offset)];
            f.readFully(b);
            text = new String(b, StandardCharsets.UTF_8);
        }
        List<Statement> out = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        int i = 0;
        while (i < lines.length) {
            Matcher m = LINE.matcher(lines[i]);
            i++;
            if (!m.matches()) {
                continue;
            }
            StringBuilder message = new StringBuilder(m.group(5));
            while (i < lines.length && !LINE.matcher(lines[i]).matches()) {
                message.append('\n').append(lines[i]);
                i++;
            }
            if (!m.group(3).equals(db) || !m.group(4).equals("LOG")) {
                continue;
            }
            Matcher d = DURATION.matcher(message);
            if (!d.find() || d.group(2).startsWith("parse") || d.group(2).startsWith("bind")) {
                continue;
            }
            Instant end = LocalDateTime.parse(m.group(1), TIME).toInstant(ZoneOffset.UTC);
            if (end.isBefore(from.minusMillis(1)) || end.isAfter(to.plusMillis(1))) {
                continue;
            }
            double ms = Double.parseDouble(d.group(1));
            double endSeconds = (end.toEpochMilli() - from.toEpochMilli()) / 1000.0;
            String sql = d.group(3).strip();
            out.add(new Statement(
                    endSeconds - ms / 1000.0, endSeconds, Integer.parseInt(m.group(2)), classify(sql), sql));
        }
        return out;
    }

    static Phase classify(String sql) {
        String s = sql.replaceAll("\\s+", " ").toUpperCase(Locale.ROOT);
        if (s.startsWith("COPY ") && s.contains(" FROM STDIN")) {
            return Phase.DATA;
        }
        // Sluice adds foreign keys NOT VALID, then validates them (only those).
        if (s.contains(" FOREIGN KEY ") || (s.startsWith("ALTER TABLE") && s.contains(" VALIDATE CONSTRAINT "))) {
            return Phase.FOREIGN_KEYS;
        }
        if (s.startsWith("CREATE INDEX")
                || s.startsWith("CREATE UNIQUE INDEX")
                || (s.startsWith("ALTER TABLE") && s.contains(" ADD CONSTRAINT "))) {
            return Phase.INDEXES;
        }
        if (s.startsWith("CREATE ")
                || s.startsWith("ALTER ")
                || s.startsWith("COMMENT ")
                || s.startsWith("GRANT ")
                || s.startsWith("REVOKE ")) {
            return Phase.SCHEMA;
        }
        return Phase.OTHER;
    }

    /** The spans of the phases that have statements, in phase order. */
    static Map<Phase, Span> phases(List<Statement> statements) {
        Map<Phase, Span> out = new EnumMap<>(Phase.class);
        for (Phase p : Phase.values()) {
            List<Statement> of = statements.stream().filter(s -> s.phase() == p).toList();
            if (of.isEmpty()) {
                continue;
            }
            out.put(
                    p,
                    new Span(
                            of.size(),
                            of.stream().mapToDouble(s -> s.end() - s.start()).sum(),
                            of.stream().mapToDouble(Statement::start).min().orElse(0),
                            of.stream().mapToDouble(Statement::end).max().orElse(0)));
        }
        return out;
    }

    /** {@link #phases} as JSON: label to statements, busy seconds, first start, last end. */
    static Map<String, Object> json(Map<Phase, Span> phases) {
        Map<String, Object> m = new LinkedHashMap<>();
        phases.forEach((p, s) -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("statements", s.statements());
            x.put("busySeconds", Report.round(s.busySeconds(), 3));
            x.put("firstStart", Report.round(s.firstStart(), 3));
            x.put("lastEnd", Report.round(s.lastEnd(), 3));
            m.put(p.name().toLowerCase(Locale.ROOT), x);
        });
        return m;
    }
}
