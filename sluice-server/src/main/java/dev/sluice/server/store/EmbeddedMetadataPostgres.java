package dev.sluice.server.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Postgres that holds Sluice's own state when no external one is configured: zonky's embedded
 * binaries, with a data directory kept in {@code $SLUICE_HOME/metadata-pg} across restarts.
 *
 * <p>Failure: if a previous Sluice was killed (SIGKILL, OOM), its postmaster is still running on the
 * data directory. Postgres has no parent-death detection, so we stop that orphan before starting.
 */
public final class EmbeddedMetadataPostgres implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedMetadataPostgres.class);

    private final EmbeddedPostgres pg;

    private EmbeddedMetadataPostgres(EmbeddedPostgres pg) {
        this.pg = pg;
    }

    /** Starts (initialising on first use) the server whose data lives in {@code dataDir}. */
    public static EmbeddedMetadataPostgres start(Path dataDir, boolean logicalReplication) throws IOException {
        Files.createDirectories(dataDir);
        stopOrphan(dataDir);
        EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false)
                // Stopped by our own shutdown path, after the pipelines that use it (zonky's hook would
                // race it on SIGTERM).
                .setRegisterShutdownHook(false)
                .setPGStartupWait(Duration.ofSeconds(60))
                .setServerConfig("max_connections", "50")
                .setServerConfig("shared_buffers", "32MB");
        if (logicalReplication) {
            b.setServerConfig("wal_level", "logical")
                    .setServerConfig("max_wal_senders", "10")
                    .setServerConfig("max_replication_slots", "10");
        }
        try {
            return new EmbeddedMetadataPostgres(b.start());
        } catch (IOException | IllegalStateException e) {
            throw new IOException(
                    "could not start the embedded Postgres in " + dataDir + ": " + e.getMessage()
                            + ". If another Sluice uses the same SLUICE_HOME, stop it or set SLUICE_HOME to"
                            + " another directory.",
                    e);
        }
    }

    /** Stops a postmaster left running on {@code dataDir} by a Sluice that was killed. */
    public static void stopOrphanIn(Path dataDir) {
        stopOrphan(dataDir);
    }

    private static void stopOrphan(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        Optional<ProcessHandle> proc;
        try {
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.isEmpty()) {
                return;
            }
            proc = ProcessHandle.of(Long.parseLong(lines.getFirst().strip()));
        } catch (IOException | NumberFormatException e) {
            return; // Postgres itself handles an unreadable or stale pid file
        }
        if (proc.isEmpty() || !proc.get().isAlive() || !isPostgres(proc.get())) {
            return;
        }
        ProcessHandle ph = proc.get();
        log.info("Stopping an embedded Postgres (pid {}) left running by a previous Sluice", ph.pid());
        // SIGTERM is Postgres' "smart" shutdown; its clients died with the old Sluice, so it exits.
        ph.destroy();
        try {
            ph.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            ph.destroyForcibly();
        }
    }

    private static boolean isPostgres(ProcessHandle ph) {
        return ph.info()
                .command()
                .map(c -> c.endsWith("postgres") || c.endsWith("postmaster"))
                .orElse(true);
    }

    public int port() {
        return pg.getPort();
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + pg.getPort() + "/" + database + "?user=postgres";
    }

    /** Creates {@code database} if it does not exist. */
    public void ensureDatabase(String database) throws java.sql.SQLException {
        try (var c = pg.getPostgresDatabase().getConnection();
                var ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            ps.setString(1, database);
            try (var rs = ps.executeQuery()) {
                if (!rs.next()) {
                    c.createStatement().execute("CREATE DATABASE \"" + database.replace("\"", "\"\"") + "\"");
                }
            }
        }
    }

    @Override
    public void close() {
        try {
            pg.close();
        } catch (IOException e) {
            log.warn("embedded Postgres did not stop cleanly: {}", e.getMessage());
        }
    }
}
