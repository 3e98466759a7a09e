package dev.sluice.client;

import java.util.concurrent.CompletableFuture;

/**
 * {@code /api/webhooks}: notification webhooks, subscriptions to Sluice's events. Get one from
 * {@link SluiceClient#webhooks()}; verify deliveries with {@link dev.sluice.client.webhook.WebhookSignature}.
 *
 * <p>Concurrency: thread-safe; calls block (the {@code Async} ones run on the client's executor).
 */
public final class Webhooks extends ResourceGroup<Webhook> {
    Webhooks(ApiHttp http) {
        super(http, "/api/webhooks", Webhook::from);
    }

    public Webhook get(String idOrName) {
        return getOne(idOrName);
    }

    /**
     * Creates a webhook.
     *
     * @return it, with its signing {@link Webhook#secret()}: the only time the secret is shown
     */
    public Webhook create(WebhookRequest request) {
        return createOne(request.body());
    }

    public Webhook update(String idOrName, WebhookRequest request) {
        return updateOne(idOrName, request.body());
    }

    public void delete(String idOrName) {
        deleteOne(idOrName);
    }

    /** Sends a test event now and says how it went. */
    public WebhookTest test(String idOrName) {
        return WebhookTest.from(http.post(one(idOrName) + "/test", null));
    }

    /**
     * Makes a new signing secret. While receivers switch over, deliveries carry a signature by each secret.
     *
     * @return the webhook with its new {@link Webhook#secret()}, shown only here
     */
    public Webhook rotateSecret(String idOrName) {
        return parse.apply(http.post(one(idOrName) + "/rotate_secret", null));
    }

    public CompletableFuture<Webhook> getAsync(String idOrName) {
        return http.async(() -> get(idOrName));
    }

    public CompletableFuture<Webhook> createAsync(WebhookRequest request) {
        return http.async(() -> create(request));
    }

    public CompletableFuture<Webhook> updateAsync(String idOrName, WebhookRequest request) {
        return http.async(() -> update(idOrName, request));
    }

    public CompletableFuture<Void> deleteAsync(String idOrName) {
        return http.async(() -> {
            delete(idOrName);
            return null;
        });
    }
}
