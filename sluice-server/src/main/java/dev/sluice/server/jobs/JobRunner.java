package dev.sluice.server.jobs;

import dev.sluice.server.store.JobTable;
import dev.sluice.server.store.JobTable.JobRow;
import dev.sluice.server.store.SecretBox;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs replication jobs on this node: claims queued jobs from the shared store (or jobs whose node stopped
 * heartbeating), up to {@link JobSettings#concurrency()} at once, each on its own thread; heartbeats them with their
 * progress and log lines; notices cancellation; records the outcome. Expired job records are purged here too.
 */
public final class JobRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JobRunner.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final Duration POLL = Duration.ofMillis(500);
    static final Duration HEARTBEAT = Duration.ofSeconds(2);

    private final JobTable table;
    private final SecretBox secrets;
    private final JobSettings settings;
    private final Clock clock;
    private final String node = "node-" + UUID.randomUUID();
    private final Set<Running> running = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("jobs").daemon().factory());
    private volatile boolean closed;
    private volatile @Nullable SyncHost host;
    private volatile Listener listener = (id, command, status, error) -> {};

    /** Told when a job this node ran has been recorded as ended; called on the job's thread, must not block. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param status {@code completed}, {@code failed} or {@code cancelled}
         * @param error why it failed, or null
         */
        void ended(UUID id, String command, String status, @Nullable String error);
    }

    public JobRunner(JobTable table, SecretBox secrets, JobSettings settings, Clock clock) {
        this.table = table;
        this.secrets = secrets;
        this.settings = settings;
        this.clock = clock;
    }

    public void start() {
        scheduler.scheduleWithFixedDelay(this::poll, 0, POLL.toMillis(), TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(
                this::heartbeat, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(this::purge, 0, 1, TimeUnit.MINUTES);
    }

    /** Who is told when a job ends (notification webhooks); set before {@link #start()}. */
    public void listener(Listener listener) {
        this.listener = listener;
    }

    /** Where sync jobs run their streaming; set before {@link #start()}. */
    public void host(SyncHost host) {
        this.host = host;
    }

    /** The running sync jobs from {@code source} to {@code target}, with their progress. */
    private List<Map<String, Object>> syncsBetween(Endpoint source, Endpoint target) throws SQLException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (JobRow row : table.list(JobStatus.RUNNING.wireName(), null, null, 1000)) {
            if (!row.command().equals(JobCommand.SYNC.wireName())) {
                continue;
            }
            try {
                JobSpec spec = JobSpec.parse(JSON.readTree(secrets.decrypt(row.specSealed())));
                if (!Endpoint.of("source", spec.sourceUrl()).display().equals(source.display())
                        || !Endpoint.of("target", spec.targetUrl()).display().equals(target.display())) {
                    continue;
                }
            } catch (JobSpec.InvalidSpecException | RuntimeException e) {
                continue;
            }
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("job_id", row.id().toString());
            m.put("started_at", row.startedAt() == null ? null : row.startedAt().toString());
            m.put("node", row.node());
            Object progress = row.progress() == null
                    ? null
                    : JSON.readValue(row.progress(), Map.class).get("databases");
            m.put("databases", progress == null ? List.of() : progress);
            out.add(m);
        }
        return out;
    }

    private SyncHost host() {
        SyncHost h = host;
        if (h == null) {
            throw new IllegalStateException("this node runs no sync jobs");
        }
        return h;
    }

    /** Looks for a job at once (after one was created), instead of at the next poll. */
    public void wake() {
        if (!closed) {
            scheduler.execute(this::poll);
        }
    }

    /** {@code spec} sealed with the server's secret key, for the store. */
    public String seal(String spec) {
        return secrets.encrypt(spec);
    }

    /** This node's id, as jobs record who runs them. */
    public String node() {
        return node;
    }

    private void poll() {
        try {
            while (!closed && running.stream().filter(r -> !r.background).count() < settings.concurrency()) {
                JobRow row = table.claim(node, settings.stale());
                if (row == null) {
                    return;
                }
                Running r = new Running(row.id(), row.checkpoints());
                running.add(r);
                Thread.ofVirtual().name("job-" + row.id()).start(() -> run(r, row));
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("jobs: cannot claim a job: {}", e.getMessage());
        }
    }

    private void run(Running r, JobRow row) {
        @Nullable String status;
        String result = null;
        String error = null;
        try {
            JobSpec spec = JobSpec.parse(JSON.readTree(secrets.decrypt(row.specSealed())));
            r.log("job " + row.id() + ": " + spec.command().wireName() + " started on " + node
                    + (row.attempts() > 1 ? " (attempt " + row.attempts() + ")" : ""));
            JobWork work = switch (spec.command()) {
                case VALIDATE -> new Validate(spec, r);
                case VERIFY -> new Verify(spec, r);
                case INIT -> new Init(spec, r);
                case SYNC -> new Sync(spec, r, row.id(), row.attempts(), host());
                case STATUS -> new Status(spec, r, this::syncsBetween);
            };
            result = JSON.writeValueAsString(work.run());
            long problems = work.problems();
            if (r.cancelled()) {
                status = JobStatus.CANCELLED.wireName();
            } else if (problems > 0) {
                status = JobStatus.FAILED.wireName();
                error = work.failure(problems);
            } else {
                status = JobStatus.COMPLETED.wireName();
            }
        } catch (JobSpec.InvalidSpecException e) {
            status = JobStatus.FAILED.wireName();
            error = "the stored spec is not valid: " + e.errors();
        } catch (java.sql.SQLException e) {
            status = JobStatus.FAILED.wireName();
            error = e.getMessage();
        } catch (InterruptedException e) {
            // A command stopped by a cancellation is cancelled; one stopped because the node shuts down is left for
            // another node (or this one after a restart).
            status = r.cancelled && !r.stopping ? JobStatus.CANCELLED.wireName() : null;
        } catch (RuntimeException e) {
            status = JobStatus.FAILED.wireName();
            error = e.getMessage() == null ? e.toString() : e.getMessage();
            log.warn("job {} failed", row.id(), e);
        }
        if (status == null || (r.stopping && !r.cancelled)) {
            running.remove(r);
            return; // not recorded: its heartbeat stops, and a node claims it again once its heartbeat is stale
        }
        r.log("job " + row.id() + ": " + status + (error == null ? "" : ": " + error));
        try {
            r.flush();
            table.heartbeat(row.id(), node, r.progressJson());
            if (table.finish(row.id(), node, status, result, error)) {
                ended(row, status, error);
            }
        } catch (SQLException e) {
            log.warn(
                    "job {}: cannot record its outcome ({}); another node will run it again", row.id(), e.getMessage());
        } finally {
            running.remove(r);
            wake();
        }
    }

    private void ended(JobRow row, String status, @Nullable String error) {
        try {
            listener.ended(row.id(), row.command(), status, error);
        } catch (RuntimeException e) {
            log.warn("job {}: its end listener failed", row.id(), e);
        }
    }

    private void heartbeat() {
        for (Running r : running) {
            try {
                r.flush();
                if (!table.heartbeat(r.id, node, r.progressJson())) {
                    r.cancel(); // ended or taken over: stop working on it
                }
                JobRow now = table.get(r.id);
                if (now == null || now.cancelAsked()) {
                    r.cancel();
                }
            } catch (SQLException | RuntimeException e) {
                log.warn("job {}: heartbeat failed: {}", r.id, e.getMessage());
            }
        }
    }

    private void purge() {
        try {
            int n = table.purgeExpired(clock.instant());
            if (n > 0) {
                log.info("jobs: {} expired job record(s) deleted", n);
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("jobs: cannot delete expired records: {}", e.getMessage());
        }
    }

    /** Purges expired records now; for tests and for the API after a change of TTL. */
    public int purgeNow() throws SQLException {
        return table.purgeExpired(clock.instant());
    }

    @Override
    public void close() {
        closed = true;
        running.forEach(r -> r.stopping = true);
        scheduler.shutdownNow();
    }

    /** A job this node runs: what its command reports, waiting for the next heartbeat. */
    private final class Running implements JobContext {
        final UUID id;
        private final List<String> lines = new ArrayList<>();
        private final Set<String> done = ConcurrentHashMap.newKeySet();
        private volatile @Nullable Map<String, Object> progress;
        private volatile boolean cancelled;
        // The node is shutting down: stop working, record nothing (unlike a cancellation).
        volatile boolean stopping;
        volatile boolean background;

        Running(UUID id, List<String> checkpoints) {
            this.id = id;
            done.addAll(checkpoints);
        }

        @Override
        public void background() {
            background = true;
            wake();
        }

        @Override
        public boolean shuttingDown() {
            return stopping;
        }

        @Override
        public boolean done(String key) {
            return done.contains(key);
        }

        @Override
        public void checkpoint(String key) throws SQLException {
            if (done.add(key) && !table.checkpoint(id, node, key)) {
                cancel(); // taken over by another node: stop working on it
            }
        }

        @Override
        public void progress(Map<String, Object> p) {
            progress = p;
        }

        @Override
        public synchronized void log(String line) {
            lines.add(clock.instant() + " " + line);
        }

        @Override
        public boolean cancelled() {
            return cancelled || stopping;
        }

        void cancel() {
            cancelled = true;
        }

        @Nullable
        String progressJson() {
            Map<String, Object> p = progress;
            return p == null ? null : JSON.writeValueAsString(p);
        }

        void flush() throws SQLException {
            List<String> out;
            synchronized (this) {
                if (lines.isEmpty()) {
                    return;
                }
                out = List.copyOf(lines);
                lines.clear();
            }
            table.log(id, out);
        }
    }
}
