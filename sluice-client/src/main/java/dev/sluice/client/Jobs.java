package dev.sluice.client;

import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * {@code /api/jobs}: replication jobs (validate, init, sync, status, verify). Get one from
 * {@link SluiceClient#jobs()}.
 *
 * <p>Concurrency: thread-safe; calls block (the {@code Async} ones run on the client's executor).
 */
public final class Jobs extends ResourceGroup<Job> {
    Jobs(ApiHttp http) {
        super(http, "/api/jobs", Job::from);
    }

    /** Jobs of one status ({@code provisioning}, {@code running}, {@code completed}, ...), lazily paged. */
    public Stream<Job> stream(String status) {
        return stream(java.util.Map.of("status", status), DEFAULT_PAGE_SIZE);
    }

    /** One page of the jobs of one status. */
    public Page<Job> list(String status, int limit, @org.jspecify.annotations.Nullable String after) {
        return page(java.util.Map.of("status", status), limit, after);
    }

    /** One job, with its progress, result and last log lines. */
    public Job get(String jobId) {
        return getOne(jobId);
    }

    /**
     * Creates a job; it is queued and run by a node. An {@code init} with {@code drop_existing} needs
     * {@link #create(JobSpec, Confirm)}.
     *
     * @return the job as created ({@code provisioning}); poll {@link #get} for its progress
     * @throws ConfirmationRequiredException for an init with drop_existing; nothing is sent
     * @throws SluiceException.Validation when the spec is invalid (each problem at its field)
     * @throws SluiceException.RateLimited when the most jobs allowed are already queued or running
     */
    public Job create(JobSpec spec) {
        if (spec.dropsExisting()) {
            ConfirmationRequiredException.require(null, DROPS);
        }
        return createOne(spec.body());
    }

    /** Creates a job; {@link Confirm#YES} allows an init that drops the target's existing tables. */
    public Job create(JobSpec spec, Confirm confirm) {
        if (spec.dropsExisting()) {
            ConfirmationRequiredException.require(confirm, DROPS);
        }
        return createOne(spec.body());
    }

    private static final String DROPS = "an init job with drop_existing drops the target's existing tables";

    /**
     * Cancels a job: a queued one at once, a running one as soon as it can ({@code cancel_requested} until then).
     *
     * @throws SluiceException.Conflict when the job has already ended
     */
    public Job cancel(String jobId) {
        return parse.apply(http.post(one(jobId) + "/cancel", null));
    }

    public CompletableFuture<Job> getAsync(String jobId) {
        return http.async(() -> get(jobId));
    }

    /** {@link #create(JobSpec, Confirm)} on the client's executor; confirmation is checked at once. */
    public CompletableFuture<Job> createAsync(JobSpec spec, Confirm confirm) {
        if (spec.dropsExisting()) {
            ConfirmationRequiredException.require(confirm, DROPS);
        }
        return http.async(() -> create(spec, confirm));
    }
}
