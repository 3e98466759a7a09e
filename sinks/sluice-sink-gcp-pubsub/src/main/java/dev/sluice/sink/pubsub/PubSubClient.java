package dev.sluice.sink.pubsub;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The two calls of Pub/Sub's REST API the sink makes ({@code topics.publish}, {@code topics.get}), with a bearer
 * token from {@link AccessTokens} (none on the emulator). Answers come back as a {@link Reply} with Google's error
 * status ({@code NOT_FOUND}, {@code PERMISSION_DENIED}, …), read from the error body {@code {"error": {"code",
 * "message", "status"}}}; transport failures as {@link IOException}.
 *
 * <p>Concurrency: thread-safe; calls block (the sink makes them on virtual threads).
 */
final class PubSubClient implements AutoCloseable {
    /** The connection timeout never exceeds this, whatever the request timeout. */
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final PubSubConfig config;
    private final HttpClient http;
    private final @Nullable AccessTokens tokens;
    private final String base;

    PubSubClient(PubSubConfig config, Duration timeout) {
        this.config = config;
        this.http = HttpClient.newBuilder()
                .connectTimeout(timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        ServiceAccount account = config.useEmulator() ? null : config.serviceAccount();
        this.tokens = account == null ? null : new AccessTokens(account, http, InstantSource.system());
        String b = config.baseUrl().toString();
        this.base = b.endsWith("/") ? b.substring(0, b.length() - 1) : b;
    }

    /**
     * An answer: the HTTP status, Google's status name ({@code OK} for a success, {@code UNAUTHENTICATED} when no
     * token could be had) and a message for operators.
     */
    record Reply(int status, String code, String message) {
        boolean ok() {
            return status / 100 == 2;
        }

        /** The credentials were refused, or lack a permission. */
        boolean unauthorized() {
            return status == 401 || status == 403;
        }
    }

    /** The token endpoint could not be reached: the message says so, naming it. */
    static final class TokenUnreachable extends IOException {
        TokenUnreachable(String endpoint, IOException cause) {
            super(
                    "cannot get an access token from " + endpoint + ": "
                            + cause.getClass().getSimpleName()
                            + (cause.getMessage() == null ? "" : " " + Json.cut(cause.getMessage())),
                    cause);
        }
    }

    /** {@code POST /v1/projects/{p}/topics/{t}:publish} with {@code body}. */
    Reply publish(String topic, byte[] body, Duration timeout) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(url(topic, ":publish"))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        return call(request);
    }

    /** {@code GET /v1/projects/{p}/topics/{t}}: whether the topic exists and the credentials may see it. */
    Reply getTopic(String topic, Duration timeout) throws IOException, InterruptedException {
        return call(HttpRequest.newBuilder(url(topic, "")).timeout(timeout).GET());
    }

    /** Where requests go, for messages: the base URL, without credentials (it holds none). */
    String where() {
        return base;
    }

    private URI url(String topic, String verb) {
        return URI.create(base + "/v1/" + config.topicPath(topic) + verb);
    }

    private Reply call(HttpRequest.Builder request) throws IOException, InterruptedException {
        String token = null;
        if (tokens != null) {
            try {
                token = tokens.current(request.build().timeout().orElse(config.requestTimeout()));
            } catch (AccessTokens.Refused e) {
                return new Reply(e.credentialsRefused() ? 401 : e.status, "UNAUTHENTICATED", e.getMessage());
            } catch (IOException e) {
                throw new TokenUnreachable(tokens.endpoint(), e);
            }
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        int status = response.statusCode();
        if (status / 100 == 2) {
            return new Reply(status, "OK", "");
        }
        if (status == 401 && token != null) {
            tokens.invalidate(token); // revoked or expired early: the next call asks for a new one
        }
        return error(status, response.body());
    }

    /** Reads Google's error body; falls back to the status and the start of whatever came. */
    static Reply error(int status, @Nullable String body) {
        try {
            JsonNode error = body == null ? null : JSON.readTree(body).get("error");
            if (error != null && error.isObject()) {
                JsonNode code = error.get("status");
                JsonNode message = error.get("message");
                return new Reply(
                        status,
                        code != null && code.isString() ? code.asString() : String.valueOf(status),
                        message != null && message.isString() ? Json.cut(message.asString()) : "");
            }
        } catch (JacksonException e) {
            // not Google's JSON (a proxy's page): shown as text below
        }
        String text = body == null ? "" : body.strip();
        return new Reply(status, String.valueOf(status), Json.cut(text));
    }

    @Override
    public void close() {
        http.shutdownNow(); // a closed sink's requests fail rather than hold the close up
    }
}
