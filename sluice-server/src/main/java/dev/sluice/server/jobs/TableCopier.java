package dev.sluice.server.jobs;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

/**
 * Copies tables from source to target with COPY, streamed: the rows read from the source are written to the target
 * as they come, gathered into messages of up to {@value #WRITE_BYTES} bytes (the source sends one message a row;
 * one write a row would cost the target's backend and this JVM a message each), nothing is kept on disk. One copier is
 * one pair of connections, the source's reading in the job's snapshot; a table is emptied and filled in one target
 * transaction, so a copy cut short leaves nothing behind and a run after a crash starts that table over. Because the
 * table is emptied in the same transaction, its rows are written frozen ({@code COPY ... FREEZE}, not for a
 * partitioned table, which Postgres refuses): the target's first reads (index builds, foreign-key checks) need not
 * look up and set every row's commit status, and its vacuum need not freeze them later.
 */
final class TableCopier implements AutoCloseable {
    static final int WRITE_BYTES = 64 * 1024;
    /** Rows between two updates of the job's shared counters. */
    private static final int COUNT_EVERY = 1024;

    private final Connection source;
    private final Connection target;
    private final boolean binary;

    /**
     * @param snapshot the exported snapshot every copier of the job reads in, so all tables are of one instant
     * @param binary whether source and target are of one major version, where COPY's binary format is safe for the
     *     built-in types (text otherwise)
     */
    TableCopier(
            Endpoint sourceEndpoint,
            String db,
            Endpoint targetEndpoint,
            String targetDb,
            String snapshot,
            boolean binary)
            throws SQLException {
        this.binary = binary;
        Connection s = sourceEndpoint.connect(db);
        Connection t = null;
        try {
            s.setAutoCommit(false);
            try (Statement st = s.createStatement()) {
                st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                st.execute("SET TRANSACTION SNAPSHOT '" + snapshot.replace("'", "''") + "'");
            }
            t = targetEndpoint.connect(targetDb);
            t.setAutoCommit(false);
        } catch (SQLException | RuntimeException e) {
            s.close();
            if (t != null) {
                t.close();
            }
            throw e;
        }
        this.source = s;
        this.target = t;
    }

    /** What one table's copy moved. */
    record Copied(long rows, long bytes, boolean binary) {}

    /**
     * Copies one table; {@code rows} and {@code bytes} (the job's) and {@code tableRows} (the table's) grow as it goes. Stops with {@link InterruptedException} when
     * {@code job} is cancelled, leaving the target table as it was.
     */
    Copied copy(CopyTable t, AtomicLong rows, AtomicLong bytes, AtomicLong tableRows, JobContext job)
            throws SQLException, InterruptedException {
        boolean asBinary = binary && t.binarySafe();
        try (Statement st = target.createStatement()) {
            st.execute("TRUNCATE " + t.qualified());
        }
        CopyIn in = target.unwrap(PGConnection.class).getCopyAPI().copyIn(copyIn(t, asBinary));
        @Nullable CopyOut out = null;
        long moved = 0;
        try {
            out = source.unwrap(PGConnection.class).getCopyAPI().copyOut(t.copyOut(asBinary));
            byte[] buffer = new byte[WRITE_BYTES];
            int buffered = 0;
            byte[] chunk;
            long n = 0;
            int uncounted = 0;
            long uncountedBytes = 0;
            while ((chunk = out.readFromCopy()) != null) {
                if (buffered + chunk.length > buffer.length) {
                    in.writeToCopy(buffer, 0, buffered);
                    buffered = 0;
                }
                if (chunk.length >= buffer.length) {
                    in.writeToCopy(chunk, 0, chunk.length);
                } else {
                    System.arraycopy(chunk, 0, buffer, buffered, chunk.length);
                    buffered += chunk.length;
                }
                moved += chunk.length;
                uncountedBytes += chunk.length;
                n++;
                if (++uncounted == COUNT_EVERY) {
                    rows.addAndGet(uncounted);
                    tableRows.addAndGet(uncounted);
                    bytes.addAndGet(uncountedBytes);
                    uncounted = 0;
                    uncountedBytes = 0;
                    if ((n & 0x3FFF) == 0 && job.cancelled()) {
                        throw new InterruptedException("cancelled");
                    }
                }
            }
            if (buffered > 0) {
                in.writeToCopy(buffer, 0, buffered);
            }
            long written = in.endCopy();
            target.commit();
            bytes.addAndGet(uncountedBytes);
            // In binary the header and trailer came as chunks too; the target's count is the truth.
            rows.addAndGet(uncounted + written - n);
            tableRows.addAndGet(uncounted + written - n);
            return new Copied(written, moved, asBinary);
        } catch (SQLException | InterruptedException | RuntimeException e) {
            cancel(in, out);
            target.rollback();
            throw e;
        }
    }

    /** The target side's COPY: {@link CopyTable#copyIn}, with {@code FREEZE} where Postgres allows it. */
    private static String copyIn(CopyTable t, boolean binary) {
        String sql = t.copyIn(binary);
        String binaryOption = " (FORMAT binary)";
        if (t.partitioned()) {
            return sql;
        }
        if (!binary) {
            return sql + " (FREEZE)";
        }
        if (!sql.endsWith(binaryOption)) {
            throw new IllegalStateException("unexpected COPY statement: " + sql);
        }
        return sql.substring(0, sql.length() - binaryOption.length()) + " (FORMAT binary, FREEZE)";
    }

    private static void cancel(CopyIn in, @Nullable CopyOut out) {
        try {
            if (in.isActive()) {
                in.cancelCopy();
            }
        } catch (SQLException ignored) {
            // the rollback that follows ends it anyway
        }
        try {
            if (out != null && out.isActive()) {
                out.cancelCopy();
            }
        } catch (SQLException ignored) {
            // the source connection is closed with the copier
        }
    }

    @Override
    public void close() {
        for (Connection c : new Connection[] {source, target}) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing: nothing left to do with it
            }
        }
    }
}
