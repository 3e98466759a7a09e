package dev.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A primary and a streaming hot standby, both embedded, for tests of reading changes from a replica. The embedded
 * binaries have no {@code pg_basebackup}, so the standby starts from a cold copy of the stopped primary's data
 * directory, which is a valid base backup.
 *
 * <p>Logical decoding on a standby needs Postgres 16 or later; on older servers the standby still runs, and the
 * tests check the error Sluice gives.
 */
public final class TestStandby implements AutoCloseable {
    private final TestPostgres primary;
    private final TestPostgres standby;

    private TestStandby(TestPostgres primary, TestPostgres standby) {
        this.primary = primary;
        this.standby = standby;
    }

    /** Starts both servers under {@code dir} (two data directories); close stops both. */
    public static TestStandby start(Path dir) {
        Path primaryData = dir.resolve("primary");
        Path standbyData = dir.resolve("standby");
        int primaryPort = FreePort.find();
        TestPostgres.startPrivate(Map.of(), primaryPort, primaryData).close();
        copy(primaryData, standbyData);
        try {
            Files.writeString(standbyData.resolve("standby.signal"), "");
            // In the file rather than on the command line, where the embedded launcher would split the value.
            Files.writeString(
                    standbyData.resolve("postgresql.auto.conf"),
                    "primary_conninfo = 'host=localhost port=" + primaryPort
                            + " user=postgres application_name=sluice_test_standby'\n"
                            + "hot_standby = on\nhot_standby_feedback = on\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TestPostgres primary = TestPostgres.startPrivate(Map.of(), primaryPort, primaryData);
        TestPostgres standby;
        try {
            standby = TestPostgres.startPrivate(Map.of(), FreePort.find(), standbyData);
        } catch (RuntimeException e) {
            primary.close();
            throw e;
        }
        TestStandby pair = new TestStandby(primary, standby);
        pair.awaitStreaming();
        return pair;
    }

    public TestPostgres primary() {
        return primary;
    }

    public TestPostgres standby() {
        return standby;
    }

    /** Creates a database on the primary and waits until the standby has replayed it. */
    public String createDatabase(String prefix) {
        String name = primary.createDatabase(prefix);
        awaitReplay();
        return name;
    }

    /** Waits until the standby has replayed everything the primary has written so far. */
    public void awaitReplay() {
        String target = single(primary, "SELECT pg_current_wal_lsn()::text");
        Awaitility.await("the standby replays up to " + target)
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(() ->
                        "t".equals(single(standby, "SELECT pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn")));
    }

    private void awaitStreaming() {
        try {
            Awaitility.await("the standby streams from the primary")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> "t".equals(single(standby, "SELECT pg_is_in_recovery()"))
                            && "t".equals(single(primary, "SELECT count(*) > 0 FROM pg_stat_replication")));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static String single(TestPostgres pg, String sql) {
        try (Connection c = pg.connect("postgres");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return String.valueOf(rs.getString(1));
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " failed: " + e.getMessage(), e);
        }
    }

    // A cold copy, without the files that belong to the running primary only.
    private static void copy(Path from, Path to) {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path rel = from.relativize(p);
                String first = rel.getNameCount() == 0 ? "" : rel.getName(0).toString();
                if (first.equals("postmaster.pid") || first.equals("postmaster.opts") || first.equals("epg-lock")) {
                    continue;
                }
                Path target = to.resolve(rel.toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
            // Postgres refuses a data directory that others may read.
            Files.setPosixFilePermissions(to, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the primary's data directory", e);
        }
    }

    @Override
    public void close() {
        standby.close();
        primary.close();
    }
}
