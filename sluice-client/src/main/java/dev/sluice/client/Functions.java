package dev.sluice.client;

import java.util.concurrent.CompletableFuture;

/**
 * {@code /api/functions}: the functions sinks filter, transform, enrich and route with. Get one from
 * {@link SluiceClient#functions()}.
 *
 * <p>Concurrency: thread-safe; calls block (the {@code Async} ones run on the client's executor).
 */
public final class Functions extends ResourceGroup<SinkFunction> {
    Functions(ApiHttp http) {
        super(http, "/api/functions", SinkFunction::from);
    }

    public SinkFunction get(String idOrName) {
        return getOne(idOrName);
    }

    /**
     * Creates a function; it is parsed and tried first.
     *
     * @throws SluiceException.Validation on a syntax error (at {@code code}, naming line and column)
     */
    public SinkFunction create(FunctionRequest request) {
        return createOne(request.body());
    }

    /** Changes the fields {@code request} sets; the sinks that use it are reconfigured. */
    public SinkFunction update(String idOrName, FunctionRequest request) {
        return updateOne(idOrName, request.body());
    }

    /**
     * Deletes a function no sink uses.
     *
     * @throws SluiceException.Validation when sinks use it (the summary names them)
     */
    public void delete(String idOrName) {
        deleteOne(idOrName);
    }

    public CompletableFuture<SinkFunction> getAsync(String idOrName) {
        return http.async(() -> get(idOrName));
    }

    public CompletableFuture<SinkFunction> createAsync(FunctionRequest request) {
        return http.async(() -> create(request));
    }

    public CompletableFuture<SinkFunction> updateAsync(String idOrName, FunctionRequest request) {
        return http.async(() -> update(idOrName, request));
    }

    public CompletableFuture<Void> deleteAsync(String idOrName) {
        return http.async(() -> {
            delete(idOrName);
            return null;
        });
    }
}
