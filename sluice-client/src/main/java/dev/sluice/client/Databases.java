package dev.sluice.client;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import tools.jackson.databind.JsonNode;

/**
 * {@code /api/postgres_databases}: the databases Sluice reads. Get one from {@link SluiceClient#databases()}.
 *
 * <p>Concurrency: thread-safe; calls block (the {@code Async} ones run on the client's executor).
 */
public final class Databases extends ResourceGroup<Database> {
    private final Sinks sinks;

    Databases(ApiHttp http, Sinks sinks) {
        super(http, "/api/postgres_databases", Database::from);
        this.sinks = sinks;
    }

    /**
     * One database, by id or name.
     *
     * @throws SluiceException.NotFound when there is none
     */
    public Database get(String idOrName) {
        return getOne(idOrName);
    }

    /**
     * Creates a database; the server connects and checks it first (wal_level, replication role, slot, publication).
     *
     * @throws SluiceException.Validation when a field is invalid, the name taken, or the database cannot be
     *     replicated (the summary says why)
     */
    public Database create(DatabaseRequest request) {
        return createOne(request.body());
    }

    /** Changes the fields {@code request} sets; any change restarts the database's pipeline. */
    public Database update(String idOrName, DatabaseRequest request) {
        return updateOne(idOrName, request.body());
    }

    /**
     * Deletes a database, and first every sink that reads it. Always needs {@link Confirm#YES}, checked before any
     * request: a database's sinks stop for good (the server alone refuses to delete a database in use; with this
     * call you ask for them to go too). The slot and publication stay in Postgres.
     *
     * @throws ConfirmationRequiredException without {@code Confirm.YES}; nothing is sent
     * @throws SluiceException.NotFound when there is no such database
     */
    public void delete(String idOrName, Confirm confirm) {
        ConfirmationRequiredException.require(
                confirm, "deleting database '" + idOrName + "' also deletes every sink that reads it");
        Database db = get(idOrName);
        List<Sink> users = sinks.stream(ResourceGroup.MAX_PAGE_SIZE)
                .filter(s -> db.name().equals(s.database()) || db.id().equals(s.database()))
                .toList();
        for (Sink s : users) {
            sinks.delete(s.id());
        }
        deleteOne(db.id());
    }

    /**
     * Connects and runs the checks of a create (creating the slot and publication when so configured).
     *
     * @return success, or what is wrong
     * @throws SluiceException.NotFound when there is no such database
     */
    public ConnectionTest testConnection(String idOrName) {
        try {
            JsonNode n = http.post(one(idOrName) + "/test_connection", null);
            return new ConnectionTest(Json.bool(n, "success"), Json.str(n, "reason"));
        } catch (SluiceException.Validation e) {
            return new ConnectionTest(false, e.summary());
        }
    }

    /** The tables of the database's publication, {@code schema.table}, sorted. */
    public List<String> refreshTables(String idOrName) {
        return Json.strings(http.post(one(idOrName) + "/refresh_tables", null), "tables");
    }

    /**
     * Every table of the database with its columns (type, nullability, default, primary key position), replica
     * identity, whether it is published, and its estimated row count.
     */
    public List<Table> tables(String idOrName) {
        return Json.list(http.get(one(idOrName) + "/tables"), "data", Table::from);
    }

    /** {@link #get} on the client's executor. */
    public CompletableFuture<Database> getAsync(String idOrName) {
        return http.async(() -> get(idOrName));
    }

    /** {@link #create} on the client's executor. */
    public CompletableFuture<Database> createAsync(DatabaseRequest request) {
        return http.async(() -> create(request));
    }

    /** {@link #update} on the client's executor. */
    public CompletableFuture<Database> updateAsync(String idOrName, DatabaseRequest request) {
        return http.async(() -> update(idOrName, request));
    }

    /** {@link #delete} on the client's executor; the confirmation is checked before anything runs. */
    public CompletableFuture<Void> deleteAsync(String idOrName, Confirm confirm) {
        ConfirmationRequiredException.require(
                confirm, "deleting database '" + idOrName + "' also deletes every sink that reads it");
        return http.async(() -> {
            delete(idOrName, confirm);
            return null;
        });
    }
}
