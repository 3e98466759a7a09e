package dev.sluice.server.api;

import dev.sluice.server.jobs.JobRunner;
import dev.sluice.server.jobs.JobSettings;
import dev.sluice.server.jobs.JobSpec;
import dev.sluice.server.jobs.JobStatus;
import dev.sluice.server.store.JobTable;
import dev.sluice.server.store.JobTable.JobRow;
import dev.sluice.server.store.StoredConfig;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * {@code /api/jobs}: replication jobs as the seed's remote replication API has them — create with a JobSpec (201
 * {@code {job_id, trace_id, status}}), poll, list, cancel. The spec is sealed at rest and never returned (its URLs
 * hold passwords). See docs/replication.md.
 */
final class JobsApi {
    private final StoredConfig stored;
    private final JobRunner runner;
    private final JobSettings settings;
    private final Clock clock;

    JobsApi(StoredConfig stored, JobRunner runner, JobSettings settings, Clock clock) {
        this.stored = stored;
        this.runner = runner;
        this.settings = settings;
        this.clock = clock;
    }

    private JobTable table() {
        return stored.metadata().jobs();
    }

    void routes(List<ManagementApi.Route> out) {
        out.add(new ManagementApi.Route("GET", "/api/jobs", this::list));
        out.add(new ManagementApi.Route("POST", "/api/jobs", this::create));
        out.add(new ManagementApi.Route("GET", "/api/jobs/{job_id}", this::get));
        out.add(new ManagementApi.Route("POST", "/api/jobs/{job_id}/cancel", this::cancel));
    }

    private void create(Context ctx) throws SQLException {
        Requests.requireJson(ctx);
        String text = Requests.text(ctx);
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > JobSpec.MAX_BYTES) {
            throw new ApiException(
                    413, "the job spec is " + bytes + " bytes; at most " + JobSpec.MAX_BYTES + " are accepted");
        }
        JsonNode body;
        try {
            body = Requests.JSON.readTree(text);
        } catch (RuntimeException e) {
            throw ApiException.badRequest("the body is not valid JSON");
        }
        JobSpec spec;
        try {
            spec = JobSpec.parse(body);
        } catch (JobSpec.InvalidSpecException e) {
            throw ApiException.invalid(e.errors());
        }
        UUID id = UUID.randomUUID();
        UUID trace = UUID.randomUUID();
        String sealed = runner.seal(text);
        if (!table().insert(
                        id,
                        trace,
                        spec.command().wireName(),
                        sealed,
                        clock.instant().plus(settings.ttl()),
                        settings.maxActive())) {
            ctx.header("Retry-After", "10");
            throw new ApiException(
                    429,
                    settings.maxActive() + " jobs are already queued or running (the limit, SLUICE_JOBS_MAX_ACTIVE):"
                            + " retry when one has finished");
        }
        runner.wake();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("job_id", id.toString());
        r.put("trace_id", trace.toString());
        r.put("status", JobStatus.PROVISIONING.wireName());
        ctx.status(201).json(r);
    }

    private void get(Context ctx) throws SQLException {
        ctx.json(render(find(ctx)));
    }

    private void list(Context ctx) throws SQLException {
        String status = ctx.queryParam("status");
        if (status != null) {
            try {
                JobStatus.parse(status);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("status", e.getMessage());
            }
        }
        Integer limit = Pages.limit(ctx);
        Pages.Cursor after = Pages.after(ctx, Pages.Cursor::decode);
        int n = limit == null ? Pages.MAX_LIMIT : limit;
        List<JobRow> rows = table().list(
                        status, after == null ? null : after.insertedAt(), after == null ? null : after.id(), n + 1);
        boolean more = rows.size() > n;
        List<JobRow> page = more ? rows.subList(0, n) : rows;
        List<Object> data = new ArrayList<>();
        page.forEach(r -> data.add(render(r)));
        String next = more
                ? new Pages.Cursor(page.getLast().createdAt(), page.getLast().id()).encode()
                : null;
        Pages.respond(ctx, data, next);
    }

    private void cancel(Context ctx) throws SQLException {
        JobRow row = find(ctx);
        if (!table().cancel(row.id())) {
            throw ApiException.conflict("job " + row.id() + " has already ended (" + row.status() + ")");
        }
        ctx.json(render(table().get(row.id())));
    }

    private JobRow find(Context ctx) throws SQLException {
        String text = ctx.pathParam("job_id");
        UUID id;
        try {
            id = UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.notFound("job", Requests.clip(text));
        }
        JobRow row = table().get(id);
        if (row == null) {
            throw ApiException.notFound("job", Requests.clip(text));
        }
        return row;
    }

    private static Map<String, Object> render(@Nullable JobRow r) {
        if (r == null) {
            throw ApiException.notFound("job", "?");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("job_id", r.id().toString());
        m.put("trace_id", r.traceId().toString());
        m.put("command", r.command());
        m.put("status", r.status());
        m.put("created_at", r.createdAt().toString());
        m.put("started_at", r.startedAt() == null ? null : r.startedAt().toString());
        m.put("completed_at", r.completedAt() == null ? null : r.completedAt().toString());
        m.put("expires_at", r.expiresAt().toString());
        m.put("cancel_requested", r.cancelAsked());
        m.put("node", r.node());
        m.put("attempts", r.attempts());
        m.put("error", r.error());
        m.put("progress", r.progress() == null ? null : Requests.JSON.readTree(r.progress()));
        m.put("result", r.result() == null ? null : Requests.JSON.readTree(r.result()));
        m.put("logs", r.log());
        return m;
    }
}
