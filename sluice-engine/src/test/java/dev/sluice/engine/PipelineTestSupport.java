package dev.sluice.engine;

import dev.sluice.core.Action;
import dev.sluice.core.MessageContext;
import dev.sluice.core.TimestampFormat;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Helpers shared by the pipeline ITs: a sink spec, delivered ids, slot positions, waiting. */
final class PipelineTestSupport {
    private PipelineTestSupport() {}

    interface Check {
        boolean holds() throws Exception;
    }

    static SinkSpec spec(String id, String name, int batchSize) {
        MessageContext ctx =
                new MessageContext(id, name, "{}", "d1", "shop", "{}", "shop", "localhost", TimestampFormat.ISO8601);
        return new SinkSpec(
                id,
                name,
                t -> true,
                EnumSet.allOf(Action.class),
                Map.of(),
                true,
                batchSize,
                Duration.ofMillis(20),
                null,
                SinkState.ACTIVE,
                ctx,
                1 << 20);
    }

    /** The first column of every delivered change, in delivery order. */
    static List<Integer> ids(FakeSink sink) {
        List<Integer> out = new ArrayList<>();
        for (Batch b : sink.delivered) {
            for (SinkMessage m : b.messages()) {
                out.add(Integer.parseInt(FakeSink.column(m, "id")));
            }
        }
        return out;
    }

    static long confirmedFlush(TestPostgres pg, String db, String slot) throws SQLException {
        return queryLong(
                pg,
                db,
                "SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::bigint FROM pg_replication_slots WHERE slot_name = '"
                        + slot + "'");
    }

    static long currentWal(TestPostgres pg, String db) throws SQLException {
        return queryLong(pg, db, "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint");
    }

    static long queryLong(TestPostgres pg, String db, String sql) throws SQLException {
        try (Connection c = pg.connect(db);
                var st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    static void dropSlot(TestPostgres pg, String db, String slot) {
        try (Connection c = pg.connect(db);
                var ps = c.prepareStatement("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                        + " WHERE slot_name = ? AND NOT active")) {
            ps.setString(1, slot);
            ps.execute();
        } catch (SQLException e) {
            // best effort: the database is unique to the test anyway
        }
    }

    static void awaitTrue(Duration limit, Check condition, Supplier<String> what) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + limit + " waiting for " + what.get());
            }
            Thread.sleep(5);
        }
    }
}
