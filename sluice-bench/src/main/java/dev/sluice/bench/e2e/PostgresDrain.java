package dev.sluice.bench.e2e;

import dev.sluice.core.Ticker;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.sink.postgres.PostgresSinkConfig;
import dev.sluice.sink.postgres.PostgresSinkProvider;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * System (h): Sluice's real pipeline (as {@link SluiceDrain}) with the real postgres sink applying every change to
 * {@code bench} in a fresh database on the same server (the apply rate of a replication job's {@code sync}). After
 * the drain, the target must hold exactly the source's rows, or the run fails.
 */
final class PostgresDrain implements Drainer {
    private static final AtomicInteger TARGETS = new AtomicInteger();

    @Override
    public DrainRun drain(Backlog backlog, Duration timeout) throws Exception {
        String target = "bench_target_" + TARGETS.incrementAndGet() + "_"
                + ProcessHandle.current().pid();
        execute(backlog, "postgres", "CREATE DATABASE " + target);
        execute(backlog, target, BacklogWorkload.TABLE_DDL);
        PostgresSinkProvider provider = new PostgresSinkProvider();
        PostgresSinkConfig config = provider.configure(ConfigValues.of(
                        provider.schema(),
                        Map.of(
                                "host",
                                backlog.host(),
                                "port",
                                (long) backlog.port(),
                                "database_name",
                                target,
                                "username",
                                "postgres")))
                .orThrow();
        ChangeCounter counter = new ChangeCounter(backlog.changes());
        Sink postgres = provider.create(
                config, new SinkContext("bench-pg", "sluice-postgres", SluiceDrain.BATCH_SIZE, Ticker.SYSTEM));
        Sink sink = new Sink() {
            @Override
            public CompletionStage<Void> deliver(Batch batch) {
                return postgres.deliver(batch).thenRun(() -> counter.add(batch.size()));
            }

            @Override
            public void close() {
                postgres.close();
            }
        };
        try {
            SluiceDrain.run(
                    backlog,
                    DrainSystem.SLUICE_POSTGRES,
                    SluiceDrain.spec(DrainSystem.SLUICE_POSTGRES, backlog),
                    sink,
                    counter,
                    timeout);
        } finally {
            sink.close();
        }
        String source = digest(backlog, backlog.database());
        String replica = digest(backlog, target);
        if (!source.equals(replica)) {
            throw new IllegalStateException("the target does not match the source: " + replica + " vs " + source);
        }
        return counter.result(DrainSystem.SLUICE_POSTGRES);
    }

    /** Row count and a hash of every row, in key order. */
    private static String digest(Backlog b, String db) throws SQLException {
        try (Connection c = connect(b, db);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY id), ''))" + " FROM bench t")) {
            rs.next();
            return rs.getLong(1) + " rows, md5 " + rs.getString(2);
        }
    }

    private static void execute(Backlog b, String db, String sql) throws SQLException {
        try (Connection c = connect(b, db);
                Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static Connection connect(Backlog b, String db) throws SQLException {
        return DriverManager.getConnection(
                "jdbc:postgresql://" + b.host() + ":" + b.port() + "/" + db + "?user=postgres");
    }
}
