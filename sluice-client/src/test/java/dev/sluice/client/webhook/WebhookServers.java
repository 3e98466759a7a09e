package dev.sluice.client.webhook;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/** Posting signed (or not) events to the receivers the filter and handler tests run. */
final class WebhookServers {
    static final String SECRET = "whsec_receiver_secret";
    static final String EVENT = "{\"id\":\"evt_42\",\"type\":\"backfill.completed\","
            + "\"created_at\":\"2026-12-07T03:00:00Z\",\"data\":{\"backfill\":{\"table\":\"public.orders\"}}}";

    private WebhookServers() {}

    static HttpResponse<String> post(URI url, String body, String signature) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpRequest.Builder b = HttpRequest.newBuilder(url)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            if (signature != null) {
                b.header(WebhookSignature.HEADER, signature);
            }
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    static String sign(String body, Instant at) {
        return WebhookSignature.compute(body, SECRET, at);
    }
}
