package dev.sluice.bench.e2e;

import dev.sluice.postgres.replication.SourceSettings;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.replication.PGReplicationStream;

/**
 * System (a), the physical limit: pgjdbc's replication stream with the options Sluice's {@code
 * ReplicationSession} uses (pgoutput protocol 2 with streaming on Postgres 14+, else 1; the
 * publication, logical messages, 1 s status interval), reading frames and counting Insert, Update and
 * Delete by their first byte. Nothing is decoded.
 *
 * <p>It never confirms a position, so its slot stays where the backlog begins: the drains run it first
 * and last on the same slot, and judge the others against the faster run (whatever running first or
 * last costs, caches or the checkpoint after the backlog's write, then falls on neither side alone).
 */
final class RawPgOutputReader implements Drainer {
    @Override
    public DrainRun drain(Backlog backlog, Duration timeout) throws SQLException {
        SourceSettings s = Drainer.settings(backlog, DrainSystem.RAW);
        ChangeCounter counter = new ChangeCounter(backlog.changes());
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor();
        try (Connection c = DriverManager.getConnection(s.jdbcUrl(), s.properties(true))) {
            // A stalled stream blocks in read(): closing the connection at the deadline ends it.
            watchdog.schedule(() -> closeQuietly(c), timeout.toMillis(), TimeUnit.MILLISECONDS);
            boolean streams = c.getMetaData().getDatabaseMajorVersion() >= 14;
            var builder = c.unwrap(PGConnection.class)
                    .getReplicationAPI()
                    .replicationStream()
                    .logical()
                    .withSlotName(s.slotName())
                    .withSlotOption("proto_version", streams ? "2" : "1")
                    .withSlotOption("publication_names", s.publicationName())
                    .withSlotOption("messages", "true")
                    .withStatusInterval(1, TimeUnit.SECONDS);
            if (streams) {
                builder = builder.withSlotOption("streaming", "on");
            }
            PGReplicationStream stream = builder.start();
            // Counted locally and published every few thousand changes: the counter's clock read and
            // atomic add would otherwise be a measurable share of the per-frame cost.
            long target = backlog.changes();
            long seen = 0;
            long published = 0;
            try {
                while (seen < target) {
                    ByteBuffer buf = stream.read();
                    byte kind = buf.get(buf.position());
                    if (kind == 'I' || kind == 'U' || kind == 'D') {
                        seen++;
                        if (seen == 1 || (seen & 4095) == 0 || seen == target) {
                            counter.add(seen - published);
                            published = seen;
                        }
                    }
                }
            } catch (SQLException e) {
                if (seen >= target || !c.isClosed()) {
                    throw e;
                }
                // the watchdog closed the connection: report what arrived
                counter.add(seen - published);
            }
        } finally {
            watchdog.shutdownNow();
        }
        return counter.result(DrainSystem.RAW);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // the drain reports the shortfall
        }
    }
}
