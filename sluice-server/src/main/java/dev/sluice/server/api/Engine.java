package dev.sluice.server.api;

import dev.sluice.core.TableId;
import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.store.RunningConfig;
import java.sql.SQLException;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** What the API needs from the running server: applying a saved configuration, and live status. */
public interface Engine {
    /** Makes the running pipelines match the configuration just saved; returns when that is done. */
    void apply(RunningConfig config);

    /**
     * Retries a running sink's failing groups now: all, or the one whose failed message is at {@code position}.
     * Returns how many groups, or -1 when the sink does not run.
     */
    int redeliver(UUID databaseId, UUID sinkId, dev.sluice.core.@Nullable Position position);

    /**
     * Discards a running sink's failed messages: the one at {@code position}, or all. Returns how many, or -1 when
     * the sink does not run.
     */
    int discard(UUID databaseId, UUID sinkId, dev.sluice.core.@Nullable Position position);

    /**
     * Checks that a table of a configured database can be backfilled, in {@code sortColumn}'s order when given.
     *
     * @throws dev.sluice.postgres.backfill.UnreadableTableException when it cannot: its reason says whether the
     *     table or the sort column is wrong, its message what to fix
     * @throws IllegalStateException when the database is not configured here
     * @throws SQLException when the database cannot be reached
     */
    void checkBackfill(UUID databaseId, TableId table, @Nullable String sortColumn) throws SQLException;

    /**
     * Starts (or resumes, from its stored cursor) a stored active backfill. Returns false when its sink does not
     * run now; it starts when the sink does.
     */
    boolean startBackfill(UUID databaseId, UUID backfillId);

    /** Stops a backfill within its page and saves its last progress; returns whether it was running. */
    boolean stopBackfill(UUID databaseId, UUID backfillId);

    /** The pull stream of a running {@code sequin_stream} sink, or null when none runs under that name. */
    dev.sluice.server.stream.@Nullable PullStream stream(String sinkName);

    /**
     * Up to {@code n} of the messages a running sink sent out last, as they were before its functions, oldest first;
     * null when the sink does not run.
     */
    java.util.@Nullable List<byte[]> recentMessages(UUID databaseId, UUID sinkId, int n);

    /** The live status of a database's pipeline, or null when it does not run. */
    DatabasePipeline.@Nullable Status status(UUID databaseId);
}
