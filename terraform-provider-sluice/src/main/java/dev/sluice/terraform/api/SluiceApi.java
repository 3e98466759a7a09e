package dev.sluice.terraform.api;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Sluice (or Sequin-compatible) management API, as the provider calls it: JSON in and out, bearer token, errors
 * as {@link ApiException} with the server's own message.
 */
public final class SluiceApi implements AutoCloseable {
    public static final ObjectMapper JSON = JsonMapper.builder().build();

    private final URI endpoint;
    private final String apiKey;
    private final HttpClient http;

    public SluiceApi(URI endpoint, String apiKey) {
        String e = endpoint.toString();
        this.endpoint = URI.create(e.endsWith("/") ? e.substring(0, e.length() - 1) : e);
        this.apiKey = apiKey;
        this.http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** Ends the HTTP client's selector thread, so that the process can exit at once. */
    @Override
    public void close() {
        http.shutdownNow();
    }

    public URI endpoint() {
        return endpoint;
    }

    public JsonNode get(String path) throws ApiException {
        return send("GET", path, null);
    }

    public JsonNode post(String path, JsonNode body) throws ApiException {
        return send("POST", path, body);
    }

    public JsonNode put(String path, JsonNode body) throws ApiException {
        return send("PUT", path, body);
    }

    public JsonNode patch(String path, JsonNode body) throws ApiException {
        return send("PATCH", path, body);
    }

    public void delete(String path) throws ApiException {
        send("DELETE", path, null);
    }

    private JsonNode send(String method, String path, @Nullable JsonNode body) throws ApiException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + path))
                .timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + apiKey)
                .header("Accept", "application/json");
        if (body != null) {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ApiException(0, method + " " + endpoint + path + ": cannot reach Sluice (" + e + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(0, method + " " + path + ": interrupted");
        }
        String text = r.body() == null ? "" : r.body();
        if (r.statusCode() / 100 != 2) {
            throw new ApiException(
                    r.statusCode(), method + " " + path + ": HTTP " + r.statusCode() + ": " + summary(text));
        }
        return text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
    }

    /** The server's error message, with field errors when it gives them. */
    private static String summary(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            JsonNode s = n.path("summary");
            String out = s.isString()
                    ? s.asString()
                    : n.path("error").isString() ? n.path("error").asString() : text;
            JsonNode v = n.path("validation_errors");
            return v.isObject() && !v.isEmpty() ? out + " " + v : out;
        } catch (RuntimeException e) {
            return text;
        }
    }
}
