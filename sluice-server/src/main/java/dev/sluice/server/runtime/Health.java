package dev.sluice.server.runtime;

import dev.sluice.core.Lsn;
import dev.sluice.engine.DatabasePipeline;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code GET /health} body: per database its reader state, per sink its delivery state. A database's
 * {@code check} is {@code error} when it does not stream, {@code warning} (with the reason in {@code warning})
 * when it streams but no heartbeat has come back for 3 intervals, else {@code healthy}; a warning alone does not
 * make the answer 503.
 */
record Health(boolean healthy, Map<String, Object> body) {
    static Health of(List<DatabasePipeline> pipelines) {
        Instant now = Instant.now();
        boolean healthy = true;
        List<Object> dbs = new ArrayList<>();
        for (DatabasePipeline p : pipelines) {
            DatabasePipeline.Status s = p.status();
            boolean ok = s.state() == DatabasePipeline.State.STREAMING;
            healthy &= ok;
            List<Object> sinks = new ArrayList<>();
            for (DatabasePipeline.SinkStatus ss : s.sinks()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("name", ss.name());
                m.put("status", ss.state().name().toLowerCase(Locale.ROOT));
                m.put("healthy", ss.lastError() == null);
                m.put("delivered", ss.delivered());
                m.put("discarded", ss.discarded());
                m.put("shed", ss.shed());
                m.put("pending", ss.queued());
                m.put("failing_groups", ss.failingGroups());
                m.put(
                        "oldest_failure_at",
                        ss.oldestFailureAt() == null
                                ? null
                                : ss.oldestFailureAt().toString());
                m.put("lag_ms", ss.lag().toMillis());
                m.put("spilled", ss.spilled());
                m.put("stored_bytes", ss.storedBytes());
                m.put("max_spill_bytes", ss.maxSpillBytes());
                m.put("spill_budget_used_up", ss.spillBudgetUsedUp());
                m.put("last_error", ss.lastError());
                healthy &= ss.lastError() == null;
                sinks.add(m);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.database());
            m.put("state", s.state().name().toLowerCase(Locale.ROOT));
            String warning = s.heartbeatWarning(now);
            m.put("healthy", ok);
            m.put("check", !ok ? "error" : warning != null ? "warning" : "healthy");
            m.put("warning", warning);
            m.put("last_error", s.lastError());
            m.put("acknowledged_lsn", new Lsn(s.acknowledgedLsn()).toString());
            long lag = s.slotLagBytes();
            m.put("slot_lag_bytes", lag < 0 ? null : lag);
            m.put(
                    "last_heartbeat_at",
                    s.lastHeartbeatAt() == null ? null : s.lastHeartbeatAt().toString());
            m.put("sinks", sinks);
            dbs.add(m);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", healthy ? "healthy" : "degraded");
        body.put("databases", dbs);
        return new Health(healthy, body);
    }
}
