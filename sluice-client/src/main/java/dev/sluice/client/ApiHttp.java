package dev.sluice.client;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.MissingNode;

/**
 * Sends one API call: the token, JSON in and out, the {@code Idempotency-Key} of a POST, retries by the
 * {@link RetryPolicy}, and error answers turned into {@link SluiceException}s.
 *
 * <p>Concurrency: immutable and thread-safe; each call blocks its thread (async calls run on the executor).
 */
final class ApiHttp {
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    static final String REQUEST_ID = "X-Request-Id";

    private final URI base;
    private final @Nullable String token;
    private final HttpClient client;
    private final Duration requestTimeout;
    private final RetryPolicy retry;
    private final boolean idempotencyKeys;
    private final Executor executor;

    ApiHttp(
            URI base,
            @Nullable String token,
            HttpClient client,
            Duration requestTimeout,
            RetryPolicy retry,
            boolean idempotencyKeys,
            Executor executor) {
        String text = base.toString();
        this.base = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        this.token = token;
        this.client = client;
        this.requestTimeout = requestTimeout;
        this.retry = retry;
        this.idempotencyKeys = idempotencyKeys;
        this.executor = executor;
    }

    URI base() {
        return base;
    }

    /** A path segment, percent-encoded (names may hold dots and dashes, which stay as they are). */
    static String seg(String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("an id or name is required, got '" + value + "'");
        }
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** {@code path?k=v&...} with the non-null parameters, encoded. */
    static String query(String path, Map<String, ?> params) {
        List<String> parts = new ArrayList<>();
        params.forEach((k, v) -> {
            if (v != null) {
                parts.add(k + "=" + URLEncoder.encode(String.valueOf(v), StandardCharsets.UTF_8));
            }
        });
        return parts.isEmpty() ? path : path + "?" + String.join("&", parts);
    }

    static Map<String, Object> params(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    JsonNode get(String path) {
        return send("GET", path, null);
    }

    JsonNode put(String path, JsonNode body) {
        return send("PUT", path, body);
    }

    JsonNode delete(String path) {
        return send("DELETE", path, null);
    }

    /** A POST; it carries a fresh {@code Idempotency-Key} (and may then be retried) unless keys are turned off. */
    JsonNode post(String path, @Nullable JsonNode body) {
        return send("POST", path, body);
    }

    <T> CompletableFuture<T> async(Supplier<T> call) {
        return CompletableFuture.supplyAsync(call, executor);
    }

    /** Waits for an async call, rethrowing its SluiceException as it is. */
    static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    private JsonNode send(String method, String path, @Nullable JsonNode body) {
        String key =
                method.equals("POST") && idempotencyKeys ? UUID.randomUUID().toString() : null;
        boolean retryable = !method.equals("POST") || key != null;
        String call = method + " " + path;
        HttpRequest request = request(method, path, body, key);
        for (int attempt = 1; ; attempt++) {
            boolean last = !retryable || attempt >= retry.maxAttempts();
            HttpResponse<byte[]> response;
            try {
                response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException e) {
                String summary = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                if (last) {
                    throw new SluiceException.Transport(
                            call + " to " + base + " failed after " + attempt + " attempt(s): " + summary, summary, e);
                }
                pause(call, retry.backoff(attempt));
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SluiceException.Transport(call + " was interrupted", "interrupted", e);
            }
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                return parse(response.body());
            }
            SluiceException error = error(call + (attempt > 1 ? " (attempt " + attempt + ")" : ""), response);
            boolean transientStatus = status == 429 || status == 502 || status == 503 || status == 504;
            if (last || !transientStatus) {
                throw error;
            }
            Duration wait = retry.backoff(attempt);
            if (error instanceof SluiceException.RateLimited limited
                    && !limited.retryAfter().isZero()) {
                if (limited.retryAfter().compareTo(retry.maxDelay()) > 0) {
                    throw error; // longer than the policy lets a call wait: the caller decides
                }
                wait = limited.retryAfter();
            }
            pause(call, wait);
        }
    }

    private HttpRequest request(String method, String path, @Nullable JsonNode body, @Nullable String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(requestTimeout)
                .header("Accept", "application/json")
                .header("User-Agent", "sluice-client-java");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (key != null) {
            b.header(IDEMPOTENCY_KEY, key);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
            b.method(method, HttpRequest.BodyPublishers.ofByteArray(Json.MAPPER.writeValueAsBytes(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return b.build();
    }

    private static void pause(String call, Duration wait) {
        try {
            Thread.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SluiceException.Transport(call + " was interrupted while waiting to retry", "interrupted", e);
        }
    }

    private static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            return MissingNode.getInstance();
        }
        return Json.MAPPER.readTree(body);
    }

    private static SluiceException error(String call, HttpResponse<byte[]> response) {
        int status = response.statusCode();
        JsonNode body;
        try {
            body = parse(response.body());
        } catch (RuntimeException e) {
            body = MissingNode.getInstance();
        }
        String summary = body.isObject() ? Json.str(body, "summary") : null;
        if (summary == null && body.isObject()) {
            summary = Json.str(body, "error");
        }
        if (summary == null) {
            String text = new String(response.body(), StandardCharsets.UTF_8).strip();
            summary = "HTTP " + status
                    + (text.isEmpty() ? "" : ": " + (text.length() > 200 ? text.substring(0, 200) + "…" : text));
        }
        String requestId = response.headers().firstValue(REQUEST_ID).orElse(null);
        if (requestId == null && body.isObject()) {
            requestId = Json.str(body, "request_id");
        }
        Map<String, List<String>> fields = new LinkedHashMap<>();
        JsonNode v = body.path("validation_errors");
        if (v.isObject()) {
            for (Map.Entry<String, JsonNode> e : v.properties()) {
                List<String> messages = new ArrayList<>();
                if (e.getValue().isArray()) {
                    e.getValue().forEach(m -> messages.add(m.asString()));
                } else {
                    messages.add(e.getValue().asString());
                }
                fields.put(e.getKey(), List.copyOf(messages));
            }
        }
        Duration retryAfter = response.headers()
                .firstValue("Retry-After")
                .map(ApiHttp::retryAfter)
                .orElse(Duration.ZERO);
        return SluiceException.of(call, status, summary, requestId, fields, retryAfter);
    }

    /** {@code Retry-After}: delay-seconds or an HTTP date; zero when unreadable. */
    static Duration retryAfter(String value) {
        String v = value.strip();
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(v)));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(java.time.Instant.now(), at.toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException e2) {
                return Duration.ZERO;
            }
        }
    }
}
