package dev.sluice.sink.meilisearch;

import dev.sluice.core.sink.CheckResult;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The calls of Meilisearch's API the sink makes, over the JDK {@link HttpClient} (HTTP/1.1, no redirects, no
 * retries), each with {@code Authorization: Bearer <key>}; no text this class makes shows the key.
 *
 * <p>A write is asynchronous in Meilisearch: the request answers {@code 202} with a task, which the server applies
 * later, one at a time in enqueue order. {@link #write} enqueues and then polls {@code GET /tasks/{uid}} until the
 * task {@code succeeded} or {@code failed}, waiting at most {@link #taskWait}.
 *
 * <p>Thread-safe.
 */
final class MeilisearchClient implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** How long a task may stay enqueued or processing before the batch is left to retry, at least. */
    static final Duration MIN_TASK_WAIT = Duration.ofSeconds(60);

    private final MeilisearchConfig config;
    private final Duration timeout;
    private final HttpClient http;

    /** An HTTP answer: the status and the body. */
    record Answer(int status, byte[] body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        /** Meilisearch's error {@code code}, or null. */
        @Nullable
        String code() {
            JsonNode n = json(body);
            return n != null && n.get("code") instanceof JsonNode c && c.isString() ? c.asString() : null;
        }

        /** {@code HTTP <status>: <message> (<code>)}, with a hint for the statuses a user can fix. */
        String describe() {
            String hint = switch (status) {
                case 401, 403 -> " (check api_key: it needs documents.add, documents.delete and tasks.get)";
                case 413 -> " (the request is over the server's payload limit)";
                case 429, 503 -> " (the server is busy; the batch is retried)";
                default -> "";
            };
            return "HTTP " + status + ": " + message(json(body), body) + hint;
        }
    }

    /** A task's end: {@code succeeded}, or {@code failed} with Meilisearch's error code and message. */
    record TaskEnd(long uid, boolean succeeded, @Nullable String code, String message) {}

    /** A request that did not end in a task's outcome: refused, or the task was not seen to end. */
    static final class Failed extends Exception {
        final @Nullable Answer answer;

        Failed(String message, @Nullable Answer answer) {
            super(message, null, false, false);
            this.answer = answer;
        }
    }

    MeilisearchClient(MeilisearchConfig config, Duration timeout) {
        this.config = config;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT)
                .build();
    }

    /** The longest wait for one task. */
    Duration taskWait() {
        return timeout.compareTo(MIN_TASK_WAIT) > 0 ? timeout : MIN_TASK_WAIT;
    }

    /** {@code POST /indexes/{uid}/documents?primaryKey=…} (add or replace) with NDJSON. */
    HttpRequest.Builder addDocuments(String index, List<byte[]> lines) {
        int size = Math.max(0, lines.size() - 1);
        for (byte[] l : lines) {
            size += l.length;
        }
        byte[] body = new byte[size];
        int at = 0;
        for (byte[] l : lines) {
            if (at > 0) {
                body[at++] = '\n';
            }
            System.arraycopy(l, 0, body, at, l.length);
            at += l.length;
        }
        return request("/indexes/" + segment(index) + "/documents?primaryKey="
                        + URLEncoder.encode(config.primaryKey(), StandardCharsets.UTF_8))
                .header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    /** {@code POST /indexes/{uid}/documents/delete-batch} with a JSON array of ids. */
    HttpRequest.Builder deleteDocuments(String index, List<JsonNode> ids) {
        return request("/indexes/" + segment(index) + "/documents/delete-batch")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(ids)));
    }

    /** {@code POST /indexes/{uid}/documents/edit} with {@code {"filter", "function", "context"}}. */
    HttpRequest.Builder editDocuments(String index, byte[] body) {
        return request("/indexes/" + segment(index) + "/documents/edit")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    /**
     * Sends a write and waits for its task to end.
     *
     * @param stop asked between polls, so that a closed sink stops waiting
     * @throws Failed when the request is answered with anything but {@code 202} (with that answer), cannot be sent,
     *     or its task does not end within {@link #taskWait()}
     */
    TaskEnd write(HttpRequest.Builder request, BooleanSupplier stop) throws Failed, InterruptedException {
        Answer enqueued = send(request);
        if (enqueued.status() != 202) {
            throw new Failed(enqueued.describe(), enqueued);
        }
        JsonNode summary = json(enqueued.body());
        JsonNode uidNode =
                summary == null ? null : summary.has("taskUid") ? summary.get("taskUid") : summary.get("uid");
        if (uidNode == null || !uidNode.canConvertToLong()) {
            throw new Failed("HTTP 202 without a task uid", enqueued);
        }
        long uid = uidNode.asLong();
        long deadline = System.nanoTime() + taskWait().toNanos();
        long pause = 5;
        String status = "enqueued";
        while (System.nanoTime() < deadline && !stop.getAsBoolean()) {
            Answer a = send(request("/tasks/" + uid).GET());
            if (!a.ok()) {
                throw new Failed("task " + uid + ": " + a.describe(), a);
            }
            JsonNode task = json(a.body());
            status = task == null ? "" : task.path("status").asString("");
            switch (status) {
                case "succeeded" -> {
                    return new TaskEnd(uid, true, null, "");
                }
                case "failed", "canceled" -> {
                    JsonNode error = task.path("error");
                    String code = error.path("code").asString(status.equals("canceled") ? "task_canceled" : null);
                    return new TaskEnd(uid, false, code, message(error, a.body()));
                }
                default -> {
                    Thread.sleep(pause); // Meilisearch's own clients poll every 50 ms
                    pause = Math.min(pause * 2, 250);
                }
            }
        }
        throw new Failed(
                "task " + uid + " still " + status + " after " + taskWait().toSeconds()
                        + " s; the batch is retried after it (Meilisearch applies tasks in order)",
                null);
    }

    /** {@code test_connection}: retrieves the index and compares its primary key; never throws. */
    static CheckResult check(MeilisearchConfig config, Duration timeout) {
        String where = where(config, config.indexName());
        try (MeilisearchClient client = new MeilisearchClient(config, timeout)) {
            Answer a = client.send(
                    client.request("/indexes/" + segment(config.indexName())).GET());
            if (a.ok()) {
                JsonNode index = json(a.body());
                String pk = index == null ? null : index.path("primaryKey").asString(null);
                if (pk != null && !pk.equals(config.primaryKey())) {
                    return CheckResult.failed(
                            CheckResult.Status.FAILED,
                            where + ": the index's primary key is '" + pk + "', not primary_key '" + config.primaryKey()
                                    + "'");
                }
                return CheckResult.OK;
            }
            CheckResult.Status status = switch (a.status()) {
                case 401, 403 -> CheckResult.Status.UNAUTHORIZED;
                case 404 -> CheckResult.Status.NOT_FOUND;
                default -> CheckResult.Status.FAILED;
            };
            return CheckResult.failed(status, where + ": " + a.describe());
        } catch (Failed e) {
            return CheckResult.failed(
                    e.answer == null ? CheckResult.Status.UNREACHABLE : CheckResult.Status.FAILED,
                    where + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CheckResult.failed(CheckResult.Status.FAILED, where + ": interrupted");
        }
    }

    static String where(MeilisearchConfig config, String index) {
        return "Meilisearch " + config.endpointUrl() + " index '" + index + "'";
    }

    @Override
    public void close() {
        http.close();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(config.endpointUrl() + path))
                .timeout(timeout)
                .header("Authorization", "Bearer " + config.apiKey());
    }

    /** Sends; a request that reaches no answer is {@link Failed} without one (unreachable, timed out). */
    private Answer send(HttpRequest.Builder request) throws Failed, InterruptedException {
        try {
            HttpResponse<byte[]> r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Answer(r.statusCode(), r.body());
        } catch (IOException e) {
            boolean unreachable = false;
            for (Throwable t = e; t != null; t = t.getCause()) {
                unreachable |= t instanceof ConnectException
                        || t instanceof HttpConnectTimeoutException
                        || t instanceof UnresolvedAddressException;
            }
            Throwable root = e;
            while (root.getCause() != null && root.getMessage() == null) {
                root = root.getCause();
            }
            String kind = e instanceof HttpTimeoutException ? "timed out" : unreachable ? "unreachable" : "I/O error";
            throw new Failed(
                    kind + " (" + root.getClass().getSimpleName()
                            + (root.getMessage() == null ? "" : ": " + root.getMessage()) + ")",
                    null);
        }
    }

    private static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static @Nullable JsonNode json(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (JacksonException e) {
            return null;
        }
    }

    /** Meilisearch's {@code message} and {@code code}, else the body cut short. */
    private static String message(@Nullable JsonNode error, byte[] body) {
        if (error != null && error.get("message") instanceof JsonNode m && m.isString()) {
            String code = error.path("code").asString("");
            return m.asString() + (code.isEmpty() ? "" : " (" + code + ")");
        }
        String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).strip();
        return text.isEmpty() ? "(no body)" : text;
    }
}
