package dev.sluice.server.jobs;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Connections of a job kept for reuse, per side and database: a job that runs hundreds of short queries (verify's
 * chunks) would otherwise spend more time connecting than querying. Thread-safe; {@link #close} closes them all.
 */
final class Sessions implements AutoCloseable {
    private final Map<String, Queue<Connection>> idle = new ConcurrentHashMap<>();
    private final Queue<Connection> all = new ConcurrentLinkedQueue<>();
    private final String setup;

    /** {@code setup}: statements each new connection runs first (session settings). */
    Sessions(String setup) {
        this.setup = setup;
    }

    /** A connection to {@code db} of {@code side}; give it back with {@link #release}. */
    Connection take(Endpoint side, String db) throws SQLException {
        Connection c = idle.computeIfAbsent(side.role() + "/" + db, k -> new ConcurrentLinkedQueue<>())
                .poll();
        if (c != null) {
            return c;
        }
        c = side.connect(db);
        try (java.sql.Statement s = c.createStatement()) {
            s.execute(setup);
        } catch (SQLException e) {
            quietly(c);
            throw e;
        }
        all.add(c);
        return c;
    }

    /** Gives a connection back for the next query; one that failed is not reused. */
    void release(Endpoint side, String db, Connection c, boolean healthy) {
        if (healthy) {
            idle.get(side.role() + "/" + db).add(c);
        } else {
            all.remove(c);
            quietly(c);
        }
    }

    @Override
    public void close() {
        all.forEach(Sessions::quietly);
        all.clear();
        idle.clear();
    }

    private static void quietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // closing: nothing left to do with it
        }
    }
}
