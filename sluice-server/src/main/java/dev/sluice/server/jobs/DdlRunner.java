package dev.sluice.server.jobs;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs {@code init}'s schema statements on a target connection, each in its own transaction and checkpointed once it
 * succeeded. The catalog does not say in which order user types, functions and views were built on each other, so a
 * statement that fails because something it needs is not there yet is tried again after the others, until a round
 * makes no progress. Something that already exists counts as done: it is there from an earlier run of the same job
 * (a target that had it before was refused or emptied first).
 */
final class DdlRunner {
    /** Something a statement needs is not there (yet). */
    private static final Set<String> MISSING = Set.of("42704", "42P01", "42883", "3F000");
    /** What a statement creates is there already. */
    private static final Set<String> EXISTS = Set.of("42P07", "42710", "42P06", "42723");

    private final Connection c;
    private final JobContext job;
    private final String prefix;
    private final List<String> warnings;

    /**
     * @param prefix names the database in checkpoint keys
     * @param warnings where statements that may be left out (views, functions) report why they were
     * @param parallelism how many statements the job runs at once on the target
     */
    DdlRunner(Connection c, JobContext job, String prefix, List<String> warnings, int parallelism) throws SQLException {
        this.c = c;
        this.job = job;
        this.prefix = prefix;
        this.warnings = warnings;
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
            // As pg_restore: bodies are checked when called (they may name tables created later), names are
            // written qualified, and index builds get room.
            s.execute("SET check_function_bodies = false");
            s.execute("SET search_path = pg_catalog");
            s.execute("SET maintenance_work_mem = '256MB'");
            if (parallelism > 1) {
                // The job's workers already build indexes side by side, a core each: Postgres's own parallel
                // workers per build would only crowd the same cores (docs/benchmarks.md, 2026-12-07).
                s.execute("SET max_parallel_maintenance_workers = 0");
            }
        }
    }

    /** Runs {@code ddls}; returns how many ran (not skipped as done before). */
    int run(List<Ddl> ddls) throws SQLException, InterruptedException {
        Map<Ddl, SQLException> waiting = new LinkedHashMap<>();
        List<Ddl> pending = new ArrayList<>(ddls);
        int ran = 0;
        while (!pending.isEmpty()) {
            waiting.clear();
            for (Ddl d : pending) {
                if (job.cancelled()) {
                    throw new InterruptedException("cancelled");
                }
                String key = prefix + d.key();
                if (job.done(key)) {
                    continue;
                }
                try (Statement s = c.createStatement()) {
                    s.execute(d.sql());
                    ran++;
                } catch (SQLException e) {
                    if (MISSING.contains(e.getSQLState())) {
                        waiting.put(d, e);
                        continue;
                    }
                    if (!EXISTS.contains(e.getSQLState()) && !secondPrimaryKey(d, e)) {
                        if (!optional(d)) {
                            throw failed(d, e);
                        }
                        warnings.add(d.key() + " is left out: " + e.getMessage());
                    }
                }
                job.checkpoint(key);
            }
            if (waiting.size() == pending.size()) {
                break; // a round without progress: what is left needs something that will not come
            }
            pending = new ArrayList<>(waiting.keySet());
        }
        for (Map.Entry<Ddl, SQLException> w : waiting.entrySet()) {
            if (!optional(w.getKey())) {
                throw failed(w.getKey(), w.getValue());
            }
            warnings.add(w.getKey().key() + " is left out: " + w.getValue().getMessage());
        }
        return ran;
    }

    /** Views and functions may name what the job does not copy: they are left out with a warning. */
    private static boolean optional(Ddl d) {
        return d.key().startsWith("view ")
                || d.key().startsWith("materialized view ")
                || d.key().startsWith("function ");
    }

    private static boolean secondPrimaryKey(Ddl d, SQLException e) {
        return "42P16".equals(e.getSQLState())
                && e.getMessage() != null
                && e.getMessage().contains("multiple primary keys");
    }

    private static SQLException failed(Ddl d, SQLException e) {
        String hint = d.key().startsWith("extension ")
                ? "; install the extension's package on the target server, or leave out the tables that use it"
                : "";
        return new SQLException(
                "cannot create " + d.key() + " on the target: " + e.getMessage() + hint + " (statement: " + d.sql()
                        + ")",
                e.getSQLState(),
                e);
    }
}
