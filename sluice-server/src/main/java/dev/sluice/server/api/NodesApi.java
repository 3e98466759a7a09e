package dev.sluice.server.api;

import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * {@code /api/nodes}: the Sluice nodes sharing this metadata store (cluster mode, docs/cluster.md), which database
 * pipelines each runs, and {@code POST /api/nodes/{id}/drain} to move a node's pipelines to the others.
 */
final class NodesApi {
    private volatile @Nullable Nodes nodes;

    void nodes(Nodes nodes) {
        this.nodes = nodes;
    }

    void routes(List<ManagementApi.Route> out) {
        out.add(new ManagementApi.Route("GET", "/api/nodes", this::list));
        out.add(new ManagementApi.Route("POST", "/api/nodes/{id}/drain", this::drain));
    }

    private Nodes cluster() {
        Nodes n = nodes;
        if (n == null) {
            throw new ApiException(503, "this server has not joined the cluster yet; retry in a moment");
        }
        return n;
    }

    /** Nodes ordered by id, paged like every list ({@code limit}, {@code after} = the last id of a page, encoded). */
    private void list(Context ctx) throws SQLException {
        Nodes n = cluster();
        Integer limit = Pages.limit(ctx);
        String after = Pages.after(ctx, NodesApi::decode);
        List<Nodes.Node> all = n.list().stream()
                .sorted(java.util.Comparator.comparing(Nodes.Node::id))
                .filter(node -> after == null || node.id().compareTo(after) > 0)
                .toList();
        List<Nodes.Node> page = limit == null || all.size() <= limit ? all : all.subList(0, limit);
        String next = page.size() < all.size() ? encode(page.getLast().id()) : null;
        Pages.respond(ctx, page.stream().map(node -> view(node, n.self())).toList(), next);
    }

    private static String encode(String id) {
        return java.util.Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(id.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String decode(String cursor) {
        try {
            return new String(java.util.Base64.getUrlDecoder().decode(cursor), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("after", "not a cursor from a previous page's next_cursor");
        }
    }

    private void drain(Context ctx) throws SQLException {
        Nodes n = cluster();
        String id = ctx.pathParam("id");
        if (!n.drain(id)) {
            throw ApiException.notFound("node", id);
        }
        Nodes.Node node = n.list().stream()
                .filter(x -> x.id().equals(id))
                .findFirst()
                .orElseThrow(() -> ApiException.notFound("node", id));
        ctx.status(202).json(view(node, n.self()));
    }

    private static Map<String, Object> view(Nodes.Node n, String self) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", n.id());
        m.put("address", n.address());
        m.put("started_at", n.startedAt().toString());
        m.put("last_heartbeat_at", n.lastHeartbeatAt().toString());
        m.put("heartbeat_age_ms", n.heartbeatAge().toMillis());
        m.put("status", n.draining() ? "draining" : n.live() ? "live" : "unreachable");
        m.put("self", n.id().equals(self));
        m.put("pipelines", n.pipelines().stream().map(Object::toString).toList());
        return m;
    }
}
