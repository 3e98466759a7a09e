package dev.sluice.server.runtime;

import static dev.sluice.server.fixture.ServerFixture.PG;
import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Runs {@code UPDATE events SET seq = seq + 1} on random rows of an existing {@code events (id, seq)}
 * table (with a payload: {@code events (id, seq, payload text)}, each update a new one of that size), 1 to 5 rows per transaction, paced to a steady rate of changes per second, on its own thread
 * until closed. After {@link #close()}, {@link #committed()} holds for each row the seq values its
 * committed updates produced, in commit order.
 */
final class UpdateWriter implements AutoCloseable {
    private final String database;
    private final int rows;
    private final int changesPerSecond;
    private final Random random;
    private final int payloadBytes;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    // Written by the writer thread only; read after close() (Thread.join orders the two).
    private final Map<Integer, List<Integer>> committed = new HashMap<>();
    final AtomicLong changes = new AtomicLong();
    final AtomicLong transactions = new AtomicLong();
    private volatile @Nullable Throwable failure;
    private volatile long startedNanos;
    private volatile long stoppedNanos;

    UpdateWriter(String database, int rows, int changesPerSecond, long seed) {
        this(database, rows, changesPerSecond, seed, 0);
    }

    UpdateWriter(String database, int rows, int changesPerSecond, long seed, int payloadBytes) {
        this.payloadBytes = payloadBytes;
        this.database = database;
        this.rows = rows;
        this.changesPerSecond = changesPerSecond;
        this.random = new Random(seed);
        this.thread = Thread.ofPlatform().name("update-writer").start(this::run);
    }

    private void run() {
        long nanosPerChange = TimeUnit.SECONDS.toNanos(1) / changesPerSecond;
        try (Connection c = PG.connect(database);
                PreparedStatement ps = c.prepareStatement("UPDATE events SET seq = seq + 1"
                        + (payloadBytes > 0 ? ", payload = rpad(md5(random()::text), " + payloadBytes + ", 'x')" : "")
                        + " WHERE id = ? RETURNING seq")) {
            c.setAutoCommit(false);
            startedNanos = System.nanoTime();
            long due = startedNanos;
            while (running.get()) {
                int n = 1 + random.nextInt(5);
                List<int[]> txn = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    int id = random.nextInt(rows);
                    ps.setInt(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            throw new IllegalStateException("row " + id + " is missing");
                        }
                        txn.add(new int[] {id, rs.getInt(1)});
                    }
                }
                c.commit();
                for (int[] change : txn) {
                    committed.computeIfAbsent(change[0], k -> new ArrayList<>()).add(change[1]);
                }
                changes.addAndGet(n);
                transactions.incrementAndGet();
                // Steady pacing; after a stall, catch up at most 100 ms worth instead of bursting.
                due = Math.max(due + n * nanosPerChange, System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(100));
                long sleep = due - System.nanoTime();
                if (sleep > 0) {
                    TimeUnit.NANOSECONDS.sleep(sleep);
                }
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            stoppedNanos = System.nanoTime();
        }
    }

    /** Changes per second over the writer's whole run (valid after close). */
    double rate() {
        return changes.get() * 1e9 / Math.max(1, stoppedNanos - startedNanos);
    }

    /** Row id to the seq values committed for it, in commit order; only after {@link #close()}. */
    Map<Integer, List<Integer>> committed() {
        if (thread.isAlive()) {
            throw new IllegalStateException("close the writer first");
        }
        return committed;
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join();
        assertThat(failure).as("update writer failed").isNull();
    }
}
