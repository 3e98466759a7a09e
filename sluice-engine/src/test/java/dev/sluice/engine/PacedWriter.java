package dev.sluice.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * A writer on its own thread and connection that stays at most {@code ahead} statements beyond the pipeline: each
 * statement returns a mark (a row's ordinal, a WAL position), and before the next one the writer waits until the
 * pipeline's progress (rows delivered, a WAL position delivered or acknowledged) has reached the mark of the statement
 * {@code ahead} back. So the pipeline never falls further behind than that, on a fast machine or a loaded one, and
 * the test's writes keep interleaving with what the pipeline does instead of piling up in the slot.
 */
final class PacedWriter {
    /** One statement; returns its mark, comparable (unsigned) with the progress. */
    interface Step {
        long run(Statement st, Random random) throws SQLException;
    }

    /** Its marks, in the order written. */
    final List<Long> marks = new CopyOnWriteArrayList<>();

    private final Thread thread;
    private volatile boolean go = true;
    private volatile @Nullable Exception failure;

    /**
     * @param limit statements to write at most
     * @param progress the pipeline's progress, in the marks' terms
     */
    PacedWriter(TestPostgres pg, String db, long seed, int ahead, long limit, LongSupplier progress, Step step) {
        thread = Thread.ofPlatform().name("writer-" + db).start(() -> {
            Random random = new Random(seed);
            long[] window = new long[ahead];
            try (Connection c = pg.connect(db);
                    Statement st = c.createStatement()) {
                c.setAutoCommit(true);
                for (long n = 0; n < limit && go; n++) {
                    long due = window[(int) (n % ahead)];
                    if (n >= ahead && Long.compareUnsigned(progress.getAsLong(), due) < 0) {
                        PipelineTestSupport.await("the pipeline to reach the write " + ahead + " back")
                                .pollInSameThread()
                                .pollInterval(Duration.ofMillis(2))
                                .until(() -> !go || Long.compareUnsigned(progress.getAsLong(), due) >= 0);
                    }
                    if (!go) {
                        break;
                    }
                    long mark = step.run(st, random);
                    window[(int) (n % ahead)] = mark;
                    marks.add(mark);
                }
            } catch (Exception e) {
                failure = e;
            }
        });
    }

    /**
     * A writer that commits one row of {@code events} per transaction; its marks are the rows' ids, which count from
     * 1 (a serial, one writer, no rollbacks), so that the progress is the count of rows delivered.
     */
    static PacedWriter events(TestPostgres pg, String db, int ahead, long limit, LongSupplier rowsDelivered) {
        return new PacedWriter(pg, db, 0, ahead, limit, rowsDelivered, (st, random) -> {
            try (var rs = st.executeQuery("INSERT INTO events (note) VALUES ('x') RETURNING id")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** Statements written so far. */
    int written() {
        return marks.size();
    }

    /** The ids written so far, as ints. */
    List<Integer> ids() {
        return marks.stream().map(Long::intValue).toList();
    }

    /** Waits for the writer to finish its {@code limit}; fails on its error. */
    List<Integer> await() throws InterruptedException {
        assertThat(thread.join(PipelineTestSupport.WAIT)).as("writer done").isTrue();
        assertThat(failure).as("writer error").isNull();
        return ids();
    }

    /** Stops after the statement in progress, for a test's teardown: a failure was reported by the test. */
    void close() throws InterruptedException {
        go = false;
        thread.join(Duration.ofSeconds(10));
    }

    /** Stops after the statement in progress; fails on the writer's error. */
    List<Integer> stop() throws InterruptedException {
        go = false;
        assertThat(thread.join(Duration.ofSeconds(10))).as("writer stopped").isTrue();
        assertThat(failure).as("writer error").isNull();
        return ids();
    }
}
