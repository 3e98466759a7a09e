package dev.sluice.server.api;

import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.api.SinkLookup.SinkRef;
import dev.sluice.server.store.BackfillState;
import dev.sluice.server.store.BackfillTable.BackfillRow;
import dev.sluice.server.store.MessageTable;
import dev.sluice.server.store.StoredConfig;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.List;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code GET /api/sinks/{id_or_name}/status}: a sink's sync status in one small document, from the running pipeline
 * (health as the sink's GET shows it, last delivery, throughput, lag, pending messages), the message store (failed
 * messages) and the backfill table (the backfill in progress).
 */
final class SinkStatusApi {
    private final StoredConfig stored;
    private final SinkLookup sinks;
    private final Engine engine;

    SinkStatusApi(StoredConfig stored, SinkLookup sinks, Engine engine) {
        this.stored = stored;
        this.sinks = sinks;
        this.engine = engine;
    }

    void routes(List<ManagementApi.Route> out) {
        out.add(new ManagementApi.Route("GET", "/api/sinks/{id_or_name}/status", this::status));
    }

    private void status(Context ctx) throws SQLException {
        SinkRef sink = sinks.find(ctx);
        DatabasePipeline.Status db = engine.status(sink.databaseId());
        DatabasePipeline.SinkStatus live = SinkResource.live(db, sink.config());
        ObjectNode n = Requests.JSON.createObjectNode();
        n.putObject("sink").put("id", sink.id().toString()).put("name", sink.name());
        n.put("status", sink.config().status().wireName());
        n.put("health", SinkResource.health(sink.config(), live).get("status").asString());
        n.put(
                "last_delivered_at",
                live == null || live.lastDeliveredAt() == null
                        ? null
                        : live.lastDeliveredAt().toString());
        n.put("messages_pending", live == null ? 0 : live.queued());
        n.put("messages_failing", stored.metadata().messages().count(sink.id(), MessageTable.MessageFilter.FAILED));
        n.put("failing_groups", live == null ? 0 : live.failingGroups());
        n.put("lag_bytes", db == null || db.slotLagBytes() < 0 ? null : db.slotLagBytes());
        n.put("lag_seconds", live == null ? null : live.lag().toMillis() / 1000.0);
        n.put("throughput_per_minute", live == null ? 0 : live.deliveredLastMinute());
        n.put("delivered_total", live == null ? 0 : live.delivered());
        List<BackfillRow> backfills = stored.metadata().backfills().ofSink(sink.id(), BackfillState.UNFINISHED);
        BackfillRow current = backfills.stream()
                // A running one before a paused one; the oldest first.
                .min(Comparator.comparing((BackfillRow r) -> r.state() != BackfillState.ACTIVE)
                        .thenComparing(BackfillRow::insertedAt))
                .orElse(null);
        n.set("current_backfill", current == null ? null : BackfillsApi.render(current, sink.name()));
        ctx.json(n);
    }
}
