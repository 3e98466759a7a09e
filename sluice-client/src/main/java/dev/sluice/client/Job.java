package dev.sluice.client;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * A replication job: one command ({@code validate}, {@code init}, {@code sync}, {@code status}, {@code verify}) of
 * a Postgres-to-Postgres replication, run by a node of the cluster (see docs/replication.md).
 *
 * @param id its id ({@code job_id})
 * @param traceId the id its logs carry
 * @param command the command
 * @param status {@code provisioning}, {@code running}, {@code completed}, {@code failed} or {@code cancelled}
 * @param createdAt when it was created
 * @param startedAt when a node started it, or null
 * @param completedAt when it ended, or null
 * @param cancelRequested whether a cancel was asked for and the job has not stopped yet
 * @param error why it failed, or null
 * @param progress what it is doing now (shape per command; missing node when none)
 * @param result what it found or did (shape per command; missing node when none)
 * @param logs its last log lines
 * @param raw the whole JSON object
 */
public record Job(
        String id,
        @Nullable String traceId,
        @Nullable String command,
        String status,
        @Nullable Instant createdAt,
        @Nullable Instant startedAt,
        @Nullable Instant completedAt,
        boolean cancelRequested,
        @Nullable String error,
        JsonNode progress,
        JsonNode result,
        List<String> logs,
        JsonNode raw) {

    /** Whether it has ended: completed, failed or cancelled. */
    public boolean isTerminal() {
        return status.equals("completed") || status.equals("failed") || status.equals("cancelled");
    }

    static Job from(JsonNode n) {
        return new Job(
                Json.str(n, "job_id", Json.str(n, "id", "")),
                Json.str(n, "trace_id"),
                Json.str(n, "command"),
                Json.str(n, "status", ""),
                Json.instant(n, "created_at"),
                Json.instant(n, "started_at"),
                Json.instant(n, "completed_at"),
                Json.bool(n, "cancel_requested"),
                Json.str(n, "error"),
                Json.node(n, "progress"),
                Json.node(n, "result"),
                Json.strings(n, "logs"),
                n);
    }
}
