package dev.sluice.server.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small client for the management API in tests: every call returns the status and the parsed body. */
public final class ApiClient {
    public static final JsonMapper JSON = JsonMapper.builder().build();

    public record Reply(int status, String text, JsonNode body) {
        public JsonNode get(String field) {
            return body.get(field);
        }

        @Override
        public String toString() {
            return status + " " + text;
        }
    }

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final @Nullable String token;

    public ApiClient(int port, @Nullable String token) {
        this.base = "http://localhost:" + port;
        this.token = token;
    }

    public ApiClient withToken(@Nullable String other) {
        return new ApiClient(Integer.parseInt(base.substring(base.lastIndexOf(':') + 1)), other);
    }

    public Reply get(String path) {
        return send("GET", path, null, null);
    }

    public Reply delete(String path) {
        return send("DELETE", path, null, null);
    }

    public Reply post(String path, @Nullable String json) {
        return send("POST", path, json, json == null ? null : "application/json");
    }

    public Reply put(String path, String json) {
        return send("PUT", path, json, "application/json");
    }

    public Reply patch(String path, String json) {
        return send("PATCH", path, json, "application/json");
    }

    public Reply send(String method, String path, @Nullable String body, @Nullable String contentType) {
        return sendBytes(
                method,
                path,
                body == null ? null : body.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                contentType);
    }

    public Reply sendBytes(String method, String path, byte @Nullable [] body, @Nullable String contentType) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(60))
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode parsed;
            try {
                parsed = JSON.readTree(r.body().isEmpty() ? "null" : r.body());
            } catch (RuntimeException e) {
                parsed = JSON.getNodeFactory().stringNode(r.body());
            }
            return new Reply(r.statusCode(), r.body(), parsed);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
