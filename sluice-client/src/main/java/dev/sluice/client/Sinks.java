package dev.sluice.client;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /api/sinks}: where changes go. Get one from {@link SluiceClient#sinks()}.
 *
 * <p>Concurrency: thread-safe; calls block (the {@code Async} ones run on the client's executor).
 */
public final class Sinks extends ResourceGroup<Sink> {
    Sinks(ApiHttp http) {
        super(http, "/api/sinks", Sink::from);
    }

    /**
     * One sink with its health, by id or name.
     *
     * @throws SluiceException.NotFound when there is none
     */
    public Sink get(String idOrName) {
        return getOne(idOrName);
    }

    /**
     * Creates a sink; it starts delivering at once.
     *
     * @throws SluiceException.Validation when a field is invalid or the name taken
     */
    public Sink create(SinkRequest request) {
        return createOne(request.body());
    }

    /** Changes the fields {@code request} sets; the sink is reconfigured in place, keeping what it has queued. */
    public Sink update(String idOrName, SinkRequest request) {
        return updateOne(idOrName, request.body());
    }

    /** Deletes a sink; it stops at once and no longer holds the slot. */
    public void delete(String idOrName) {
        deleteOne(idOrName);
    }

    /** Pauses it: it stops delivering and buffers what arrives, holding the slot's position, so nothing is lost. */
    public Sink pause(String idOrName) {
        return status(idOrName, "paused");
    }

    /** Resumes a paused or disabled sink. */
    public Sink resume(String idOrName) {
        return status(idOrName, "active");
    }

    /** Disables it: out of the pipeline, no longer holding the slot; changes made meanwhile are not delivered. */
    public Sink disable(String idOrName) {
        return status(idOrName, "disabled");
    }

    private Sink status(String idOrName, String status) {
        return updateOne(idOrName, Json.tree(Map.of("status", status)));
    }

    /** Checks that the sink's peer answers, with its credentials, without delivering anything. */
    public ConnectionTest testConnection(String idOrName) {
        try {
            JsonNode n = http.post(one(idOrName) + "/test_connection", null);
            return new ConnectionTest(Json.bool(n, "success"), Json.str(n, "reason"));
        } catch (SluiceException.Validation e) {
            return new ConnectionTest(false, e.summary());
        }
    }

    /**
     * Where the sink stands: last delivery, messages pending and failing, lag, throughput, the current backfill.
     */
    public SyncStatus status(String idOrName) {
        return SyncStatus.from(http.get(one(idOrName) + "/status"));
    }

    /** The tables the sink streams, each with its columns and the columns it delivers. */
    public List<Table> tables(String idOrName) {
        return Json.list(http.get(one(idOrName) + "/tables"), "data", Table::from);
    }

    /**
     * Sets which columns of which tables the sink delivers (to live changes and backfills alike); a primary key column
     * cannot be excluded.
     *
     * @return the sink's tables afterwards
     * @throws SluiceException.Validation when a table or column is unknown, or a key column excluded
     */
    public List<Table> selectColumns(String idOrName, List<ColumnSelection> tables) {
        ObjectNode body = Json.object();
        ArrayNode list = body.putArray("tables");
        tables.forEach(t -> list.add(t.toJson()));
        JsonNode answer = http.put(one(idOrName) + "/tables", body);
        return answer.path("data").isArray() ? Json.list(answer, "data", Table::from) : tables(idOrName);
    }

    /** {@link #get} on the client's executor. */
    public CompletableFuture<Sink> getAsync(String idOrName) {
        return http.async(() -> get(idOrName));
    }

    /** {@link #create} on the client's executor. */
    public CompletableFuture<Sink> createAsync(SinkRequest request) {
        return http.async(() -> create(request));
    }

    /** {@link #update} on the client's executor. */
    public CompletableFuture<Sink> updateAsync(String idOrName, SinkRequest request) {
        return http.async(() -> update(idOrName, request));
    }

    /** {@link #delete} on the client's executor. */
    public CompletableFuture<Void> deleteAsync(String idOrName) {
        return http.async(() -> {
            delete(idOrName);
            return null;
        });
    }
}
