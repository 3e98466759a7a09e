package dev.sluice.client;

import java.util.concurrent.CompletableFuture;

/**
 * {@code /api/destinations/http_endpoints}: the HTTP endpoints webhook sinks deliver to. Get one from
 * {@link SluiceClient#httpEndpoints()}.
 *
 * <p>Concurrency: thread-safe; calls block (the {@code Async} ones run on the client's executor).
 */
public final class HttpEndpoints extends ResourceGroup<HttpEndpoint> {
    HttpEndpoints(ApiHttp http) {
        super(http, "/api/destinations/http_endpoints", HttpEndpoint::from);
    }

    /** One endpoint, by id or name; encrypted header values are masked. */
    public HttpEndpoint get(String idOrName) {
        return getOne(idOrName);
    }

    public HttpEndpoint create(HttpEndpointRequest request) {
        return createOne(request.body());
    }

    /** Changes the fields {@code request} sets; the sinks that use it are reconfigured. */
    public HttpEndpoint update(String idOrName, HttpEndpointRequest request) {
        return updateOne(idOrName, request.body());
    }

    /**
     * Deletes an endpoint no sink uses.
     *
     * @throws SluiceException.Validation when sinks use it (the summary names them)
     */
    public void delete(String idOrName) {
        deleteOne(idOrName);
    }

    public CompletableFuture<HttpEndpoint> getAsync(String idOrName) {
        return http.async(() -> get(idOrName));
    }

    public CompletableFuture<HttpEndpoint> createAsync(HttpEndpointRequest request) {
        return http.async(() -> create(request));
    }

    public CompletableFuture<HttpEndpoint> updateAsync(String idOrName, HttpEndpointRequest request) {
        return http.async(() -> update(idOrName, request));
    }

    public CompletableFuture<Void> deleteAsync(String idOrName) {
        return http.async(() -> {
            delete(idOrName);
            return null;
        });
    }
}
