package dev.sluice.server.jobs;

import java.sql.SQLException;
import java.util.Map;

/** What a command does for a job: its result, and how many problems it found, which fail the job. */
interface JobWork {
    /** Runs the command; the map is the job's {@code result}. Returns early once the job is cancelled. */
    Map<String, Object> run() throws SQLException, InterruptedException;

    /** Problems found by {@link #run} (validate's failed checks, verify's differing tables); 0 completes the job. */
    long problems();

    /** The job's {@code error} when {@link #problems} found {@code n}. */
    String failure(long n);
}
