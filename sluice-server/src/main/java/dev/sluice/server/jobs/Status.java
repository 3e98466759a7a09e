package dev.sluice.server.jobs;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code status} command: how the syncs from this source to this target are doing. From the running sync jobs
 * (on any node): each database's state, lag in bytes and seconds, last applied position and rows per second; from the
 * source: the sync slots and the WAL they hold; from the target: rows inserted, updated and deleted per second per
 * table, sampled over {@link #SAMPLE}. Fails when no sync runs between the two.
 */
final class Status implements JobWork {
    static final Duration SAMPLE = Duration.ofSeconds(2);

    /** The running sync jobs from {@code source} to {@code target}: job_id, started_at and their progress. */
    interface Syncs {
        List<Map<String, Object>> between(Endpoint source, Endpoint target) throws SQLException;
    }

    private final JobSpec spec;
    private final JobContext job;
    private final Syncs syncs;
    private int found;

    Status(JobSpec spec, JobContext job, Syncs syncs) {
        this.spec = spec;
        this.job = job;
        this.syncs = syncs;
    }

    @Override
    public Map<String, Object> run() throws SQLException, InterruptedException {
        Endpoint source = Endpoint.of("source", spec.sourceUrl());
        Endpoint target = Endpoint.of("target", spec.targetUrl());
        List<Map<String, Object>> running = syncs.between(source, target);
        found = running.size();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", found > 0);
        r.put("syncs", running);
        List<Map<String, Object>> slots = new ArrayList<>();
        List<Map<String, Object>> tables = new ArrayList<>();
        for (String db : spec.filter().databases(source.url().database())) {
            job.progress(Map.of("phase", "status", "database", db));
            try (Connection c = source.connect(db);
                    PreparedStatement ps = c.prepareStatement("SELECT slot_name, active,"
                            + " pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint,"
                            + " confirmed_flush_lsn::text FROM pg_replication_slots"
                            + " WHERE database = current_database() AND slot_name LIKE 'sluice\\_sync\\_%'"
                            + " ORDER BY slot_name")) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Map<String, Object> s = new LinkedHashMap<>();
                        s.put("database", db);
                        s.put("slot_name", rs.getString(1));
                        s.put("active", rs.getBoolean(2));
                        s.put("lag_bytes", rs.getLong(3));
                        s.put("confirmed_flush_lsn", rs.getString(4));
                        slots.add(s);
                    }
                }
            }
            tables.addAll(rates(target, spec.targetDatabase(db)));
        }
        r.put("slots", slots);
        r.put("tables", tables);
        return r;
    }

    /** Rows written per second per table of the target, from two samples of its statistics. */
    private List<Map<String, Object>> rates(Endpoint target, String db) throws SQLException, InterruptedException {
        try (Connection c = target.connect(db)) {
            Map<String, long[]> first = sample(c);
            long started = System.nanoTime();
            Thread.sleep(SAMPLE);
            Map<String, long[]> second = sample(c);
            double seconds = (System.nanoTime() - started) / 1e9;
            List<Map<String, Object>> out = new ArrayList<>();
            second.forEach((name, b) -> {
                long[] a = first.getOrDefault(name, new long[4]);
                String[] parts = name.split("\\.", 2);
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("database", db);
                t.put("schema", parts[0]);
                t.put("table", parts[1]);
                t.put("rows", b[3]);
                t.put("inserts_per_second", Math.round((b[0] - a[0]) / seconds));
                t.put("updates_per_second", Math.round((b[1] - a[1]) / seconds));
                t.put("deletes_per_second", Math.round((b[2] - a[2]) / seconds));
                out.add(t);
            });
            return out;
        }
    }

    private Map<String, long[]> sample(Connection c) throws SQLException {
        Map<String, long[]> out = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT schemaname, relname, n_tup_ins, n_tup_upd, n_tup_del,"
                        + " n_live_tup FROM pg_stat_user_tables ORDER BY 1, 2");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(
                        rs.getString(1) + "." + rs.getString(2),
                        new long[] {rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6)});
            }
        }
        return new java.util.TreeMap<>(out);
    }

    @Override
    public long problems() {
        return found == 0 ? 1 : 0;
    }

    @Override
    public String failure(long n) {
        return "no sync job runs from this source to this target; start one with command sync";
    }
}
