package dev.sluice.client;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /api/sinks/{id_or_name}/backfills}: one sink's backfills. Get one from
 * {@link SluiceClient#backfills(String)}.
 *
 * <p>Concurrency: thread-safe; calls block (the {@code Async} ones run on the client's executor).
 */
public final class Backfills extends ResourceGroup<Backfill> {
    private final String sink;

    Backfills(ApiHttp http, String sink) {
        super(http, "/api/sinks/" + ApiHttp.seg(sink) + "/backfills", Backfill::from);
        this.sink = sink;
    }

    /**
     * One backfill, with its progress.
     *
     * @throws SluiceException.NotFound when the sink has no such backfill
     */
    public Backfill get(String backfillId) {
        return getOne(backfillId);
    }

    /**
     * Starts a partial backfill (one with a {@code start_position}). A whole-table backfill needs
     * {@link #create(BackfillRequest, Confirm)}.
     *
     * @throws ConfirmationRequiredException for a whole-table backfill; nothing is sent
     * @throws SluiceException.Conflict when the table already has an active or paused backfill
     * @throws SluiceException.Validation for an unknown table or column
     */
    public Backfill create(BackfillRequest request) {
        if (request.isWholeTable()) {
            ConfirmationRequiredException.require(null, wholeTable(request));
        }
        return createOne(request.body());
    }

    /**
     * Starts a backfill; {@link Confirm#YES} allows a whole-table one, which delivers every row of the table again
     * to a sink that may be live and already have them (a resync).
     */
    public Backfill create(BackfillRequest request, Confirm confirm) {
        if (request.isWholeTable()) {
            ConfirmationRequiredException.require(confirm, wholeTable(request));
        }
        return createOne(request.body());
    }

    private String wholeTable(BackfillRequest request) {
        String table = request.table();
        return "backfilling " + (table == null ? "the whole table" : "all of " + table) + " into sink '" + sink
                + "' delivers every row again";
    }

    /** Pauses an active backfill; it resumes from its cursor. */
    public Backfill pause(String backfillId) {
        return state(backfillId, "paused");
    }

    /** Resumes a paused backfill. */
    public Backfill resume(String backfillId) {
        return state(backfillId, "active");
    }

    /** Cancels an active or paused backfill; it stays listed as cancelled. */
    public Backfill cancel(String backfillId) {
        return state(backfillId, "cancelled");
    }

    private Backfill state(String backfillId, String state) {
        return updateOne(backfillId, Json.tree(Map.of("state", state)));
    }

    /** Cancels it if it runs, and removes it. */
    public void delete(String backfillId) {
        deleteOne(backfillId);
    }

    public CompletableFuture<Backfill> getAsync(String backfillId) {
        return http.async(() -> get(backfillId));
    }

    /** {@link #create(BackfillRequest, Confirm)} on the client's executor; confirmation is checked at once. */
    public CompletableFuture<Backfill> createAsync(BackfillRequest request, Confirm confirm) {
        if (request.isWholeTable()) {
            ConfirmationRequiredException.require(confirm, wholeTable(request));
        }
        return http.async(() -> create(request, confirm));
    }

    public CompletableFuture<Void> deleteAsync(String backfillId) {
        return http.async(() -> {
            delete(backfillId);
            return null;
        });
    }
}
