package dev.sluice.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sluice's own state in Postgres (schema {@code sluice}, migrated by Flyway): databases, http
 * endpoints, sinks and slot positions. Either an embedded server under {@code $SLUICE_HOME} or an
 * external one from {@code SLUICE_DATABASE_URL}.
 *
 * <p>Concurrency: thread-safe (a small connection pool).
 */
public final class MetadataStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetadataStore.class);
    static final int SPEC_VERSION = 1;

    /** The kinds of configuration resource, with their table and the column holding their sealed secret. */
    public enum Kind {
        DATABASE("postgres_databases", "sealed_password", "databases"),
        HTTP_ENDPOINT("http_endpoints", "sealed_headers", "http_endpoints"),
        SINK("sinks", "sealed_secrets", "sinks");

        final String table;
        final String sealedColumn;
        /** The section of sluice.yaml that holds this kind. */
        public final String section;

        Kind(String table, String sealedColumn, String section) {
            this.table = table;
            this.sealedColumn = sealedColumn;
            this.section = section;
        }
    }

    /**
     * One stored resource: its id, name, yaml-shaped JSON spec (secrets removed), sealed secrets, parent (a sink's
     * database) and timestamps.
     */
    public record Stored(
            UUID id,
            String name,
            String specJson,
            @Nullable String sealed,
            @Nullable UUID parent,
            Instant insertedAt,
            Instant updatedAt) {}

    /** A unit of work on one connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private final HikariDataSource dataSource;
    private final @Nullable EmbeddedMetadataPostgres embedded;

    private MetadataStore(HikariDataSource dataSource, @Nullable EmbeddedMetadataPostgres embedded) {
        this.dataSource = dataSource;
        this.embedded = embedded;
    }

    /**
     * Opens the store: the external Postgres at {@code externalUrl} when given ({@code postgres://} or
     * {@code jdbc:postgresql://}), else the embedded one in {@code home}. Migrates the schema.
     */
    public static MetadataStore open(Path home, @Nullable String externalUrl) throws IOException, SQLException {
        EmbeddedMetadataPostgres embedded = null;
        HikariConfig hc = new HikariConfig();
        if (externalUrl != null && !externalUrl.isBlank()) {
            applyUrl(hc, externalUrl.strip());
        } else {
            embedded = EmbeddedMetadataPostgres.start(home.resolve("metadata-pg"), false);
            embedded.ensureDatabase("sluice");
            hc.setJdbcUrl(embedded.jdbcUrl("sluice"));
        }
        hc.setPoolName("sluice-metadata");
        hc.setMaximumPoolSize(4);
        hc.setMinimumIdle(1);
        hc.setConnectionTimeout(15_000);
        hc.setSchema("sluice");
        hc.setInitializationFailTimeout(-1);
        HikariDataSource ds = new HikariDataSource(hc);
        try {
            Flyway.configure()
                    .dataSource(ds)
                    .schemas("sluice")
                    .createSchemas(true)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            ds.close();
            if (embedded != null) {
                embedded.close();
            }
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw new SQLException(
                    "cannot open the metadata database" + (externalUrl != null ? " at SLUICE_DATABASE_URL" : "") + ": "
                            + root.getMessage(),
                    e);
        }
        log.info("Metadata store ready ({})", embedded != null ? "embedded Postgres in " + home : "external Postgres");
        return new MetadataStore(ds, embedded);
    }

    private static void applyUrl(HikariConfig hc, String url) {
        if (url.startsWith("jdbc:")) {
            hc.setJdbcUrl(url);
            return;
        }
        URI u = URI.create(url);
        if (!"postgres".equals(u.getScheme()) && !"postgresql".equals(u.getScheme())) {
            throw new IllegalArgumentException(
                    "SLUICE_DATABASE_URL must start with postgres://, postgresql:// or jdbc:postgresql://");
        }
        String query = u.getRawQuery() == null ? "" : "?" + u.getRawQuery();
        hc.setJdbcUrl("jdbc:postgresql://" + u.getHost() + ":" + (u.getPort() < 0 ? 5432 : u.getPort()) + u.getRawPath()
                + query);
        String userInfo = u.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            hc.setUsername(
                    URLDecoder.decode(colon < 0 ? userInfo : userInfo.substring(0, colon), StandardCharsets.UTF_8));
            if (colon >= 0) {
                hc.setPassword(URLDecoder.decode(userInfo.substring(colon + 1), StandardCharsets.UTF_8));
            }
        }
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** Runs {@code work} in one transaction: it commits if work returns, and rolls back if it throws. */
    public <T> T inTransaction(Work<T> work) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    /** Every resource of a kind, by name. */
    public List<Stored> list(Kind kind) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return list(c, kind);
        }
    }

    public List<Stored> list(Connection c, Kind kind) throws SQLException {
        String parent = kind == Kind.SINK ? "database_id" : "NULL::uuid";
        String sql = "SELECT id, name, spec::text, " + kind.sealedColumn + ", " + parent
                + ", inserted_at, updated_at FROM " + kind.table + " ORDER BY inserted_at, id";
        List<Stored> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Stored(
                        rs.getObject(1, UUID.class),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getObject(5, UUID.class),
                        rs.getTimestamp(6).toInstant(),
                        rs.getTimestamp(7).toInstant()));
            }
        }
        return out;
    }

    /** Inserts a resource; {@code parent} is a sink's database. */
    public void insert(
            Connection c, Kind kind, UUID id, String name, String spec, @Nullable String sealed, @Nullable UUID parent)
            throws SQLException {
        String sql = "INSERT INTO " + kind.table + " (id, name, spec_version, spec, " + kind.sealedColumn
                + (kind == Kind.SINK ? ", database_id" : "") + ") VALUES (?, ?, ?, ?::jsonb, ?"
                + (kind == Kind.SINK ? ", ?" : "") + ")";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, id);
            ps.setString(2, name);
            ps.setInt(3, SPEC_VERSION);
            ps.setString(4, spec);
            ps.setString(5, sealed);
            if (kind == Kind.SINK) {
                ps.setObject(6, parent);
            }
            ps.executeUpdate();
        }
    }

    /**
     * Updates a resource by id; {@code updated_at} moves only when something changed. Sealed values are compared
     * by plaintext by the caller: it passes the stored ciphertext back when the secret is unchanged.
     */
    public void update(
            Connection c, Kind kind, UUID id, String name, String spec, @Nullable String sealed, @Nullable UUID parent)
            throws SQLException {
        String parentSet = kind == Kind.SINK ? ", database_id = ?" : "";
        String parentCmp = kind == Kind.SINK ? ", database_id" : "";
        String sql = "UPDATE " + kind.table + " SET name = ?, spec_version = ?, spec = ?::jsonb, " + kind.sealedColumn
                + " = ?" + parentSet + ", updated_at = now() WHERE id = ? AND (name, spec, " + kind.sealedColumn
                + parentCmp + ") IS DISTINCT FROM (?, ?::jsonb, ?" + (kind == Kind.SINK ? ", ?::uuid" : "") + ")";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setString(i++, name);
            ps.setInt(i++, SPEC_VERSION);
            ps.setString(i++, spec);
            ps.setString(i++, sealed);
            if (kind == Kind.SINK) {
                ps.setObject(i++, parent);
            }
            ps.setObject(i++, id);
            ps.setString(i++, name);
            ps.setString(i++, spec);
            ps.setString(i++, sealed);
            if (kind == Kind.SINK) {
                ps.setObject(i, parent);
            }
            ps.executeUpdate();
        }
    }

    public void delete(Connection c, Kind kind, UUID id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + kind.table + " WHERE id = ?")) {
            ps.setObject(1, id);
            ps.executeUpdate();
        }
    }

    /** An API token: only its SHA-256 hash is stored. */
    public record ApiKey(UUID id, String name, byte[] tokenHash, Instant insertedAt) {}

    public List<ApiKey> apiKeys() throws SQLException {
        List<ApiKey> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT id, name, token_hash, inserted_at FROM api_keys ORDER BY inserted_at, id");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new ApiKey(
                        rs.getObject(1, UUID.class),
                        rs.getString(2),
                        rs.getBytes(3),
                        rs.getTimestamp(4).toInstant()));
            }
        }
        return out;
    }

    /** Inserts a key; false if its name is taken. */
    public boolean insertApiKey(UUID id, String name, byte[] tokenHash) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO api_keys (id, name, token_hash) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setObject(1, id);
            ps.setString(2, name);
            ps.setBytes(3, tokenHash);
            return ps.executeUpdate() == 1;
        }
    }

    public void deleteApiKeysNamed(String name) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM api_keys WHERE name = ?")) {
            ps.setString(1, name);
            ps.executeUpdate();
        }
    }

    public boolean deleteApiKey(UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("DELETE FROM api_keys WHERE id = ?")) {
            ps.setObject(1, id);
            return ps.executeUpdate() == 1;
        }
    }

    /** Records the flush position last acknowledged to a database's slot. */
    public void recordPosition(UUID databaseId, String slotName, String lsn) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO replication_positions (database_id, slot_name, flushed_lsn)
                        VALUES (?, ?, ?::pg_lsn)
                        ON CONFLICT (database_id) DO UPDATE
                        SET slot_name = EXCLUDED.slot_name, flushed_lsn = EXCLUDED.flushed_lsn, updated_at = now()""")) {
            ps.setObject(1, databaseId);
            ps.setString(2, slotName);
            ps.setString(3, lsn);
            ps.executeUpdate();
        }
    }

    /**
     * A sink's saved delivery progress: the acknowledged LSN and the packed positions resolved after it, or null
     * when none was saved.
     */
    public @Nullable SinkProgress loadProgress(UUID sinkId) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT acknowledged_lsn, resolved_after FROM sink_progress WHERE sink_id = ?")) {
            ps.setObject(1, sinkId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new SinkProgress(rs.getLong(1), rs.getBytes(2)) : null;
            }
        }
    }

    /** Replaces a sink's saved progress; does nothing when the sink is no longer stored. */
    public void saveProgress(UUID sinkId, SinkProgress progress) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO sink_progress (sink_id, acknowledged_lsn, resolved_after)
                        SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM sinks WHERE id = ?)
                        ON CONFLICT (sink_id) DO UPDATE
                        SET acknowledged_lsn = EXCLUDED.acknowledged_lsn, resolved_after = EXCLUDED.resolved_after,
                            updated_at = now()""")) {
            ps.setObject(1, sinkId);
            ps.setLong(2, progress.acknowledgedLsn());
            ps.setBytes(3, progress.resolvedAfter());
            ps.setObject(4, sinkId);
            ps.executeUpdate();
        }
    }

    /** One row of {@code sink_messages} (see {@code V4__sink_messages.sql}). */
    public record MessageRow(
            long commitLsn,
            int commitIdx,
            @Nullable String groupId,
            String idempotencyKey,
            String tableSchema,
            String tableName,
            String action,
            Instant committedAt,
            byte[] payload,
            int deliverCount,
            @Nullable String lastError,
            @Nullable Instant lastAttemptAt,
            @Nullable Instant nextAttemptAt,
            @Nullable Instant discardedAt) {}

    /** Which stored messages to list. */
    public enum MessageFilter {
        /** Failed or pending: the ones still to deliver. */
        LIVE(" AND discarded_at IS NULL"),
        FAILED(" AND discarded_at IS NULL AND deliver_count > 0"),
        PENDING(" AND discarded_at IS NULL AND deliver_count = 0"),
        DISCARDED(" AND discarded_at IS NOT NULL"),
        ANY("");

        private final String where;

        MessageFilter(String where) {
            this.where = where;
        }
    }

    /** Discarded messages kept per sink, newest first; older ones are dropped as new ones come. */
    public static final int DISCARDED_KEPT = 10_000;

    private static final String MESSAGE_COLUMNS = "commit_lsn, commit_idx, group_id, idempotency_key, table_schema,"
            + " table_name, action, committed_at, payload, deliver_count, last_error, last_attempt_at, next_attempt_at";

    /**
     * Inserts or replaces (by position) messages of a sink, as live ones; does nothing when the sink is no longer
     * stored.
     */
    public void saveMessages(UUID sinkId, List<MessageRow> rows) throws SQLException {
        upsertMessages(sinkId, rows, null);
    }

    /**
     * Records messages of a sink as discarded at {@code at} (a live row at the same position becomes a discarded
     * one), then drops the sink's oldest discarded messages beyond {@link #DISCARDED_KEPT}.
     */
    public void discardMessages(UUID sinkId, List<MessageRow> rows, Instant at) throws SQLException {
        upsertMessages(sinkId, rows, at);
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        DELETE FROM sink_messages WHERE sink_id = ? AND (commit_lsn, commit_idx) IN (
                            SELECT commit_lsn, commit_idx FROM sink_messages
                            WHERE sink_id = ? AND discarded_at IS NOT NULL
                            ORDER BY discarded_at DESC, commit_lsn DESC, commit_idx DESC OFFSET ?)""")) {
            ps.setObject(1, sinkId);
            ps.setObject(2, sinkId);
            ps.setInt(3, DISCARDED_KEPT);
            ps.executeUpdate();
        }
    }

    private void upsertMessages(UUID sinkId, List<MessageRow> rows, @Nullable Instant discardedAt) throws SQLException {
        String onConflict = " ON CONFLICT (sink_id, commit_lsn, commit_idx) DO UPDATE SET deliver_count ="
                + " EXCLUDED.deliver_count, last_error = EXCLUDED.last_error, last_attempt_at ="
                + " EXCLUDED.last_attempt_at, next_attempt_at = EXCLUDED.next_attempt_at, discarded_at ="
                + " EXCLUDED.discarded_at";
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO sink_messages (sink_id, " + MESSAGE_COLUMNS
                        + ", discarded_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1"
                        + " FROM sinks WHERE id = ?)" + onConflict)) {
            for (MessageRow r : rows) {
                int i = 1;
                ps.setObject(i++, sinkId);
                ps.setLong(i++, r.commitLsn());
                ps.setInt(i++, r.commitIdx());
                ps.setString(i++, r.groupId());
                ps.setString(i++, r.idempotencyKey());
                ps.setString(i++, r.tableSchema());
                ps.setString(i++, r.tableName());
                ps.setString(i++, r.action());
                ps.setObject(i++, java.time.OffsetDateTime.ofInstant(r.committedAt(), java.time.ZoneOffset.UTC));
                ps.setBytes(i++, r.payload());
                ps.setInt(i++, r.deliverCount());
                ps.setString(i++, r.lastError());
                ps.setObject(i++, timestamp(r.lastAttemptAt()));
                ps.setObject(i++, timestamp(discardedAt == null ? r.nextAttemptAt() : null));
                ps.setObject(i++, timestamp(discardedAt));
                ps.setObject(i, sinkId);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Removes messages of a sink by position ({commit LSN, index} pairs). */
    public void deleteMessages(UUID sinkId, List<long[]> positions) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "DELETE FROM sink_messages WHERE sink_id = ? AND commit_lsn = ? AND commit_idx = ?")) {
            for (long[] p : positions) {
                ps.setObject(1, sinkId);
                ps.setLong(2, p[0]);
                ps.setInt(3, (int) p[1]);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * A sink's stored messages that pass {@code filter}, in position order, after the position {@code after} when
     * given, at most {@code limit}.
     */
    public List<MessageRow> messages(UUID sinkId, MessageFilter filter, long @Nullable [] after, int limit)
            throws SQLException {
        String sql = "SELECT " + MESSAGE_COLUMNS + ", discarded_at FROM sink_messages WHERE sink_id = ?" + filter.where
                + (after == null ? "" : " AND (commit_lsn, commit_idx) > (?, ?)")
                + " ORDER BY commit_lsn, commit_idx LIMIT ?";
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setObject(i++, sinkId);
            if (after != null) {
                ps.setLong(i++, after[0]);
                ps.setInt(i++, (int) after[1]);
            }
            ps.setInt(i, limit);
            return messageRows(ps);
        }
    }

    /**
     * One group's live messages of a sink with positions in ({@code after}, {@code upTo}], in position order: those
     * with group id {@code groupId}, or, when it is null, those of the table without a group id.
     */
    public List<MessageRow> groupMessages(
            UUID sinkId,
            @Nullable String groupId,
            String tableSchema,
            String tableName,
            long[] after,
            long[] upTo,
            int limit)
            throws SQLException {
        String sql = "SELECT " + MESSAGE_COLUMNS + ", discarded_at FROM sink_messages WHERE sink_id = ?"
                + " AND discarded_at IS NULL"
                + (groupId == null
                        ? " AND group_id IS NULL AND table_schema = ? AND table_name = ?"
                        : " AND group_id = ?")
                + " AND (commit_lsn, commit_idx) > (?, ?) AND (commit_lsn, commit_idx) <= (?, ?)"
                + " ORDER BY commit_lsn, commit_idx LIMIT ?";
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setObject(i++, sinkId);
            if (groupId == null) {
                ps.setString(i++, tableSchema);
                ps.setString(i++, tableName);
            } else {
                ps.setString(i++, groupId);
            }
            ps.setLong(i++, after[0]);
            ps.setInt(i++, (int) after[1]);
            ps.setLong(i++, upTo[0]);
            ps.setInt(i++, (int) upTo[1]);
            ps.setInt(i, limit);
            return messageRows(ps);
        }
    }

    private static List<MessageRow> messageRows(PreparedStatement ps) throws SQLException {
        List<MessageRow> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new MessageRow(
                        rs.getLong(1),
                        rs.getInt(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5),
                        rs.getString(6),
                        rs.getString(7),
                        instant(rs, 8),
                        rs.getBytes(9),
                        rs.getInt(10),
                        rs.getString(11),
                        instant(rs, 12),
                        instant(rs, 13),
                        instant(rs, 14)));
            }
        }
        return out;
    }

    private static java.time.@Nullable OffsetDateTime timestamp(@Nullable Instant i) {
        return i == null ? null : java.time.OffsetDateTime.ofInstant(i, java.time.ZoneOffset.UTC);
    }

    private static @Nullable Instant instant(ResultSet rs, int column) throws SQLException {
        java.time.OffsetDateTime t = rs.getObject(column, java.time.OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    // ---- backfills (V6__backfills.sql) ----

    /** One row of {@code backfills}. */
    public record BackfillRow(
            UUID id,
            UUID sinkId,
            String tableSchema,
            String tableName,
            @Nullable String sortColumn,
            @Nullable String startPosition,
            String state,
            @Nullable List<String> cursor,
            @Nullable Long rowsInitialCount,
            long rowsProcessedCount,
            long rowsIngestedCount,
            @Nullable Instant resumedAt,
            long resumedRows,
            Instant insertedAt,
            Instant updatedAt,
            @Nullable Instant completedAt,
            @Nullable Instant canceledAt,
            @Nullable Instant failedAt,
            @Nullable String error) {

        /** Seconds left at the current run's rate, as of its last saved progress; null when not computable. */
        public @Nullable Long etaSeconds() {
            if (!state.equals("active") || resumedAt == null) {
                return null;
            }
            return etaSeconds(
                    rowsInitialCount,
                    rowsProcessedCount,
                    rowsProcessedCount - resumedRows,
                    java.time.Duration.between(resumedAt, updatedAt).toMillis());
        }

        /**
         * Rows left ({@code initial - processed}, at least 0) at the rate of {@code runRows} in {@code runMillis};
         * null when there is no count or no rate yet.
         */
        public static @Nullable Long etaSeconds(@Nullable Long initial, long processed, long runRows, long runMillis) {
            if (initial == null || runRows <= 0 || runMillis <= 0) {
                return null;
            }
            long left = Math.max(0, initial - processed);
            return (long) Math.ceil(left * (double) runMillis / runRows / 1000.0);
        }
    }

    private static final String BACKFILL_COLUMNS = "id, sink_id, table_schema, table_name, sort_column,"
            + " start_position, state, cursor, rows_initial_count, rows_processed_count, rows_ingested_count,"
            + " resumed_at, resumed_rows, inserted_at, updated_at, completed_at, canceled_at, failed_at, error";

    /**
     * Inserts an active backfill; false when the sink already has an active or paused one of that table, or is no
     * longer stored.
     */
    public boolean insertBackfill(
            UUID id,
            UUID sinkId,
            String tableSchema,
            String tableName,
            @Nullable String sortColumn,
            @Nullable String startPosition)
            throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO backfills (id, sink_id, table_schema, table_name, sort_column, start_position, state)
                        SELECT ?, ?, ?, ?, ?, ?, 'active' WHERE EXISTS (SELECT 1 FROM sinks WHERE id = ?)
                        ON CONFLICT DO NOTHING""")) {
            ps.setObject(1, id);
            ps.setObject(2, sinkId);
            ps.setString(3, tableSchema);
            ps.setString(4, tableName);
            ps.setString(5, sortColumn);
            ps.setString(6, startPosition);
            ps.setObject(7, sinkId);
            return ps.executeUpdate() == 1;
        }
    }

    /** A sink's backfills, oldest first. */
    public List<BackfillRow> backfills(UUID sinkId) throws SQLException {
        return backfillRows(
                "SELECT " + BACKFILL_COLUMNS + " FROM backfills WHERE sink_id = ? ORDER BY inserted_at, id", sinkId);
    }

    /** A sink's active backfills, oldest first. */
    public List<BackfillRow> activeBackfills(UUID sinkId) throws SQLException {
        return backfillRows(
                "SELECT " + BACKFILL_COLUMNS
                        + " FROM backfills WHERE sink_id = ? AND state = 'active' ORDER BY inserted_at, id",
                sinkId);
    }

    public @Nullable BackfillRow backfill(UUID id) throws SQLException {
        List<BackfillRow> rows = backfillRows("SELECT " + BACKFILL_COLUMNS + " FROM backfills WHERE id = ?", id);
        return rows.isEmpty() ? null : rows.getFirst();
    }

    private List<BackfillRow> backfillRows(String sql, UUID param) throws SQLException {
        List<BackfillRow> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    java.sql.Array cursor = rs.getArray(8);
                    long initial = rs.getLong(9);
                    boolean noInitial = rs.wasNull();
                    out.add(new BackfillRow(
                            rs.getObject(1, UUID.class),
                            rs.getObject(2, UUID.class),
                            rs.getString(3),
                            rs.getString(4),
                            rs.getString(5),
                            rs.getString(6),
                            rs.getString(7),
                            cursor == null ? null : List.of((String[]) cursor.getArray()),
                            noInitial ? null : initial,
                            rs.getLong(10),
                            rs.getLong(11),
                            instant(rs, 12),
                            rs.getLong(13),
                            java.util.Objects.requireNonNull(instant(rs, 14)),
                            java.util.Objects.requireNonNull(instant(rs, 15)),
                            instant(rs, 16),
                            instant(rs, 17),
                            instant(rs, 18),
                            rs.getString(19)));
                }
            }
        }
        return out;
    }

    /**
     * Moves a backfill to {@code to} if it is in one of {@code from}; stamps the state's time ({@code canceled_at}
     * for cancelled). Returns whether it moved.
     */
    public boolean transitionBackfill(UUID id, List<String> from, String to) throws SQLException {
        String stamp = switch (to) {
            case "cancelled" -> ", canceled_at = now()";
            case "completed" -> ", completed_at = now()";
            case "failed" -> ", failed_at = now()";
            default -> "";
        };
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("UPDATE backfills SET state = ?, updated_at = now()" + stamp
                        + " WHERE id = ? AND state = ANY (?)")) {
            ps.setString(1, to);
            ps.setObject(2, id);
            ps.setArray(3, c.createArrayOf("text", from.toArray()));
            return ps.executeUpdate() == 1;
        }
    }

    /** Notes that a run of the backfill starts now, at its current processed count (for the ETA). */
    public void backfillResumed(UUID id) throws SQLException {
        execute("UPDATE backfills SET resumed_at = now(), resumed_rows = rows_processed_count WHERE id = ?", id);
    }

    public void backfillCounted(UUID id, long rows) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "UPDATE backfills SET rows_initial_count = ?, updated_at = now() WHERE id = ?")) {
            ps.setLong(1, rows);
            ps.setObject(2, id);
            ps.executeUpdate();
        }
    }

    /** Saves the cursor and counts of an unfinished backfill. */
    public void backfillProgressed(UUID id, List<String> cursor, long processed, long ingested) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("""
                        UPDATE backfills SET cursor = ?, rows_processed_count = ?, rows_ingested_count = ?,
                            updated_at = now()
                        WHERE id = ? AND state IN ('active', 'paused')""")) {
            ps.setArray(1, c.createArrayOf("text", cursor.toArray()));
            ps.setLong(2, processed);
            ps.setLong(3, ingested);
            ps.setObject(4, id);
            ps.executeUpdate();
        }
    }

    /** Marks an active backfill completed (error null) or failed, with its final counts. */
    public boolean backfillFinished(UUID id, long processed, long ingested, @Nullable String error)
            throws SQLException {
        String sql = error == null
                ? "UPDATE backfills SET state = 'completed', completed_at = now(), rows_processed_count = ?,"
                        + " rows_ingested_count = ?, updated_at = now() WHERE id = ? AND state = 'active'"
                : "UPDATE backfills SET state = 'failed', failed_at = now(), error = ?, updated_at = now()"
                        + " WHERE id = ? AND state = 'active'";
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            if (error == null) {
                ps.setLong(1, processed);
                ps.setLong(2, ingested);
                ps.setObject(3, id);
            } else {
                ps.setString(1, error);
                ps.setObject(2, id);
            }
            return ps.executeUpdate() == 1;
        }
    }

    public boolean deleteBackfill(UUID id) throws SQLException {
        return execute("DELETE FROM backfills WHERE id = ?", id) == 1;
    }

    private int execute(String sql, UUID id) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, id);
            return ps.executeUpdate();
        }
    }

    /** A sink's delivery progress as stored: see {@code V3__sink_progress.sql}. */
    public record SinkProgress(long acknowledgedLsn, byte[] resolvedAfter) {}

    @Override
    public void close() {
        dataSource.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
