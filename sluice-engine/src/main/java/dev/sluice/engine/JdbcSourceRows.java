package dev.sluice.engine;

import dev.sluice.core.TableSchema;
import dev.sluice.engine.queue.SourceRows;
import dev.sluice.postgres.capture.CurrentRows;
import dev.sluice.postgres.replication.SourceSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A database's rows as its sinks read them for {@code reselect_unchanged_toast}: one connection of the source, opened
 * on first use, shared by the sinks one query at a time, opened again after a failure, closed with the pipeline.
 */
final class JdbcSourceRows implements SourceRows, AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final SourceSettings settings;
    private @Nullable Connection connection;
    private boolean closed;

    JdbcSourceRows(SourceSettings settings) {
        this.settings = settings;
    }

    @Override
    public synchronized List<@Nullable String[]> current(TableSchema table, int[] columns, List<String[]> keys)
            throws SQLException {
        if (closed) {
            throw new SQLException("the pipeline of " + settings.describe() + " is closed");
        }
        Connection c = connection;
        if (c == null) {
            c = DriverManager.getConnection(settings.jdbcUrl(), settings.properties(false));
            // A source that stopped answering must not hold a sink's delivery thread for long.
            c.setNetworkTimeout(Runnable::run, (int) TIMEOUT.toMillis());
            connection = c;
        }
        try {
            return CurrentRows.read(c, table, columns, keys);
        } catch (SQLException | RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        closeQuietly();
    }

    private void closeQuietly() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // Opened again on the next read.
            }
        }
    }
}
