package dev.sluice.sink.typesense;

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
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The three calls of Typesense's API the sink makes, over the JDK {@link HttpClient} (HTTP/1.1, no redirects, no
 * retries): {@code POST /collections/{c}/documents/import?action=upsert} (JSONL), {@code DELETE
 * /collections/{c}/documents/{id}?ignore_not_found=true} and {@code GET /collections/{c}}. Every request carries the
 * key in {@code X-TYPESENSE-API-KEY}; no text this class makes shows it.
 *
 * <p>Thread-safe.
 */
final class TypesenseClient implements AutoCloseable {
    static final String KEY_HEADER = "X-TYPESENSE-API-KEY";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final TypesenseConfig config;
    private final Duration timeout;
    private final HttpClient http;

    /** An answer: the status and the body. */
    record Answer(int status, byte[] body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The body's lines, for an import's per-document results. */
        List<String> lines() {
            return new String(body, StandardCharsets.UTF_8)
                    .lines()
                    .filter(l -> !l.isBlank())
                    .toList();
        }

        /** {@code HTTP <status>: <Typesense's message>}, with a hint for the statuses a user can fix. */
        String describe() {
            String hint = switch (status) {
                case 401, 403 -> " (check api_key: it needs documents:* and collections:get on the collection)";
                case 404 -> " (create the collection first)";
                case 413 -> " (the request is over the server's payload limit)";
                case 429, 503 -> " (the server is busy; the batch is retried)";
                default -> "";
            };
            return "HTTP " + status + ": " + message(body) + hint;
        }
    }

    TypesenseClient(TypesenseConfig config, Duration timeout) {
        this.config = config;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT)
                .build();
    }

    /** Imports the documents, one JSON line each, with {@code action=upsert}. */
    Answer importDocuments(String collection, List<byte[]> lines) throws IOException, InterruptedException {
        int size = lines.size() - 1;
        for (byte[] l : lines) {
            size += l.length;
        }
        byte[] body = new byte[Math.max(0, size)];
        int at = 0;
        for (byte[] l : lines) {
            if (at > 0) {
                body[at++] = '\n';
            }
            System.arraycopy(l, 0, body, at, l.length);
            at += l.length;
        }
        return send(request(documents(collection) + "/import?action=upsert")
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    /** Deletes a document; a missing one is a {@code 200} (or a {@code 404} from servers before 26.0). */
    Answer deleteDocument(String collection, String id) throws IOException, InterruptedException {
        return send(request(documents(collection) + "/" + segment(id) + "?ignore_not_found=true")
                .DELETE());
    }

    /** Retrieves the collection. */
    Answer collection(String collection) throws IOException, InterruptedException {
        return send(request("/collections/" + segment(collection)).GET());
    }

    /** {@code test_connection}: the collection is retrieved; never throws. */
    static CheckResult check(TypesenseConfig config, Duration timeout) {
        String where = where(config, config.collectionName());
        try (TypesenseClient client = new TypesenseClient(config, timeout)) {
            Answer a = client.collection(config.collectionName());
            if (a.ok()) {
                return CheckResult.OK;
            }
            CheckResult.Status status = switch (a.status()) {
                case 401, 403 -> CheckResult.Status.UNAUTHORIZED;
                case 404 -> CheckResult.Status.NOT_FOUND;
                default -> CheckResult.Status.FAILED;
            };
            return CheckResult.failed(status, where + ": " + a.describe());
        } catch (IOException e) {
            return CheckResult.failed(
                    unreachable(e) ? CheckResult.Status.UNREACHABLE : CheckResult.Status.FAILED,
                    where + ": " + describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CheckResult.failed(CheckResult.Status.FAILED, where + ": interrupted");
        }
    }

    /** Whether a failed call never reached the server, or it did not answer in time. */
    static boolean unreachable(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException
                    || t instanceof HttpConnectTimeoutException
                    || t instanceof HttpTimeoutException
                    || t instanceof UnresolvedAddressException) {
                return true;
            }
        }
        return false;
    }

    /** A failed call, for messages: the exception's kind and text, never a header. */
    static String describe(IOException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getMessage() == null) {
            root = root.getCause();
        }
        String kind = e instanceof HttpTimeoutException ? "timed out" : unreachable(e) ? "unreachable" : "I/O error";
        return kind + " (" + root.getClass().getSimpleName()
                + (root.getMessage() == null ? "" : ": " + root.getMessage()) + ")";
    }

    static String where(TypesenseConfig config, String collection) {
        return "Typesense " + config.endpointUrl() + " collection '" + collection + "'";
    }

    @Override
    public void close() {
        http.close();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(config.endpointUrl() + path))
                .timeout(timeout)
                .header(KEY_HEADER, config.apiKey());
    }

    private Answer send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(r.statusCode(), r.body());
    }

    private static String documents(String collection) {
        return "/collections/" + segment(collection) + "/documents";
    }

    /** A path segment, percent-encoded (a space as {@code %20}, a slash as {@code %2F}). */
    static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Typesense's {@code message} (or an import line's {@code error}), else the body cut short. */
    static String message(byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.get("message") instanceof JsonNode m && m.isString()) {
                return m.asString();
            }
            if (n != null && n.get("error") instanceof JsonNode m && m.isString()) {
                return m.asString();
            }
        } catch (JacksonException e) {
            // not JSON: a proxy's page, say
        }
        String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).strip();
        return text.isEmpty() ? "(no body)" : text;
    }
}
