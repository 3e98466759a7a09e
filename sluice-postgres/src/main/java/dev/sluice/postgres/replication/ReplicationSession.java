package dev.sluice.postgres.replication;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * One open pgoutput stream on a slot. On Postgres 14+: protocol version 2 with {@code streaming on}
 * (a transaction that outgrows {@code logical_decoding_work_mem} on the server arrives in blocks while
 * it runs, then a Stream Commit or Abort, instead of being spilled in the server's data directory and
 * sent whole at commit), and logical messages. Older servers: protocol version 1.
 * Postgres resumes from the slot's confirmed flush position, so a new session after a crash replays
 * every transaction that was not acknowledged (a streamed one from its first block).
 *
 * <p>Concurrency: used by one thread (the database's reader).
 *
 * <p>Failure: every method throws {@link SourceException}; the session is then unusable and the
 * caller opens a new one.
 */
public final class ReplicationSession implements AutoCloseable {
    private final SourceSettings settings;
    private final Connection connection;
    private final PGReplicationStream stream;
    private final boolean streaming;
    private long acknowledged;
    private boolean abandoned;

    private ReplicationSession(
            SourceSettings settings, Connection connection, PGReplicationStream stream, boolean streaming) {
        this.settings = settings;
        this.connection = connection;
        this.stream = stream;
        this.streaming = streaming;
    }

    /** Whether large in-progress transactions may arrive in blocks (protocol version 2, Postgres 14+). */
    public boolean streaming() {
        return streaming;
    }

    /** Opens a replication connection and starts streaming from the slot. */
    public static ReplicationSession open(SourceSettings s, int serverMajor) {
        Connection c;
        try {
            c = DriverManager.getConnection(s.jdbcUrl(), s.properties(true));
        } catch (SQLException e) {
            throw SourceException.classify(e, s, "opening the replication connection");
        }
        try {
            // pgjdbc sends the JVM's default zone as TimeZone, which wins over the "options" startup
            // parameter; text forms that keep an offset (tstzrange, composites) must not depend on it.
            try (Statement st = c.createStatement()) {
                st.execute("SET TimeZone = 'UTC'");
            }
            var builder = c.unwrap(PGConnection.class)
                    .getReplicationAPI()
                    .replicationStream()
                    .logical()
                    .withSlotName(s.slotName())
                    .withSlotOption("proto_version", streams(serverMajor) ? "2" : "1")
                    .withSlotOption("publication_names", quotePublication(s.publicationName()))
                    // pgjdbc's non-blocking read takes a closed socket for "no data yet": only a write
                    // notices that Postgres went away (restart, failover). A status update every second
                    // is that write, so a dead session is replaced within seconds, not minutes.
                    .withStatusInterval(1, TimeUnit.SECONDS);
            if (serverMajor >= 14) {
                builder = builder.withSlotOption("messages", "true");
            }
            if (streams(serverMajor)) {
                builder = builder.withSlotOption("streaming", "on");
            }
            return new ReplicationSession(s, c, builder.start(), streams(serverMajor));
        } catch (SQLException e) {
            closeQuietly(c);
            throw SourceException.classify(e, s, "starting replication from slot " + s.slotName());
        }
    }

    // Streaming of in-progress transactions came with protocol version 2 in Postgres 14.
    private static boolean streams(int serverMajor) {
        return serverMajor >= 14;
    }

    // publication_names is parsed as an identifier list: quote to keep case and odd characters.
    private static String quotePublication(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** The next pgoutput frame if one has arrived, else null. Never blocks for long. */
    public @Nullable ByteBuffer readPending() {
        try {
            return stream.readPending();
        } catch (SQLException e) {
            throw SourceException.classify(e, settings, "reading from slot " + settings.slotName());
        }
    }

    /** The WAL position of the last frame or keepalive received. */
    public long lastReceiveLsn() {
        return stream.getLastReceiveLSN().asLong();
    }

    /**
     * Tells Postgres that everything before {@code flushLsn} is safely delivered: the slot may release
     * that WAL, and a later session starts after it. Sent at once when {@code force}, else with the
     * next periodic status update.
     */
    public void acknowledge(long flushLsn, boolean force) {
        if (Long.compareUnsigned(flushLsn, acknowledged) > 0) {
            acknowledged = flushLsn;
            LogSequenceNumber lsn = LogSequenceNumber.valueOf(flushLsn);
            stream.setFlushedLSN(lsn);
            stream.setAppliedLSN(lsn);
        }
        if (force) {
            try {
                stream.forceUpdateStatus();
            } catch (SQLException e) {
                throw SourceException.classify(e, settings, "acknowledging to slot " + settings.slotName());
            }
        }
    }

    public long acknowledged() {
        return acknowledged;
    }

    /**
     * Marks the connection as dead, so that {@link #close()} only drops it: ending the stream politely waits for
     * the server's answer, which never comes on a connection that stopped carrying bytes.
     */
    public void abandon() {
        abandoned = true;
    }

    @Override
    public void close() {
        if (abandoned) {
            closeQuietly(connection);
            return;
        }
        try {
            if (!stream.isClosed()) {
                stream.close();
            }
        } catch (SQLException e) {
            // the connection is going away anyway
        }
        closeQuietly(connection);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException e) {
            // nothing to recover
        }
    }
}
