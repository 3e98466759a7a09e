package dev.sluice.engine;

import dev.sluice.core.Ticker;
import dev.sluice.postgres.replication.SourceSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Emits a non-transactional logical message every interval while the reader streams, so that the slot has
 * something of its own database to move past even when only other databases write WAL.
 *
 * <p>It writes on an ordinary connection, to the primary when the source is a replica (a standby cannot
 * write WAL), opened on first use and reopened after a failure. A failure is logged once per streak and never
 * touches replication. One platform thread per pipeline; {@link #close()} stops it and drops its connection.
 */
final class Heartbeat implements AutoCloseable {
    static final String PREFIX = "sluice:heartbeat";
    private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);
    private static final String EMIT = "SELECT pg_logical_emit_message(false, ?, ?::text)";
    // An emit is one tiny WAL record: a longer wait means the path or the server is in trouble.
    private static final int SOCKET_TIMEOUT_SECONDS = 10;

    private final String pipeline;
    private final SourceSettings target;
    private final Duration interval;
    private final BooleanSupplier streaming;
    private final Ticker ticker;
    private final Object lock = new Object();

    private volatile boolean running;
    private @Nullable Thread thread;
    // Guarded by lock: close() drops it from another thread to cut a hung emit short.
    private @Nullable Connection connection;
    private boolean failing;

    Heartbeat(String pipeline, SourceSettings source, Duration interval, BooleanSupplier streaming, Ticker ticker) {
        this.ticker = ticker;
        this.pipeline = pipeline;
        this.target = source.primary() != null ? source.primary() : source;
        this.interval = interval;
        this.streaming = streaming;
    }

    void start() {
        running = true;
        thread = Thread.ofPlatform().daemon().name("heartbeat-" + pipeline).start(this::run);
    }

    private void run() {
        while (running) {
            try {
                Sleeper.sleep(ticker, interval);
            } catch (InterruptedException e) {
                break;
            }
            if (running && streaming.getAsBoolean()) {
                emit();
            }
        }
        dropConnection(false);
    }

    private void emit() {
        try {
            Connection c = connection();
            try (PreparedStatement ps = c.prepareStatement(EMIT)) {
                ps.setString(1, PREFIX);
                ps.setString(2, content(pipeline, ticker.now()));
                ps.execute();
            }
            if (failing) {
                failing = false;
                log.info("database {}: heartbeats work again ({})", pipeline, target.describe());
            }
        } catch (SQLException | RuntimeException e) {
            dropConnection(false);
            if (!running) {
                return;
            }
            if (!failing) {
                failing = true;
                log.warn(
                        "database {}: cannot emit a heartbeat on {}: {}; replication goes on, but the slot may not"
                                + " advance while the database has no writes of its own (logged once until it"
                                + " works again)",
                        pipeline,
                        target.describe(),
                        e.getMessage());
            } else {
                log.debug("database {}: heartbeat failed again: {}", pipeline, e.toString());
            }
        }
    }

    private Connection connection() throws SQLException {
        synchronized (lock) {
            if (!running) {
                throw new SQLException("heartbeat stopped");
            }
            Connection c = connection;
            if (c == null) {
                var props = target.properties(false);
                PGProperty.SOCKET_TIMEOUT.set(props, SOCKET_TIMEOUT_SECONDS);
                PGProperty.APPLICATION_NAME.set(props, "sluice-heartbeat");
                c = DriverManager.getConnection(target.jdbcUrl(), props);
                c.setAutoCommit(true);
                connection = c;
            }
            return c;
        }
    }

    /** @param abort close the socket at once, even under a statement that another thread is running */
    private void dropConnection(boolean abort) {
        Connection c;
        synchronized (lock) {
            c = connection;
            connection = null;
        }
        if (c != null) {
            try {
                if (abort) {
                    c.abort(Runnable::run);
                } else {
                    c.close();
                }
            } catch (SQLException e) {
                // going away anyway
            }
        }
    }

    /** The message body: small JSON naming the pipeline and when it was emitted. */
    static String content(String pipeline, Instant emittedAt) {
        return "{\"pipeline\":\"" + jsonEscape(pipeline) + "\",\"emitted_at\":\"" + emittedAt + "\"}";
    }

    private static String jsonEscape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.toString();
    }

    @Override
    public void close() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
        // Cuts an emit in progress short (a connection blocked on a dead path).
        dropConnection(true);
        if (t != null) {
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The warning of {@link DatabasePipeline.Status#heartbeatWarning}, for a streaming reader: heartbeats are on and
     * none has come back for 3 intervals (counted from the start of streaming if none has come back since).
     */
    static @Nullable String warning(
            Duration interval, @Nullable Instant streamingSince, @Nullable Instant lastHeartbeatAt, Instant now) {
        if (interval.isZero() || streamingSince == null) {
            return null;
        }
        Instant since =
                lastHeartbeatAt == null || lastHeartbeatAt.isBefore(streamingSince) ? streamingSince : lastHeartbeatAt;
        Duration quiet = Duration.between(since, now);
        if (quiet.compareTo(interval.multipliedBy(3)) <= 0) {
            return null;
        }
        return "no heartbeat has come back through the slot for " + quiet.toSeconds() + " s (one is emitted every "
                + interval.toMillis() + " ms): the slot may not be advancing; check the log for"
                + " heartbeat errors (the role must be able to run pg_logical_emit_message"
                + " on the primary)";
    }
}
