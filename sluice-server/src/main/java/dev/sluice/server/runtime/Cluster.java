package dev.sluice.server.runtime;

import dev.sluice.server.store.Fence;
import dev.sluice.server.store.LeaseTable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's membership of the cluster: its heartbeat, and the leases of the database pipelines it runs.
 *
 * <p>Every {@link Settings#tick} the node heartbeats, renews its leases, hands back leases above its fair share
 * (databases ÷ live nodes, rounded up) so that a node joining gets its part, and takes free or expired leases up to
 * its share. A lease is good for {@link Settings#ttl} by the store's clock from the renewal; the node counts it good
 * only until {@code ttl - stopBudget} after it <em>sent</em> that renewal, by its own monotonic clock, and a watchdog
 * stops the pipeline then (within {@code stopBudget}) unless a renewal got through: so a node cut off from the store
 * has stopped reading and delivering before any other node can take the lease over. Writes made for a pipeline carry
 * its {@link Fence}, so one that lost its lease cannot write even if it tried.
 *
 * <p>Handing over (a drain, SIGTERM, a node joining) stops the pipeline gracefully first (in-flight batches delivered
 * and acknowledged), then releases the lease, which the next node takes on its next tick.
 *
 * <p>Thread-safety: the tick runs on its scheduler thread and the watchdog on its own (a tick blocked on an
 * unreachable store must not delay a stop); what both publish is guarded by one lock. {@link #wake} may be called
 * from any thread.
 */
final class Cluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cluster.class);
    private static final Duration WATCHDOG = Duration.ofMillis(200);
    private static final Duration FORGET_NODES_AFTER = Duration.ofHours(1);

    /**
     * @param nodeId this node's stable id ({@code SLUICE_NODE_ID}, else kept in {@code $SLUICE_HOME/node-id})
     * @param address where other nodes and clients reach this node's HTTP port ({@code SLUICE_NODE_ADDRESS})
     * @param ttl how long a lease lasts after each renewal ({@code SLUICE_LEASE_TTL_MS}, default 10 s)
     * @param tick how often leases are renewed and balanced (a fifth of the ttl)
     */
    record Settings(String nodeId, String address, Duration ttl, Duration tick) {
        static final Duration DEFAULT_TTL = Duration.ofSeconds(10);
        static final Duration MIN_TTL = Duration.ofSeconds(3);

        Settings {
            if (ttl.compareTo(MIN_TTL) < 0) {
                throw new IllegalArgumentException("SLUICE_LEASE_TTL_MS must be at least " + MIN_TTL.toMillis()
                        + " (a lease must outlast a few renewals), got " + ttl.toMillis());
            }
        }

        /** How long before its local expiry a lease's pipeline is stopped: the time it has to stop. */
        Duration stopBudget() {
            return ttl.multipliedBy(2).dividedBy(5);
        }

        static Settings from(Function<String, @Nullable String> env, Path home, int port) throws IOException {
            String id = env.apply("SLUICE_NODE_ID");
            if (id == null || id.isBlank()) {
                id = nodeIdIn(home);
            }
            String address = env.apply("SLUICE_NODE_ADDRESS");
            if (address == null || address.isBlank()) {
                address = "http://" + hostName() + ":" + port;
            }
            Duration ttl = DEFAULT_TTL;
            String t = env.apply("SLUICE_LEASE_TTL_MS");
            if (t != null && !t.isBlank()) {
                try {
                    ttl = Duration.ofMillis(Long.parseLong(t.strip()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(
                            "SLUICE_LEASE_TTL_MS must be a number of milliseconds, got " + t);
                }
            }
            return new Settings(id.strip(), address.strip(), ttl, ttl.dividedBy(5));
        }

        // Kept in the home directory so that a restarted node takes its own leases back at once.
        private static String nodeIdIn(Path home) throws IOException {
            Path file = home.resolve("node-id");
            if (Files.exists(file)) {
                String id = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (!id.isEmpty()) {
                    return id;
                }
            }
            String id = hostName() + "-" + UUID.randomUUID().toString().substring(0, 8);
            Files.createDirectories(home);
            Files.writeString(file, id + "\n", StandardCharsets.UTF_8);
            return id;
        }

        private static String hostName() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                return "localhost";
            }
        }
    }

    /** What the cluster asks of the pipelines: which databases exist, and which this node runs now. */
    interface Pipelines {
        /** The enabled databases of the current configuration. */
        Set<UUID> databases();

        /**
         * Runs exactly the pipelines of {@code leases}: starts the new ones, restarts one whose epoch changed, stops
         * the others, each within {@code stopWithin}.
         */
        void run(Map<UUID, Fence> leases, Duration stopWithin);
    }

    private record Held(Fence fence, long validUntilNanos, Instant acquiredAt) {}

    private final Settings settings;
    private final LeaseTable table;
    private final Pipelines pipelines;
    private final Instant startedAt = Instant.now();
    private final ScheduledExecutorService scheduler;
    /** Its own thread: a tick blocked on an unreachable store must not delay a pipeline's stop. */
    private final ScheduledExecutorService watchdog;
    // Tick thread only.
    private final Map<UUID, Held> held = new LinkedHashMap<>();
    // Guarded by publishLock: what the pipelines were last told to run, and until when each lease is good here.
    private final Object publishLock = new Object();
    private volatile Map<UUID, Fence> running = Map.of();
    private Map<UUID, Long> validUntil = Map.of();
    private boolean storeWarned;
    private volatile boolean draining;
    private volatile boolean closed;
    private volatile boolean joined;
    private volatile List<LeaseTable.NodeRow> lastNodes = List.of();

    Cluster(Settings settings, LeaseTable table, Pipelines pipelines) {
        this.settings = settings;
        this.table = table;
        this.pipelines = pipelines;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().name("cluster").daemon().unstarted(r));
        this.watchdog = Executors.newSingleThreadScheduledExecutor(
                r -> Thread.ofPlatform().name("lease-watchdog").daemon().unstarted(r));
    }

    Settings settings() {
        return settings;
    }

    /** Takes this node's share of the leases now, and keeps them renewed. */
    void start() {
        log.info(
                "node {} at {} (lease {} ms, renewed every {} ms)",
                settings.nodeId(),
                settings.address(),
                settings.ttl().toMillis(),
                settings.tick().toMillis());
        // The first round before returning: a server that has started runs what it could take, as a single node
        // always did (tests and health checks that follow a start see its pipelines).
        try {
            scheduler.submit(this::tick).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn(
                    "node {}: its first lease round did not finish ({}); it goes on in the background",
                    settings.nodeId(),
                    e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        joined = true;
        scheduler.scheduleWithFixedDelay(
                this::tick, settings.tick().toMillis(), settings.tick().toMillis(), TimeUnit.MILLISECONDS);
        watchdog.scheduleWithFixedDelay(
                this::watchdog, WATCHDOG.toMillis(), WATCHDOG.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The configuration changed: balance leases now rather than at the next tick. */
    void wake() {
        if (!closed) {
            try {
                scheduler.execute(this::tick);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    /**
     * The databases changed: runs a lease round now and waits for it (a few seconds at most), so that a database
     * just created runs here, if this node takes it, before the change is answered. Never from the tick's thread.
     */
    void balanceNow() {
        if (closed || !joined) {
            return;
        }
        try {
            scheduler.submit(this::tick).get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException
                | java.util.concurrent.ExecutionException
                | java.util.concurrent.TimeoutException e) {
            log.debug("lease round after a configuration change did not finish: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the first lease round has run: until then the node does not know what it runs. */
    boolean joined() {
        return joined;
    }

    /** Whether this node is draining (asked to by {@code POST /api/nodes/{id}/drain} on any node). */
    boolean draining() {
        return draining;
    }

    /** The databases this node runs now. */
    Set<UUID> owned() {
        return running.keySet();
    }

    /** The nodes as of the last tick. */
    List<LeaseTable.NodeRow> nodes() {
        return lastNodes;
    }

    private void tick() {
        if (closed) {
            return;
        }
        long sent = System.nanoTime();
        try {
            boolean asked = table.heartbeat(settings.nodeId(), settings.address(), startedAt);
            if (asked && !draining) {
                log.info("node {}: asked to drain; handing its pipelines over", settings.nodeId());
            }
            draining = asked;
            renew(sent);
            balance(sent);
            if (storeWarned) {
                storeWarned = false;
                log.info("node {}: the metadata store answers again", settings.nodeId());
            }
        } catch (SQLException | RuntimeException e) {
            if (!storeWarned) {
                storeWarned = true;
                log.warn(
                        "node {}: cannot reach the metadata store to renew its leases ({}); its pipelines stop before"
                                + " their leases can expire",
                        settings.nodeId(),
                        e.getMessage());
            }
        }
        expire();
        publish();
    }

    private void renew(long sent) throws SQLException {
        for (var it = held.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Fence f = e.getValue().fence();
            if (table.renew(f.databaseId(), f.nodeId(), f.epoch(), settings.ttl())) {
                e.setValue(new Held(f, validUntil(sent), e.getValue().acquiredAt()));
            } else if (!pipelines.databases().contains(f.databaseId())) {
                it.remove(); // the database was deleted, and its lease with it
            } else {
                log.warn(
                        "node {}: lost the lease on database {} (epoch {}): another node took it over; stopping its"
                                + " pipeline",
                        settings.nodeId(),
                        f.databaseId(),
                        f.epoch());
                it.remove();
            }
        }
    }

    private long validUntil(long sent) {
        return sent + settings.ttl().minus(settings.stopBudget()).toNanos();
    }

    private void balance(long sent) throws SQLException {
        List<LeaseTable.NodeRow> nodes = table.nodes();
        lastNodes = nodes;
        forgetOldNodes(nodes);
        Set<UUID> wanted = pipelines.databases();
        // Not wanted any more (deleted, slot disabled): stop, then let go.
        List<UUID> unwanted =
                held.keySet().stream().filter(id -> !wanted.contains(id)).toList();
        release(unwanted);
        if (draining()) {
            release(List.copyOf(held.keySet()));
            return;
        }
        long live = nodes.stream()
                .filter(n -> !n.draining() && n.age().compareTo(settings.ttl()) < 0)
                .count();
        int share = (int) Math.ceilDiv(wanted.size(), Math.max(1, live));
        if (held.size() > share) {
            // The most recently taken go first: the others have warm caches and open connections.
            List<UUID> newest = held.entrySet().stream()
                    .sorted(Comparator.comparing(
                                    (Map.Entry<UUID, Held> e) -> e.getValue().acquiredAt())
                            .reversed())
                    .limit(held.size() - share)
                    .map(Map.Entry::getKey)
                    .toList();
            log.info(
                    "node {}: handing {} pipeline(s) over to balance {} live node(s)",
                    settings.nodeId(),
                    newest.size(),
                    live);
            release(newest);
            return;
        }
        if (held.size() == share) {
            return;
        }
        Map<UUID, LeaseTable.LeaseRow> rows = new HashMap<>();
        table.leases().forEach(r -> rows.put(r.databaseId(), r));
        for (UUID db : wanted.stream().sorted().toList()) {
            if (held.size() >= share) {
                break;
            }
            if (held.containsKey(db)) {
                continue;
            }
            LeaseTable.LeaseRow row = rows.get(db);
            boolean free = row == null
                    || row.nodeId() == null
                    || row.expired()
                    || row.nodeId().equals(settings.nodeId());
            if (!free) {
                continue;
            }
            long epoch = table.acquire(db, settings.nodeId(), settings.ttl());
            if (epoch > 0) {
                log.info("node {}: took the lease on database {} (epoch {})", settings.nodeId(), db, epoch);
                held.put(db, new Held(new Fence(db, settings.nodeId(), epoch), validUntil(sent), Instant.now()));
            }
        }
    }

    private void forgetOldNodes(List<LeaseTable.NodeRow> nodes) throws SQLException {
        for (LeaseTable.NodeRow n : nodes) {
            if (n.age().compareTo(FORGET_NODES_AFTER) > 0) {
                table.remove(n.id());
            }
        }
    }

    /** Stops the pipelines of {@code dbs}, then lets their leases go for another node to take at once. */
    private void release(List<UUID> dbs) throws SQLException {
        if (dbs.isEmpty()) {
            return;
        }
        List<Fence> fences = new ArrayList<>();
        dbs.forEach(db -> fences.add(held.remove(db).fence()));
        publish();
        for (Fence f : fences) {
            table.release(f.databaseId(), f.nodeId(), f.epoch());
            log.info("node {}: handed database {} over", settings.nodeId(), f.databaseId());
        }
    }

    // Leases whose local validity ran out (no renewal got through in time): the watchdog has stopped or is stopping
    // their pipelines; they are taken again only through a new acquisition (a new epoch).
    private void expire() {
        long now = System.nanoTime();
        held.values().removeIf(h -> now - h.validUntilNanos() >= 0);
    }

    // Stops the pipelines whose leases are no longer good here, without waiting for the tick.
    private void watchdog() {
        synchronized (publishLock) {
            long now = System.nanoTime();
            Map<UUID, Fence> keep = new LinkedHashMap<>();
            running.forEach((db, f) -> {
                Long until = validUntil.get(db);
                if (until != null && now - until < 0) {
                    keep.put(db, f);
                } else {
                    log.warn(
                            "node {}: no lease renewal for database {} got through in time; stopping its pipeline"
                                    + " before the lease can expire",
                            settings.nodeId(),
                            db);
                }
            });
            if (keep.size() != running.size()) {
                running = Map.copyOf(keep);
                pipelines.run(running, stopWithin());
            }
        }
    }

    private Duration stopWithin() {
        return settings.stopBudget().minus(Duration.ofSeconds(1));
    }

    // Tells the pipelines what this node holds, when that changed.
    private void publish() {
        synchronized (publishLock) {
            Map<UUID, Fence> now = new LinkedHashMap<>();
            Map<UUID, Long> until = new HashMap<>();
            held.forEach((db, h) -> {
                now.put(db, h.fence());
                until.put(db, h.validUntilNanos());
            });
            validUntil = until;
            if (!now.equals(running)) {
                running = Map.copyOf(now);
                pipelines.run(running, stopWithin());
            }
        }
    }

    /** Stops renewing; the caller stops the pipelines and then calls {@link #releaseAll}. */
    @Override
    public void close() {
        closed = true;
        scheduler.shutdown();
        watchdog.shutdown();
        try {
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
            watchdog.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** After the pipelines stopped: lets every lease go and leaves the cluster, so that others take over at once. */
    void releaseAll() {
        for (Held h : held.values()) {
            Fence f = h.fence();
            try {
                table.release(f.databaseId(), f.nodeId(), f.epoch());
            } catch (SQLException e) {
                log.warn(
                        "node {}: cannot release the lease on database {}: {}",
                        settings.nodeId(),
                        f.databaseId(),
                        e.getMessage());
            }
        }
        held.clear();
        try {
            table.remove(settings.nodeId());
        } catch (SQLException e) {
            log.debug("cannot remove node row", e);
        }
    }
}
