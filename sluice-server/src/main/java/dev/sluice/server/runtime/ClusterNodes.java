package dev.sluice.server.runtime;

import dev.sluice.server.api.Nodes;
import dev.sluice.server.store.LeaseTable;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** {@link Nodes} from the store's node and lease rows. */
final class ClusterNodes implements Nodes {
    private final Cluster cluster;
    private final LeaseTable table;

    ClusterNodes(Cluster cluster, LeaseTable table) {
        this.cluster = cluster;
        this.table = table;
    }

    @Override
    public String self() {
        return cluster.settings().nodeId();
    }

    @Override
    public List<Node> list() throws SQLException {
        Map<String, List<UUID>> byNode = new HashMap<>();
        for (LeaseTable.LeaseRow l : table.leases()) {
            if (l.nodeId() != null && !l.expired()) {
                byNode.computeIfAbsent(l.nodeId(), k -> new ArrayList<>()).add(l.databaseId());
            }
        }
        List<Node> out = new ArrayList<>();
        for (LeaseTable.NodeRow n : table.nodes()) {
            out.add(new Node(
                    n.id(),
                    n.address(),
                    n.startedAt(),
                    n.heartbeatAt(),
                    n.age(),
                    n.age().compareTo(cluster.settings().ttl()) < 0,
                    n.draining(),
                    List.copyOf(byNode.getOrDefault(n.id(), List.of()))));
        }
        return out;
    }

    @Override
    public @org.jspecify.annotations.Nullable String ownerElsewhere(UUID databaseId) throws SQLException {
        if (cluster.owned().contains(databaseId)) {
            return null;
        }
        String holder = null;
        for (LeaseTable.LeaseRow l : table.leases()) {
            if (l.databaseId().equals(databaseId) && l.nodeId() != null && !l.expired()) {
                holder = l.nodeId();
            }
        }
        if (holder == null || holder.equals(self())) {
            return null;
        }
        for (LeaseTable.NodeRow n : table.nodes()) {
            if (n.id().equals(holder) && n.age().compareTo(cluster.settings().ttl()) < 0) {
                return n.address();
            }
        }
        return null;
    }

    @Override
    public boolean drain(String id) throws SQLException {
        boolean found = table.drain(id);
        if (found && id.equals(self())) {
            cluster.wake();
        }
        return found;
    }
}
