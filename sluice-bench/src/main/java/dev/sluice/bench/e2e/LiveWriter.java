package dev.sluice.bench.e2e;

import dev.sluice.testkit.TestPostgres;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes row changes to the benchmark table at a steady rate: transactions of {@value #TX_CHANGES} changes
 * (one multi-row INSERT and, once rows exist, one UPDATE of 4 earlier rows), each started at its slot on
 * a fixed schedule so the rate stays exact even when one transaction runs late. Above 2,000 changes/s the
 * schedule is shared by two connections, interleaved, so one slow round trip does not hold up the next.
 */
final class LiveWriter implements AutoCloseable {
    static final int TX_CHANGES = 10;
    private static final int UPDATES_PER_TX = 4;

    private final List<Share> shares = new ArrayList<>();

    private LiveWriter() {}

    static LiveWriter open(TestPostgres pg, String db, int rate) throws SQLException {
        LiveWriter w = new LiveWriter();
        int connections = rate > 2_000 ? 2 : 1;
        try {
            for (int i = 0; i < connections; i++) {
                Connection c = pg.connect(db);
                try (var st = c.createStatement()) {
                    // Postgres's default. The test servers turn it off, which leaves commits in the WAL buffer
                    // until the WAL writer's next round (wal_writer_delay, 200 ms), and walsenders only send
                    // flushed WAL: latency would measure that timer. With fsync off the flush costs nothing.
                    st.execute("SET synchronous_commit = on");
                }
                c.setAutoCommit(false);
                w.shares.add(new Share(c, i));
            }
        } catch (SQLException e) {
            w.close();
            throw e;
        }
        return w;
    }

    /** What one {@link #write} did. */
    record Written(long changes, long nanos) {}

    /** Writes {@code rate × seconds} changes at {@code rate} per second; returns once all are committed. */
    Written write(int rate, double seconds) throws SQLException, InterruptedException {
        long total = Math.round(rate * seconds);
        long transactions = (total + TX_CHANGES - 1) / TX_CHANGES;
        double nanosPerTx = TX_CHANGES * 1e9 / rate;
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (Share s : shares) {
            s.failure = null;
            s.written = 0;
            threads.add(Thread.ofPlatform()
                    .name("live-writer-" + s.index)
                    .start(() -> s.run(start, nanosPerTx, transactions, total, shares.size())));
        }
        for (Thread t : threads) {
            t.join();
        }
        long nanos = System.nanoTime() - start;
        long written = 0;
        for (Share s : shares) {
            if (s.failure != null) {
                throw new SQLException("live writer " + s.index + " failed: " + s.failure, s.failure);
            }
            written += s.written;
        }
        if (written != total) {
            throw new IllegalStateException("wrote " + written + " changes, meant " + total);
        }
        return new Written(written, nanos);
    }

    @Override
    public void close() {
        for (Share s : shares) {
            try {
                s.connection.close();
            } catch (SQLException e) {
                // closing anyway
            }
        }
    }

    /** One connection's part of the schedule: transactions {@code index}, {@code index + n}, ... */
    private static final class Share {
        final Connection connection;
        final int index;
        final Map<Integer, PreparedStatement> inserts = new HashMap<>();
        final Map<Integer, PreparedStatement> updates = new HashMap<>();
        final SplittableRandom random;
        int[] ids = new int[1024];
        int idCount;
        long written;
        volatile Throwable failure;

        Share(Connection connection, int index) {
            this.connection = connection;
            this.index = index;
            this.random = new SplittableRandom(42 + index);
        }

        void run(long start, double nanosPerTx, long transactions, long total, int stride) {
            try {
                for (long tx = index; tx < transactions; tx += stride) {
                    long due = start + (long) ((tx + 1) * nanosPerTx);
                    for (long left = due - System.nanoTime(); left > 0; left = due - System.nanoTime()) {
                        LockSupport.parkNanos(left);
                    }
                    int n = (int) Math.min(TX_CHANGES, total - tx * TX_CHANGES);
                    transaction(n, tx);
                    written += n;
                }
            } catch (Throwable t) {
                failure = t;
            }
        }

        private void transaction(int n, long tx) throws SQLException {
            int updates = idCount >= UPDATES_PER_TX && n > UPDATES_PER_TX ? UPDATES_PER_TX : 0;
            int inserts = n - updates;
            PreparedStatement ins = inserts(inserts);
            int p = 1;
            for (int i = 0; i < inserts; i++) {
                ins.setString(p++, "live-" + tx + "-" + i);
                ins.setBigDecimal(p++, BigDecimal.valueOf(random.nextLong(1_000_000_000L), 2));
                ins.setString(p++, "{\"tx\": " + tx + ", \"i\": " + i + ", \"tags\": [\"a\", \"b\"]}");
            }
            try (ResultSet rs = ins.executeQuery()) {
                while (rs.next()) {
                    addId(rs.getInt(1));
                }
            }
            if (updates > 0) {
                PreparedStatement upd = updates(updates);
                upd.setString(1, "updated-" + tx);
                upd.setString(2, "{\"tx\": " + tx + ", \"updated\": true}");
                int[] chosen = distinctIds(updates);
                for (int i = 0; i < updates; i++) {
                    upd.setInt(3 + i, chosen[i]);
                }
                int count = upd.executeUpdate();
                if (count != updates) {
                    throw new SQLException("update touched " + count + " rows, meant " + updates);
                }
            }
            connection.commit();
        }

        private int[] distinctIds(int k) {
            int[] out = new int[k];
            int n = 0;
            while (n < k) {
                int id = ids[random.nextInt(idCount)];
                boolean seen = false;
                for (int i = 0; i < n; i++) {
                    seen |= out[i] == id;
                }
                if (!seen) {
                    out[n++] = id;
                }
            }
            return out;
        }

        private void addId(int id) {
            if (idCount == ids.length) {
                ids = Arrays.copyOf(ids, idCount * 2);
            }
            ids[idCount++] = id;
        }

        private PreparedStatement inserts(int rows) throws SQLException {
            PreparedStatement ps = inserts.get(rows);
            if (ps == null) {
                StringBuilder sql = new StringBuilder(
                        "INSERT INTO bench (string_field, numeric_field, timestamp_field, json_field) VALUES ");
                for (int i = 0; i < rows; i++) {
                    sql.append(i == 0 ? "" : ", ").append("(?, ?, now(), ?::jsonb)");
                }
                ps = connection.prepareStatement(sql.append(" RETURNING id").toString());
                inserts.put(rows, ps);
            }
            return ps;
        }

        private PreparedStatement updates(int rows) throws SQLException {
            PreparedStatement ps = updates.get(rows);
            if (ps == null) {
                String in = String.join(", ", java.util.Collections.nCopies(rows, "?"));
                ps = connection.prepareStatement("UPDATE bench SET string_field = ?, numeric_field = numeric_field + 1,"
                        + " json_field = ?::jsonb, updated_at = now() WHERE id IN (" + in + ")");
                updates.put(rows, ps);
            }
            return ps;
        }
    }
}
