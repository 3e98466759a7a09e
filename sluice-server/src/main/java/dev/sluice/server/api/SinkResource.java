package dev.sluice.server.api;

import dev.sluice.core.Action;
import dev.sluice.engine.DatabasePipeline;
import dev.sluice.server.config.FunctionRefs;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SinkStatus;
import dev.sluice.server.config.SluiceConfig;
import dev.sluice.server.destination.Destinations;
import dev.sluice.server.notify.SinkHealth;
import dev.sluice.server.store.BackfillState;
import dev.sluice.server.store.BackfillTable.BackfillRow;
import dev.sluice.server.store.ConfigDocs;
import dev.sluice.server.store.ConfigSnapshot;
import dev.sluice.server.store.Kind;
import dev.sluice.server.store.Masks;
import dev.sluice.server.store.StoredConfig;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /api/sinks}: Sequin's sink consumer shape. The stored entry is the yaml's; responses add the read-only
 * {@code id}, {@code health}, {@code active_backfills} (its active and paused backfills) and {@code status_info}.
 */
final class SinkResource implements Resource {
    private static final Set<String> READ_ONLY =
            Set.of("id", "health", "active_backfills", "status_info", "inserted_at", "updated_at");

    private final Engine engine;
    private final StoredConfig stored;

    SinkResource(Engine engine, StoredConfig stored) {
        this.engine = engine;
        this.stored = stored;
    }

    @Override
    public Kind kind() {
        return Kind.SINK;
    }

    @Override
    public String label() {
        return "sink";
    }

    @Override
    public Set<String> readOnly() {
        return READ_ONLY;
    }

    /** Reads every sink's unfinished backfills in one query, and each database's live status once. */
    @Override
    public IntFunction<ObjectNode> renderer(ConfigSnapshot snapshot, SluiceConfig view) throws SQLException {
        Map<UUID, List<BackfillRow>> backfills = new HashMap<>();
        for (BackfillRow row : stored.metadata().backfills().inStates(BackfillState.UNFINISHED)) {
            backfills.computeIfAbsent(row.sinkId(), k -> new ArrayList<>()).add(row);
        }
        Map<UUID, DatabasePipeline.@Nullable Status> live = new HashMap<>();
        return index -> {
            SinkConfig s = view.sinks().get(index);
            UUID dbId = snapshot.databaseId(s.database());
            DatabasePipeline.Status status = dbId == null ? null : live.computeIfAbsent(dbId, engine::status);
            return render(
                    s,
                    snapshot.meta(Kind.SINK, index),
                    backfills.getOrDefault(snapshot.id(Kind.SINK, index), List.of()),
                    status);
        };
    }

    private static ObjectNode render(
            SinkConfig s,
            ConfigSnapshot.Meta meta,
            List<BackfillRow> backfills,
            DatabasePipeline.@Nullable Status status) {
        UUID id = meta.id();
        // The stored entry is already in the API's shape for most keys: start from it.
        ObjectNode entry = ConfigDocs.sinkSpec(s);
        ObjectNode n = Requests.JSON.createObjectNode();
        n.put("id", String.valueOf(id));
        n.put("name", s.name());
        n.put("status", s.status().wireName());
        n.put("database", s.database());
        ObjectNode source = n.putObject("source");
        for (String key : new String[] {"include_schemas", "exclude_schemas", "include_tables", "exclude_tables"}) {
            JsonNode v = entry.get("source").get(key);
            source.set(key, v == null ? Requests.JSON.getNodeFactory().nullNode() : v);
        }
        n.set("tables", entry.get("tables"));
        ArrayNode actions = n.putArray("actions");
        for (Action a : s.actions()) {
            actions.add(a.wireName());
        }
        // Secrets as the view holds them: masked, or revealed for show_sensitive.
        n.set("destination", Destinations.shown(s.destination(), null));
        // Function names as Sequin shows them: "none" when unset.
        FunctionRefs refs = s.functions();
        n.put("filter", Objects.requireNonNullElse(refs.filter(), "none"));
        n.put("transform", Objects.requireNonNullElse(refs.transform(), "none"));
        n.put("enrichment", Objects.requireNonNullElse(refs.enrichment(), "none"));
        n.put("routing", Objects.requireNonNullElse(refs.routing(), "none"));
        n.put("message_grouping", s.messageGrouping());
        n.put("batch_size", s.batchSize());
        n.put("max_memory_mb", s.maxMemoryMb());
        n.put("max_spill_mb", s.maxSpillMb());
        if (s.maxRetryCount() == null) {
            n.putNull("max_retry_count");
        } else {
            n.put("max_retry_count", s.maxRetryCount());
        }
        n.put("load_shedding_policy", s.loadSheddingPolicy().wireName());
        n.put("retry_backoff_ms", s.retryBackoffMs());
        n.put("max_retry_backoff_ms", s.maxRetryBackoffMs());
        n.put("reselect_unchanged_toast", s.reselectUnchangedToast());
        n.put("timestamp_format", s.timestampFormat().name().toLowerCase(Locale.ROOT));
        n.set("annotations", entry.get("annotations"));
        ArrayNode active = n.putArray("active_backfills");
        backfills.forEach(row -> active.add(BackfillsApi.render(row, s.name())));

        DatabasePipeline.SinkStatus live = live(status, s);
        n.set("health", health(s, live));
        ObjectNode info = n.putObject("status_info");
        info.put("state", s.status().wireName());
        info.put("created_at", meta.insertedAt().toString());
        info.put("updated_at", meta.updatedAt().toString());
        info.put("last_error", live == null ? null : live.lastError());
        return n;
    }

    static DatabasePipeline.@Nullable SinkStatus live(DatabasePipeline.@Nullable Status status, SinkConfig s) {
        if (status == null) {
            return null;
        }
        for (DatabasePipeline.SinkStatus ss : status.sinks()) {
            if (ss.name().equals(s.name())) {
                return ss;
            }
        }
        return null;
    }

    static final String SPILL_BUDGET_USED_UP = "the spill budget (max_spill_mb) in the metadata store is used up;"
            + " load_shedding_policy %s applies while the buffer is full";

    static ObjectNode health(SinkConfig s, DatabasePipeline.@Nullable SinkStatus live) {
        ObjectNode h = Requests.JSON.createObjectNode();
        h.put("name", "Consumer health");
        ArrayNode checks = h.putArray("checks");
        checks.addObject().put("name", "Sink configuration").put("status", "healthy");
        String overall;
        if (s.status() == SinkStatus.DISABLED) {
            overall = "paused";
            checks.addObject().put("name", "Messages delivered").put("status", "paused");
        } else if (live == null) {
            overall = "initializing";
            checks.addObject().put("name", "Messages delivered").put("status", "initializing");
        } else {
            boolean failing = live.lastError() != null;
            boolean budget = live.spillBudgetUsedUp();
            overall = SinkHealth.of(s.status(), live);
            ObjectNode delivery = checks.addObject()
                    .put("name", "Messages delivered")
                    .put("status", failing ? "error" : budget ? "warning" : "healthy");
            if (failing) {
                delivery.put("error", live.lastError());
            } else if (budget) {
                delivery.put(
                        "error",
                        SPILL_BUDGET_USED_UP.formatted(s.loadSheddingPolicy().wireName()));
            }
            delivery.put("delivered", live.delivered());
            delivery.put("discarded", live.discarded());
            delivery.put("shed", live.shed());
            delivery.put("failing_groups", live.failingGroups());
            delivery.put(
                    "oldest_failure_at",
                    live.oldestFailureAt() == null
                            ? null
                            : live.oldestFailureAt().toString());
            delivery.put("lag_ms", live.lag().toMillis());
            delivery.put("pending", live.queued());
            delivery.put("spilled", live.spilled());
            delivery.put("stored_bytes", live.storedBytes());
            delivery.put("max_spill_bytes", live.maxSpillBytes());
        }
        h.put("status", overall);
        return h;
    }

    @Override
    public ObjectNode toEntry(ObjectNode body, @Nullable ObjectNode existing, ConfigSnapshot snapshot) {
        ObjectNode entry = existing == null ? Requests.JSON.createObjectNode() : existing.deepCopy();
        for (var e : body.properties()) {
            String key = e.getKey();
            JsonNode value = e.getValue();
            if (READ_ONLY.contains(key)) {
                continue;
            }
            if (key.equals("database") && value.isString()) {
                // By id or by name: the entry refers to databases by name.
                int i = snapshot.indexOf(Kind.DATABASE, value.asString());
                if (i >= 0) {
                    value = Requests.JSON
                            .getNodeFactory()
                            .stringNode(snapshot.meta(Kind.DATABASE, i).name());
                }
            }
            if (key.equals("destination")
                    && value instanceof ObjectNode patch
                    && entry.get("destination") instanceof ObjectNode old
                    && (!patch.has("type") || patch.get("type").equals(old.get("type")))) {
                // A partial destination in an update changes only the keys it gives.
                ObjectNode merged = old.deepCopy();
                patch.properties().forEach(p -> merged.set(p.getKey(), p.getValue()));
                value = merged;
            }
            if (value.isNull() && (key.equals("max_retry_count") || key.equals("tables"))) {
                entry.remove(key);
                continue;
            }
            entry.set(key, value);
        }
        // A masked secret (as a response shows it) keeps the stored one.
        Masks.keepMasked(entry, existing);
        // "none", "" and null all mean no function: not stored.
        for (String f : FunctionRefs.KEYS) {
            JsonNode v = entry.get(f);
            if (v != null
                    && (v.isNull()
                            || v.isString()
                                    && (v.asString().isBlank() || v.asString().equals("none")))) {
                entry.remove(f);
            }
        }
        return entry;
    }
}
