package dev.sluice.server.api;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** The cluster as the API shows it: the nodes sharing the metadata store, and draining one. */
public interface Nodes {
    /** A node as the store knows it: live when its last heartbeat is younger than a lease. */
    record Node(
            String id,
            String address,
            Instant startedAt,
            Instant lastHeartbeatAt,
            Duration heartbeatAge,
            boolean live,
            boolean draining,
            List<UUID> pipelines) {}

    /** This node's id. */
    String self();

    /** Every known node, with the databases whose leases each holds. */
    List<Node> list() throws SQLException;

    /**
     * The address of the live node that runs {@code databaseId}'s pipeline, when that is another node; null when this
     * node runs it, or nobody does now.
     */
    @org.jspecify.annotations.Nullable
    String ownerElsewhere(UUID databaseId) throws SQLException;

    /** Asks node {@code id} to hand its pipelines over and take none; false if there is no such node. */
    boolean drain(String id) throws SQLException;
}
