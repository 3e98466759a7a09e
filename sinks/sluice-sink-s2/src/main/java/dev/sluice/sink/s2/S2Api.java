package dev.sluice.sink.s2;

import dev.sluice.core.JsonWriter;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * S2's REST API as this sink uses it: append (<a href="https://s2.dev/docs/api/records/append">{@code POST
 * /streams/{stream}/records}</a>) and check-tail ({@code GET /streams/{stream}/records/tail}), with a bearer token,
 * JSON bodies and {@code s2-format: raw} (header names, values and bodies as UTF-8 text), and errors read as S2 writes
 * them: {@code {"code": "...", "message": "..."}} with a conventional status (<a
 * href="https://s2.dev/docs/api/error-codes">error codes</a>).
 *
 * <p>Thread-safe: one HTTP client per sink.
 */
final class S2Api implements AutoCloseable {
    /** S2's limits on one append: records, and metered bytes (of one record and of the batch). */
    static final int MAX_RECORDS = 1000;

    static final int MAX_METERED_BYTES = 1024 * 1024;

    private static final Pattern CODE = Pattern.compile("\"code\"\\s*:\\s*\"([^\"\\\\]{1,64})\"");
    private static final Pattern MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"([^\"\\\\]{0,300})");
    private static final byte[] RECORDS = JsonWriter.name("records");
    private static final byte[] BODY = JsonWriter.name("body");

    /** Where one stream's requests go, and the basin header when the endpoint is not the basin's own host. */
    record Target(
            String basin,
            String stream,
            URI records,
            URI tail,
            @Nullable String basinHeader) {
        static Target of(S2Config config, String basin, String stream) {
            String path = "/streams/"
                    + URLEncoder.encode(stream, StandardCharsets.UTF_8).replace("+", "%20") + "/records";
            URI base = config.endpointUrl();
            String root = base == null
                    ? "https://" + basin + ".b.s2.dev/v1"
                    : base.toString().replaceAll("/+$", "");
            return new Target(
                    basin,
                    stream,
                    URI.create(root + path),
                    URI.create(root + path + "/tail"),
                    base == null ? null : basin);
        }

        String where() {
            return "S2 stream " + basin + "/" + stream;
        }
    }

    /** An HTTP answer: its status and (for errors) a short description from S2's error body. */
    record Reply(int status, String body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        /** S2 found the request itself bad: it fails however often it is sent. */
        boolean invalid() {
            return status == 400 || status == 413 || status == 422;
        }

        String describe() {
            Matcher code = CODE.matcher(body);
            Matcher message = MESSAGE.matcher(body);
            return "HTTP " + status + (code.find() ? " " + code.group(1) : "")
                    + (message.find() ? ": " + message.group(1) : "");
        }
    }

    private final HttpClient client;
    private final String authorization;
    private final Duration timeout;

    S2Api(S2Config config) {
        this.client = HttpClient.newBuilder()
                .connectTimeout(min(config.requestTimeout(), Duration.ofSeconds(10)))
                .version(
                        config.endpointUrl() == null
                                        || "https".equals(config.endpointUrl().getScheme())
                                ? HttpClient.Version.HTTP_2
                                : HttpClient.Version.HTTP_1_1) // no h2c upgrade on plain http
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.authorization = "Bearer " + config.accessToken();
        this.timeout = config.requestTimeout();
    }

    /**
     * Appends {@code bodies} (message JSON, UTF-8) as one atomic batch of records without headers.
     *
     * @throws IOException when no answer came (refused, reset, timed out): the append may or may not have happened
     */
    Reply append(Target target, List<byte[]> bodies) throws IOException, InterruptedException {
        JsonWriter json =
                new JsonWriter(64 + bodies.stream().mapToInt(b -> b.length + 16).sum());
        json.writeStartObject();
        json.writeName(RECORDS);
        json.writeStartArray();
        for (byte[] body : bodies) {
            json.writeStartObject();
            json.writeName(BODY);
            json.writeString(new String(body, StandardCharsets.UTF_8));
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeEndObject();
        HttpRequest.Builder request = request(target, target.records(), timeout)
                .header("Content-Type", "application/json")
                .header("s2-format", "raw")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json.array(), 0, json.size()));
        return send(request.build());
    }

    /** {@code test_connection}: a check-tail of the stream. Never throws for the server's answer. */
    CheckResult checkTail(Target target, Duration checkTimeout) {
        Reply reply;
        try {
            reply = send(request(target, target.tail(), checkTimeout).GET().build());
        } catch (IOException e) {
            return CheckResult.failed(
                    unreachable(e) ? CheckResult.Status.UNREACHABLE : CheckResult.Status.FAILED,
                    target.where() + ": " + describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CheckResult.failed(CheckResult.Status.FAILED, target.where() + ": interrupted");
        }
        if (reply.ok()) {
            return CheckResult.OK;
        }
        CheckResult.Status status = switch (reply.status()) {
            case 401, 403 -> CheckResult.Status.UNAUTHORIZED;
            case 404 -> CheckResult.Status.NOT_FOUND;
            default -> CheckResult.Status.FAILED;
        };
        String hint = switch (status) {
            case UNAUTHORIZED -> "; check access_token and its scope (it needs append and check-tail)";
            case NOT_FOUND ->
                "; check basin and stream (an append creates a missing stream only when the"
                        + " basin has create_stream_on_append)";
            default -> "";
        };
        return CheckResult.failed(status, target.where() + ": " + reply.describe() + hint);
    }

    /** Whether {@code e} means the server could not be reached (rather than failing mid-answer). */
    static boolean unreachable(IOException e) {
        return e instanceof ConnectException
                || e instanceof HttpConnectTimeoutException
                || e instanceof HttpTimeoutException
                || e.getCause() instanceof UnresolvedAddressException
                || e.getCause() instanceof ConnectException;
    }

    /** An operator's description of a failed exchange; never the token. */
    static String describe(IOException e) {
        if (e instanceof HttpTimeoutException) {
            return "no answer in time (" + e.getMessage() + ")";
        }
        String m = e.getMessage();
        return "cannot reach S2 (" + e.getClass().getSimpleName() + (m == null ? "" : ": " + m) + ")";
    }

    private HttpRequest.Builder request(Target target, URI uri, Duration requestTimeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Authorization", authorization)
                .header("Accept", "application/json");
        if (target.basinHeader() != null) {
            b.header("S2-Basin", target.basinHeader());
        }
        return b;
    }

    private Reply send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.body());
    }

    /** Closes the HTTP client; requests in progress fail. */
    @Override
    public void close() {
        client.close();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
