package dev.sluice.server.jobs;

import dev.sluice.engine.DatabasePipeline;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * Where a {@code sync} job's streaming runs: a database and a {@code postgres} sink of the server's own configuration,
 * added through the same path as the API's, so they run on the engine like any other (restarted with the server,
 * seen in {@code /api}, health and metrics).
 */
public interface SyncHost {
    /**
     * Adds the database and sink a sluice.yaml document describes, or leaves them when they are there already.
     *
     * @throws IllegalArgumentException when the document is not a valid configuration (the message says why)
     */
    void ensure(String yaml) throws SQLException;

    /** Removes the sink and the database named {@code name}, when there. */
    void remove(String name) throws SQLException;

    /** The live status of database {@code name}'s pipeline, or null when it does not run here. */
    DatabasePipeline.@Nullable Status status(String name);
}
