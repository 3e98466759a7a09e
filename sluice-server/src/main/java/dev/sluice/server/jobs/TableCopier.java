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
 * Copies tables from source to target with COPY, streamed: each chunk read from the source is written to the target
 * as it comes, nothing is kept on disk or in memory. One copier is one pair of connections, the source's reading in
 * the job's snapshot; a table is emptied and filled in one target transaction, so a copy cut short leaves nothing
 * behind and a run after a crash starts that table over.
 */
final class TableCopier implements AutoCloseable {
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
        CopyIn in = target.unwrap(PGConnection.class).getCopyAPI().copyIn(t.copyIn(asBinary));
        @Nullable CopyOut out = null;
        long moved = 0;
        try {
            out = source.unwrap(PGConnection.class).getCopyAPI().copyOut(t.copyOut(asBinary));
            byte[] chunk;
            long n = 0;
            while ((chunk = out.readFromCopy()) != null) {
                in.writeToCopy(chunk, 0, chunk.length);
                moved += chunk.length;
                bytes.addAndGet(chunk.length);
                rows.incrementAndGet();
                tableRows.incrementAndGet();
                if ((++n & 0x3FFF) == 0 && job.cancelled()) {
                    throw new InterruptedException("cancelled");
                }
            }
            long written = in.endCopy();
            target.commit();
            // In binary the header and trailer came as chunks too; the target's count is the truth.
            rows.addAndGet(written - n);
            return new Copied(written, moved, asBinary);
        } catch (SQLException | InterruptedException | RuntimeException e) {
            cancel(in, out);
            target.rollback();
            throw e;
        }
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
