package dev.sluice.server.jobs;

import dev.sluice.core.Lsn;
import dev.sluice.engine.DatabasePipeline;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.postgresql.PGConnection;
import org.postgresql.replication.ReplicationSlotInfo;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code sync} command: keeps the target in step with the source. For each database it publishes the selected
 * tables ({@code table_filters} as row filters, Postgres 15+), creates a replication slot and copies the tables in the
 * slot's own snapshot, so that exactly the changes after the copy come through the slot: no gap, nothing applied
 * twice. Then a database and a {@code postgres} sink named {@code sync_<job>} carry the changes on the engine, and
 * the job stays running, reporting lag and keeping the target's sequences up with the source's, until it is
 * cancelled (which removes them, the slot and the publication). A run after a crash during the copy starts the copy
 * over with a new slot; after the copy, the sink simply goes on from the slot.
 */
final class Sync implements JobWork {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    static final Duration TICK = Duration.ofSeconds(1);
    static final Duration SEQUENCES_EVERY = Duration.ofSeconds(10);

    private final JobSpec spec;
    private final JobContext job;
    private final UUID id;
    private final int attempt;
    private final SyncHost host;
    private final List<Map<String, Object>> databases = new ArrayList<>();
    private final Init init;
    private String refusal = "";

    Sync(JobSpec spec, JobContext job, UUID id, int attempt, SyncHost host) {
        this.spec = spec;
        this.job = job;
        this.id = id;
        this.attempt = attempt;
        this.host = host;
        this.init = new Init(spec, new CopyScope(job, attempt));
    }

    /** The name of the database and sink (and, prefixed {@code sluice_}, of the slot and publication) of a sync. */
    static String name(UUID job, int index, int count) {
        String base = "sync_" + job.toString().replace("-", "").substring(0, 12);
        return count == 1 ? base : base + "_" + index;
    }

    @Override
    public Map<String, Object> run() throws SQLException, InterruptedException {
        Endpoint source = Endpoint.of("source", spec.sourceUrl());
        Endpoint target = Endpoint.of("target", spec.targetUrl());
        List<String> dbs = spec.filter().databases(source.url().database());
        List<Stream> streams = new ArrayList<>();
        boolean ended = true;
        try {
            for (int i = 0; i < dbs.size() && !job.cancelled(); i++) {
                Stream s = new Stream(dbs.get(i), spec.targetDatabase(dbs.get(i)), name(id, i, dbs.size()));
                streams.add(s);
                if (!start(source, target, s)) {
                    return result(streams);
                }
            }
            job.background();
            follow(source, target, streams);
            ended = !job.shuttingDown();
            return result(streams);
        } catch (InterruptedException e) {
            ended = !job.shuttingDown();
            throw e;
        } finally {
            // Refused, failed or cancelled, the sync is over: nothing may keep WAL on the source for it. A node
            // shutting down leaves everything for the run that takes the job over.
            if (ended) {
                for (Stream s : streams) {
                    stop(source, s);
                }
            }
        }
    }

    /** One source database's sync. */
    private final class Stream {
        final String db;
        final String targetDb;
        final String name;
        final String slot;
        List<SchemaPlan.Sequence> sequences = List.of();
        long lastDelivered = -1;
        long lastAt;

        Stream(String db, String targetDb, String name) {
            this.db = db;
            this.targetDb = targetDb;
            this.name = name;
            this.slot = "sluice_" + name;
        }
    }

    private Map<String, Object> result(List<Stream> streams) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", refusal.isEmpty());
        r.put("databases", List.copyOf(databases));
        r.put("streams", streams.stream().map(s -> s.name).toList());
        return r;
    }

    @Override
    public long problems() {
        return refusal.isEmpty() ? init.problems() : 1;
    }

    @Override
    public String failure(long n) {
        return refusal.isEmpty() ? init.failure(n) : refusal;
    }

    /** Publication, slot and copy (unless an earlier run did them), then the database and sink; false when refused. */
    private boolean start(Endpoint source, Endpoint target, Stream s) throws SQLException, InterruptedException {
        String copied = s.db + ":copied";
        if (!job.done(copied)) {
            try (Connection c = source.connect(s.db)) {
                String problem = SyncSource.publish(c, s.slot, spec.filter(), s.db);
                if (problem != null) {
                    refusal = problem;
                    return false;
                }
                SyncSource.dropSlot(c, s.slot);
            }
            try (Connection repl = source.connectReplication(s.db)) {
                ReplicationSlotInfo slot = repl.unwrap(PGConnection.class)
                        .getReplicationAPI()
                        .createReplicationSlot()
                        .logical()
                        .withSlotName(s.slot)
                        .withOutputPlugin("pgoutput")
                        .make();
                job.log(s.db + ": slot " + s.slot + " created at " + slot.getConsistentPoint()
                        + "; copying in its snapshot " + slot.getSnapshotName());
                // The snapshot lives while this connection stays open and idle: the copy runs meanwhile.
                if (!init.copyDatabase(source, s.db, target, s.targetDb, slot.getSnapshotName())) {
                    return false;
                }
            }
            job.checkpoint(copied);
        }
        try (Connection c = source.connect(s.db);
                Connection t = target.connect(s.targetDb)) {
            host.ensure(yaml(source, target, c, t, s));
            s.sequences = SyncSource.sequences(c, s.db, spec.filter());
        } catch (IllegalArgumentException e) {
            throw new SQLException("cannot add the sync's database and sink: " + e.getMessage(), e);
        }
        job.log(s.db + ": streaming changes through database and sink " + s.name);
        return true;
    }

    /** Reports each stream's lag until the job is cancelled; keeps the target's sequences up with the source's. */
    private void follow(Endpoint source, Endpoint target, List<Stream> streams)
            throws SQLException, InterruptedException {
        long nextSequences = 0;
        while (!job.cancelled() && !streams.isEmpty()) {
            List<Map<String, Object>> now = new ArrayList<>();
            for (Stream s : streams) {
                now.add(progress(s));
            }
            job.progress(Map.of("phase", "streaming", "databases", now));
            if (System.nanoTime() >= nextSequences) {
                for (Stream s : streams) {
                    try (Connection c = source.connect(s.db);
                            Connection t = target.connect(s.targetDb)) {
                        TargetDatabase.sequences(c, t, s.sequences);
                    } catch (SQLException e) {
                        job.log(s.db + ": cannot bring the target's sequences up to date: " + e.getMessage());
                    }
                }
                nextSequences = System.nanoTime() + SEQUENCES_EVERY.toNanos();
            }
            Thread.sleep(TICK);
        }
    }

    private Map<String, Object> progress(Stream s) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("database", s.db);
        p.put("target_database", s.targetDb);
        p.put("stream", s.name);
        DatabasePipeline.Status st = host.status(s.name);
        if (st == null) {
            p.put("state", "starting");
            return p;
        }
        p.put("state", st.state().name().toLowerCase(java.util.Locale.ROOT));
        p.put("lag_bytes", st.slotLagBytes());
        p.put("applied_lsn", new Lsn(st.acknowledgedLsn()).toString());
        st.sinks().stream().findFirst().ifPresent(k -> {
            long at = System.nanoTime();
            p.put("lag_seconds", k.lag().toMillis() / 1000.0);
            p.put("rows_applied", k.delivered());
            p.put(
                    "rows_per_second",
                    s.lastDelivered < 0 ? 0 : Math.round((k.delivered() - s.lastDelivered) / ((at - s.lastAt) / 1e9)));
            p.put("pending", k.queued());
            p.put("failing_groups", k.failingGroups());
            p.put("last_error", k.lastError());
            s.lastDelivered = k.delivered();
            s.lastAt = at;
        });
        if (st.lastError() != null) {
            p.put("source_error", st.lastError());
        }
        return p;
    }

    /**
     * Removes the sink and database, then the slot (so the source keeps no WAL for it) and the publication. Logs
     * instead of throwing: it runs on the way out of a failure too.
     */
    private void stop(Endpoint source, Stream s) {
        try {
            host.remove(s.name);
            try (Connection c = source.connect(s.db)) {
                SyncSource.dropSlot(c, s.slot);
                try (Statement st = c.createStatement()) {
                    st.execute("DROP PUBLICATION IF EXISTS " + SourceTable.quote(s.slot));
                }
            }
            job.log(s.db + ": sync stopped; slot and publication " + s.slot + " dropped");
        } catch (SQLException | RuntimeException e) {
            job.log(s.db + ": cannot remove the sync's slot and publication " + s.slot + " (" + e.getMessage()
                    + "): drop them with SELECT pg_drop_replication_slot('" + s.slot + "'); DROP PUBLICATION "
                    + s.slot + ";");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The database and sink of the stream, as a sluice.yaml document (JSON is YAML). */
    private String yaml(Endpoint source, Endpoint target, Connection sc, Connection tc, Stream s) throws SQLException {
        ObjectNode doc = JSON.createObjectNode();
        ObjectNode d = doc.putArray("databases").addObject();
        d.put("name", s.name);
        d.put("hostname", literal(source.url().host()));
        d.put("port", source.url().port() == null ? 5432 : source.url().port());
        d.put("database", literal(s.db));
        d.put("username", literal(source.url().user()));
        if (source.url().password() != null) {
            d.put("password", literal(source.url().password()));
        }
        d.put("ssl", source.usesTls(sc));
        d.putObject("slot").put("name", s.slot).put("create_if_not_exists", false);
        d.putObject("publication").put("name", s.slot).put("create_if_not_exists", false);
        d.putObject("annotations").put("sluice_job", id.toString());
        ObjectNode k = doc.putArray("sinks").addObject();
        k.put("name", s.name);
        k.put("database", s.name);
        k.putObject("annotations").put("sluice_job", id.toString());
        ObjectNode dest = k.putObject("destination");
        dest.put("type", "postgres");
        dest.put("host", literal(target.url().host()));
        dest.put("port", target.url().port() == null ? 5432 : target.url().port());
        dest.put("database_name", literal(s.targetDb));
        dest.put("username", literal(target.url().user()));
        if (target.url().password() != null) {
            dest.put("password", literal(target.url().password()));
        }
        dest.put("ssl", target.usesTls(tc));
        dest.put("skip_target_triggers", true);
        return JSON.writeValueAsString(doc);
    }

    /** A value as the configuration reads it literally: {@code $} would start a variable reference there. */
    private static @org.jspecify.annotations.Nullable String literal(@org.jspecify.annotations.Nullable String value) {
        return value == null ? null : value.replace("$", "$$");
    }

    /**
     * The job as {@link Init} sees it during a sync's copy: the copies done belong to the slot they were made for, so
     * a run with a new slot copies every table again.
     */
    private record CopyScope(JobContext job, int attempt) implements JobContext {
        private String scoped(String key) {
            return key.contains(":copy ") ? key.replace(":copy ", ":copy@" + attempt + " ") : key;
        }

        @Override
        public void progress(Map<String, Object> progress) {
            job.progress(progress);
        }

        @Override
        public void log(String line) {
            job.log(line);
        }

        @Override
        public boolean cancelled() {
            return job.cancelled();
        }

        @Override
        public boolean shuttingDown() {
            return job.shuttingDown();
        }

        @Override
        public void background() {
            job.background();
        }

        @Override
        public boolean done(String key) {
            return job.done(scoped(key));
        }

        @Override
        public void checkpoint(String key) throws SQLException {
            job.checkpoint(scoped(key));
        }
    }
}
