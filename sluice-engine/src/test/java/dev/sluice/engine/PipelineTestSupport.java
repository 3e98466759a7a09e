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
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/** Helpers shared by the pipeline ITs: sink specs, delivered ids, slot positions, waiting for events. */
final class PipelineTestSupport {
    /** The longest any single event of these tests may take, on a loaded machine too. */
    static final Duration WAIT = Duration.ofSeconds(60);

    private PipelineTestSupport() {}

    /** Waits (at most {@link #WAIT}) for {@code what}, looking every 10 ms from the start. */
    static ConditionFactory await(String what) {
        return await(what, WAIT);
    }

    /** Waits at most {@code limit} for {@code what}, looking every 10 ms from the start. */
    static ConditionFactory await(String what, Duration limit) {
        return Awaitility.await(what).atMost(limit).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10));
    }

    /** Waits until the pipeline streams. */
    static void awaitStreaming(DatabasePipeline p) {
        await("streaming").until(() -> p.status().state() == DatabasePipeline.State.STREAMING);
    }

    /** Waits for a session that started streaming after {@code fault}; returns how long after the fault. */
    static Duration awaitStreamingAfter(DatabasePipeline p, Instant fault) {
        await("streaming again after " + fault).until(() -> {
            DatabasePipeline.Status s = p.status();
            return s.state() == DatabasePipeline.State.STREAMING
                    && s.streamingSince() != null
                    && s.streamingSince().isAfter(fault);
        });
        return Duration.between(fault, p.status().streamingSince());
    }

    /**
     * Waits until the pipeline has sent Postgres a flush position at or past {@code lsn}: every sink has then resolved
     * everything before it.
     */
    static void awaitAcknowledged(DatabasePipeline p, long lsn) {
        await("the pipeline to acknowledge " + lsn)
                .until(() -> Long.compareUnsigned(p.status().acknowledgedLsn(), lsn) >= 0);
    }

    /**
     * Waits until the slot's walsender has received a status update sent after this call: whatever the pipeline
     * acknowledges from now on has then been looked at (the driver sends one every second).
     */
    static void awaitStatusUpdate(TestPostgres pg, String db, String slot) throws SQLException {
        long asked = queryLong(pg, db, "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint");
        await("a status update from the pipeline", WAIT)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> queryLong(
                                pg,
                                db,
                                "SELECT (extract(epoch FROM r.reply_time) * 1000000)::bigint FROM pg_stat_replication r"
                                        + " JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = '"
                                        + slot + "'")
                        > asked);
    }

    static SinkSpec spec(String id, String name, int batchSize) {
        return spec(id, name, SinkState.ACTIVE, batchSize, EnumSet.allOf(Action.class));
    }

    static SinkSpec spec(String id, String name, SinkState state, int batchSize) {
        return spec(id, name, state, batchSize, EnumSet.allOf(Action.class));
    }

    /** A sink of every table taking {@code actions}, with a 20 ms batch timeout and a 1 MiB queue. */
    static SinkSpec spec(String id, String name, SinkState state, int batchSize, Set<Action> actions) {
        MessageContext ctx =
                new MessageContext(id, name, "{}", "d1", "shop", "{}", "shop", "localhost", TimestampFormat.ISO8601);
        return new SinkSpec(
                id,
                name,
                t -> true,
                EnumSet.copyOf(actions),
                Map.of(),
                true,
                batchSize,
                Duration.ofMillis(20),
                null,
                state,
                ctx,
                1 << 20);
    }

    /** The first column of every delivered change, in delivery order. */
    static List<Integer> ids(FakeSink sink) {
        List<Integer> out = new ArrayList<>();
        for (Batch b : sink.delivered) {
            out.addAll(idsOf(b));
        }
        return out;
    }

    static List<Integer> idsOf(Batch b) {
        List<Integer> out = new ArrayList<>();
        for (SinkMessage m : b.messages()) {
            out.add(Integer.parseInt(FakeSink.column(m, "id")));
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

    /**
     * Where the next WAL record goes: past every transaction committed so far. (The write position is not: the test
     * server commits asynchronously, so a commit may still sit in the WAL buffers.)
     */
    static long currentWal(TestPostgres pg, String db) throws SQLException {
        return queryLong(pg, db, "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint");
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
}
