package dev.sluice.server.store;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The {@code jobs} table: replication jobs, their sealed spec, status, progress, result and last log lines. Claims use
 * {@code FOR UPDATE SKIP LOCKED}, so several nodes sharing the store never run one job twice at once. Thread-safe.
 */
public final class JobTable {
    /** Lines of a job's log kept; older ones are dropped. */
    public static final int LOG_LINES = 50;

    private static final String COLUMNS = "id, trace_id, command, spec_sealed, status, cancel_asked, node,"
            + " heartbeat_at, attempts, progress::text, result::text, error, log, created_at, started_at,"
            + " completed_at, expires_at, checkpoints";

    private final DataSource dataSource;

    JobTable(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** A job as stored; {@code progress} and {@code result} are JSON text. */
    public record JobRow(
            UUID id,
            UUID traceId,
            String command,
            String specSealed,
            String status,
            boolean cancelAsked,
            @Nullable String node,
            @Nullable Instant heartbeatAt,
            int attempts,
            @Nullable String progress,
            @Nullable String result,
            @Nullable String error,
            List<String> log,
            Instant createdAt,
            @Nullable Instant startedAt,
            @Nullable Instant completedAt,
            Instant expiresAt,
            List<String> checkpoints) {}

    /**
     * Inserts a queued job unless {@code limit} jobs are queued or running already (checked under a lock on the table,
     * so concurrent creations cannot pass it together); false when refused.
     */
    public boolean insert(UUID id, UUID traceId, String command, String specSealed, Instant expiresAt, int limit)
            throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement lock = c.prepareStatement("LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE")) {
                    lock.execute();
                }
                try (PreparedStatement count = c.prepareStatement(
                                "SELECT count(*) FROM jobs WHERE status IN ('provisioning', 'running')");
                        ResultSet rs = count.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) >= limit) {
                        c.rollback();
                        return false;
                    }
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO jobs (id, trace_id, command, spec_sealed,"
                        + " status, expires_at) VALUES (?, ?, ?, ?, 'provisioning', ?)")) {
                    ps.setObject(1, id);
                    ps.setObject(2, traceId);
                    ps.setString(3, command);
                    ps.setString(4, specSealed);
                    ps.setTimestamp(5, Timestamp.from(expiresAt));
                    ps.executeUpdate();
                }
                c.commit();
                return true;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    public @Nullable JobRow get(UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM jobs WHERE id = ?")) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? row(rs) : null;
            }
        }
    }

    /** Jobs in creation order, optionally of one status, after the cursor ({@code createdAt}, {@code id}). */
    public List<JobRow> list(@Nullable String status, @Nullable Instant afterCreated, @Nullable UUID afterId, int limit)
            throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM jobs WHERE true");
        if (status != null) {
            sql.append(" AND status = ?");
        }
        if (afterCreated != null) {
            sql.append(" AND (created_at, id) > (?, ?)");
        }
        sql.append(" ORDER BY created_at, id LIMIT ?");
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = 1;
            if (status != null) {
                ps.setString(i++, status);
            }
            if (afterCreated != null) {
                ps.setTimestamp(i++, Timestamp.from(afterCreated));
                ps.setObject(i++, afterId);
            }
            ps.setInt(i, limit);
            List<JobRow> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row(rs));
                }
            }
            return out;
        }
    }

    /**
     * Claims the oldest job that is queued, or running on a node whose heartbeat is older than {@code stale}: marks it
     * running on {@code node}. Null when there is none.
     */
    public @Nullable JobRow claim(String node, Duration stale) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                UUID id = null;
                try (PreparedStatement ps = c.prepareStatement("SELECT id FROM jobs WHERE status = 'provisioning'"
                        + " OR (status = 'running' AND heartbeat_at < now() - make_interval(secs => ?))"
                        + " ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED")) {
                    ps.setDouble(1, stale.toMillis() / 1000.0);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            id = rs.getObject(1, UUID.class);
                        }
                    }
                }
                if (id == null) {
                    c.rollback();
                    return null;
                }
                try (PreparedStatement ps = c.prepareStatement("UPDATE jobs SET status = 'running', node = ?,"
                        + " heartbeat_at = now(), attempts = attempts + 1, started_at = coalesce(started_at, now())"
                        + " WHERE id = ?")) {
                    ps.setString(1, node);
                    ps.setObject(2, id);
                    ps.executeUpdate();
                }
                c.commit();
                return get(id);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    /**
     * Renews the heartbeat of a job this node runs and saves its progress (JSON, or null to keep it); false when the
     * job is no longer this node's to run (another node claimed it, or it ended).
     */
    public boolean heartbeat(UUID id, String node, @Nullable String progressJson) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "UPDATE jobs SET heartbeat_at = now(),"
                                + " progress = coalesce(?::jsonb, progress) WHERE id = ? AND node = ? AND status = 'running'")) {
            ps.setString(1, progressJson);
            ps.setObject(2, id);
            ps.setString(3, node);
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * Records that a job finished a step for good (see {@link JobRow#checkpoints}); false when the job is no longer
     * this node's to run.
     */
    public boolean checkpoint(UUID id, String node, String key) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE jobs SET checkpoints = array_append(checkpoints, ?)"
                        + " WHERE id = ? AND node = ? AND status = 'running'")) {
            ps.setString(1, key);
            ps.setObject(2, id);
            ps.setString(3, node);
            return ps.executeUpdate() == 1;
        }
    }

    /** Adds lines to a job's log, keeping the last {@value #LOG_LINES}. */
    public void log(UUID id, List<String> lines) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE jobs SET log = (SELECT coalesce(array_agg(l ORDER"
                        + " BY n), '{}') FROM (SELECT l, n FROM unnest(log || ?::text[]) WITH ORDINALITY AS x(l, n)"
                        + " ORDER BY n DESC LIMIT ?) last) WHERE id = ?")) {
            Array a = c.createArrayOf("text", lines.toArray());
            ps.setArray(1, a);
            ps.setInt(2, LOG_LINES);
            ps.setObject(3, id);
            ps.executeUpdate();
        }
    }

    /** Ends a job this node runs: completed, failed or cancelled, with its result or error. */
    public boolean finish(UUID id, String node, String status, @Nullable String resultJson, @Nullable String error)
            throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "UPDATE jobs SET status = ?, result = ?::jsonb, error = ?,"
                                + " completed_at = now(), heartbeat_at = now() WHERE id = ? AND node = ? AND status = 'running'")) {
            ps.setString(1, status);
            ps.setString(2, resultJson);
            ps.setString(3, error);
            ps.setObject(4, id);
            ps.setString(5, node);
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * Asks a job to stop: a queued one is cancelled at once, a running one when its runner next looks (true); false
     * when the job had already ended.
     */
    public boolean cancel(UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE jobs SET cancel_asked = true, status = CASE WHEN"
                        + " status = 'provisioning' THEN 'cancelled' ELSE status END, completed_at = CASE WHEN status"
                        + " = 'provisioning' THEN now() ELSE completed_at END"
                        + " WHERE id = ? AND status IN ('provisioning', 'running')")) {
            ps.setObject(1, id);
            return ps.executeUpdate() == 1;
        }
    }

    /** Deletes the jobs whose record expired before {@code now}; returns how many. */
    public int purgeExpired(Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM jobs WHERE expires_at < ?")) {
            ps.setTimestamp(1, Timestamp.from(now));
            return ps.executeUpdate();
        }
    }

    private static JobRow row(ResultSet rs) throws SQLException {
        Array log = rs.getArray(13);
        return new JobRow(
                rs.getObject(1, UUID.class),
                rs.getObject(2, UUID.class),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getBoolean(6),
                rs.getString(7),
                instant(rs.getTimestamp(8)),
                rs.getInt(9),
                rs.getString(10),
                rs.getString(11),
                rs.getString(12),
                log == null ? List.of() : List.of((String[]) log.getArray()),
                rs.getTimestamp(14).toInstant(),
                instant(rs.getTimestamp(15)),
                instant(rs.getTimestamp(16)),
                rs.getTimestamp(17).toInstant(),
                List.of((String[]) rs.getArray(18).getArray()));
    }

    private static @Nullable Instant instant(@Nullable Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
