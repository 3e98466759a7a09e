package dev.sluice.server.jobs;

import java.sql.SQLException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for a job's parallel work: what a task threw comes out as itself, not wrapped. */
final class Futures {
    private Futures() {}

    static <T> T get(Future<T> f) throws SQLException, InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SQLException s) {
                throw s;
            }
            if (e.getCause() instanceof InterruptedException i) {
                throw i;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Waits for {@code f} to end, whatever its outcome (a sibling task failed and it is to be discarded). */
    static void await(Future<?> f) throws InterruptedException {
        try {
            f.get();
        } catch (ExecutionException | java.util.concurrent.CancellationException ignored) {
            // only its end matters
        }
    }
}
