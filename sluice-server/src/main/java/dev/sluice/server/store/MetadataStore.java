package dev.sluice.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sluice's own Postgres (schema {@code sluice}, migrated by Flyway): the connection pool, the migrations and
 * transactions, and one table class per resource. Either an embedded server under {@code $SLUICE_HOME} or an external
 * one from {@code SLUICE_DATABASE_URL}.
 *
 * <p>Concurrency: thread-safe (a small connection pool).
 */
public final class MetadataStore implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetadataStore.class);

    /** A unit of work on one connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private final HikariDataSource dataSource;
    /** Leases and heartbeats only: a pool busy with messages must not delay a renewal past the lease's expiry. */
    private final HikariDataSource leaseDataSource;

    private final @Nullable EmbeddedMetadataPostgres embedded;

    private final ResourceTable resources = new ResourceTable();
    private final ApiKeyTable apiKeys;
    private final PositionTable positions;
    private final ProgressTable progress;
    private final MessageTable messages;
    private final BackfillTable backfills;
    private final JobTable jobs;
    private final LeaseTable leases;

    private MetadataStore(
            HikariDataSource dataSource,
            HikariDataSource leaseDataSource,
            @Nullable EmbeddedMetadataPostgres embedded) {
        this.dataSource = dataSource;
        this.leaseDataSource = leaseDataSource;
        this.leases = new LeaseTable(leaseDataSource);
        this.embedded = embedded;
        this.apiKeys = new ApiKeyTable(dataSource);
        this.positions = new PositionTable(dataSource);
        this.progress = new ProgressTable(dataSource);
        this.messages = new MessageTable(dataSource);
        this.backfills = new BackfillTable(dataSource);
        this.jobs = new JobTable(dataSource);
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
        // A node cut off from the store in the middle of a transaction leaves its session open on the server, idle
        // in that transaction, with its locks: a fenced write's FOR SHARE on its lease row would then keep every
        // other node from taking the lease over, for good. Postgres ends such a session after this long; no
        // transaction of the store waits on its client anywhere near as long.
        hc.setConnectionInitSql("SET idle_in_transaction_session_timeout = '" + IDLE_IN_TRANSACTION.toMillis() + "ms'");
        HikariConfig leaseConfig = leaseConfig(hc);
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
        return new MetadataStore(ds, new HikariDataSource(leaseConfig), embedded);
    }

    /** How long the store's server keeps a session idle in a transaction: well inside a lease (10 s by default). */
    static final java.time.Duration IDLE_IN_TRANSACTION = java.time.Duration.ofSeconds(4);

    // Short timeouts: a renewal that cannot reach the store must fail well before the lease would expire.
    private static HikariConfig leaseConfig(HikariConfig main) {
        HikariConfig hc = new HikariConfig();
        main.copyStateTo(hc);
        java.util.Properties props = new java.util.Properties();
        props.putAll(main.getDataSourceProperties());
        hc.setDataSourceProperties(props);
        hc.setPoolName("sluice-leases");
        hc.setMaximumPoolSize(2);
        hc.setMinimumIdle(1);
        hc.setConnectionTimeout(2_000);
        hc.setValidationTimeout(1_000);
        hc.addDataSourceProperty("socketTimeout", "3");
        hc.addDataSourceProperty("connectTimeout", "2");
        return hc;
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

    /** The configuration resources' rows, for {@link StoredConfig}. */
    ResourceTable resources() {
        return resources;
    }

    public ApiKeyTable apiKeys() {
        return apiKeys;
    }

    public PositionTable positions() {
        return positions;
    }

    public ProgressTable progress() {
        return progress;
    }

    public MessageTable messages() {
        return messages;
    }

    public BackfillTable backfills() {
        return backfills;
    }

    public JobTable jobs() {
        return jobs;
    }

    /** Nodes and pipeline leases (cluster mode). */
    public LeaseTable leases() {
        return leases;
    }

    /** Runs {@code work} in one transaction: it commits if work returns, and rolls back if it throws. */
    public <T> T inTransaction(Work<T> work) throws SQLException {
        return transaction(dataSource, null, work);
    }

    /**
     * Runs {@code work} in one transaction on behalf of a pipeline, after checking that {@code fence} still holds
     * its lease (null: no fence, for writes made outside any pipeline).
     *
     * @throws Fence.LostException if the lease moved on: nothing is written
     */
    public <T> T fenced(@Nullable Fence fence, Work<T> work) throws SQLException {
        return transaction(dataSource, fence, work);
    }

    static <T> T transaction(DataSource ds, @Nullable Fence fence, Work<T> work) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                if (fence != null) {
                    fence.check(c);
                }
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

    @Override
    public void close() {
        leaseDataSource.close();
        dataSource.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
