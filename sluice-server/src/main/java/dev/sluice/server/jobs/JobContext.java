package dev.sluice.server.jobs;

import java.util.Map;

/** What a running command may tell its job: progress, log lines, and whether it was asked to stop. */
interface JobContext {
    /** Replaces the job's progress (kept with the next heartbeat). */
    void progress(Map<String, Object> progress);

    /** Adds a line to the job's log (the last lines are kept with the job). */
    void log(String line);

    /** True once the job was cancelled: the command stops as soon as it can. */
    boolean cancelled();

    /**
     * Says that the job now mostly waits (a sync streaming through the engine): it no longer takes one of the node's
     * {@code SLUICE_JOBS_CONCURRENCY} slots.
     */
    default void background() {}

    /** True when the node is shutting down (not a cancellation): the command leaves its work for another run. */
    boolean shuttingDown();

    /** Whether an earlier run of this job finished the step {@code key} (see {@link #checkpoint}). */
    boolean done(String key);

    /**
     * Records at once that the step {@code key} is finished for good, so that a run of this job after its node died
     * skips it.
     */
    void checkpoint(String key) throws java.sql.SQLException;
}
