package dev.sluice.client;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /api/api_keys}: API keys. The API has no read of one key and no update: list, create and delete. Get one
 * from {@link SluiceClient#apiKeys()}.
 *
 * <p>Concurrency: thread-safe; calls block (the {@code Async} ones run on the client's executor).
 */
public final class ApiKeys extends ResourceGroup<ApiKey> {
    ApiKeys(ApiHttp http) {
        super(http, "/api/api_keys", ApiKey::from);
    }

    /**
     * Creates a key with a random token.
     *
     * @return the key with its {@link ApiKey#token()}: the only time it is shown
     */
    public ApiKey create(String name) {
        return createOne(Json.tree(Map.of("name", name)));
    }

    /** Creates a key with a token of your choosing (at most 512 characters; choose a long random one). */
    public ApiKey create(String name, String token) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("token", token);
        return createOne(Json.tree(body));
    }

    /**
     * Deletes a key; its token stops working at once.
     *
     * @throws SluiceException.Conflict for the last key
     */
    public void delete(String idOrName) {
        deleteOne(idOrName);
    }

    public CompletableFuture<ApiKey> createAsync(String name) {
        return http.async(() -> create(name));
    }

    public CompletableFuture<Void> deleteAsync(String idOrName) {
        return http.async(() -> {
            delete(idOrName);
            return null;
        });
    }
}
