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

    /** One stored resource: its id, name and yaml-shaped JSON spec (secrets removed). */
    public record Stored(
            UUID id,
            String name,
            String specJson,
            @Nullable String sealed,
            @Nullable UUID parent) {}

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

    /** Inserts or updates a database by name; returns its (stable) id. */
    public UUID upsertDatabase(String name, String specJson, @Nullable String sealedPassword) throws SQLException {
        return upsert("postgres_databases", "sealed_password", name, specJson, sealedPassword, null);
    }

    public UUID upsertHttpEndpoint(String name, String specJson, @Nullable String sealedHeaders) throws SQLException {
        return upsert("http_endpoints", "sealed_headers", name, specJson, sealedHeaders, null);
    }

    public UUID upsertSink(String name, UUID databaseId, String specJson) throws SQLException {
        return upsert("sinks", null, name, specJson, null, databaseId);
    }

    private UUID upsert(
            String table,
            @Nullable String sealedColumn,
            String name,
            String spec,
            @Nullable String sealed,
            @Nullable UUID databaseId)
            throws SQLException {
        String cols = "id, name, spec_version, spec" + (sealedColumn != null ? ", " + sealedColumn : "")
                + (databaseId != null ? ", database_id" : "");
        String vals = "?, ?, ?, ?::jsonb" + (sealedColumn != null ? ", ?" : "") + (databaseId != null ? ", ?" : "");
        String sets = "spec_version = EXCLUDED.spec_version, spec = EXCLUDED.spec, updated_at = now()"
                + (sealedColumn != null ? ", " + sealedColumn + " = EXCLUDED." + sealedColumn : "")
                + (databaseId != null ? ", database_id = EXCLUDED.database_id" : "");
        String sql = "INSERT INTO " + table + " (" + cols + ") VALUES (" + vals + ") ON CONFLICT (name) DO UPDATE SET "
                + sets + " RETURNING id";
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setObject(i++, UUID.randomUUID());
            ps.setString(i++, name);
            ps.setInt(i++, SPEC_VERSION);
            ps.setString(i++, spec);
            if (sealedColumn != null) {
                ps.setString(i++, sealed);
            }
            if (databaseId != null) {
                ps.setObject(i, databaseId);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getObject(1, UUID.class);
            }
        }
    }

    public List<Stored> databases() throws SQLException {
        return list("SELECT id, name, spec::text, sealed_password, NULL::uuid FROM postgres_databases ORDER BY name");
    }

    public List<Stored> httpEndpoints() throws SQLException {
        return list("SELECT id, name, spec::text, sealed_headers, NULL::uuid FROM http_endpoints ORDER BY name");
    }

    public List<Stored> sinks() throws SQLException {
        return list("SELECT id, name, spec::text, NULL, database_id FROM sinks ORDER BY name");
    }

    private List<Stored> list(String sql) throws SQLException {
        List<Stored> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(sql);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new Stored(
                        rs.getObject(1, UUID.class),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getObject(5, UUID.class)));
            }
        }
        return out;
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

    @Override
    public void close() {
        dataSource.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
