package dev.sluice.server.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The config routes of a Sluice server ({@code /api/config/plan|apply|export}), for the CLI. Every failure is a
 * {@link CliException} whose message says what to fix; the API key is never part of one.
 */
final class ConfigClient {
    static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    // An apply checks the connection of every database it changes, which can take a while on a slow network.
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
    private final String endpoint;
    private final URI base;
    private final @Nullable String apiKey;
    private final String dash;

    /**
     * @param endpoint the server's address, such as {@code http://localhost:7376}
     * @param apiKey sent as {@code Authorization: Bearer}; none when {@code null} or blank
     * @param unicode whether messages may use {@code —}
     */
    ConfigClient(String endpoint, @Nullable String apiKey, boolean unicode) {
        this.endpoint = endpoint;
        this.base = base(endpoint);
        this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey.strip();
        this.dash = unicode ? "—" : "-";
    }

    /** The changes an apply of {@code yaml} would make: the server's plan answer. */
    JsonNode plan(String yaml, boolean prune) {
        return send("POST", "/api/config/plan" + (prune ? "?prune=true" : ""), yaml);
    }

    /** Applies {@code yaml}: the server's apply answer. */
    JsonNode apply(String yaml, boolean prune) {
        return send("POST", "/api/config/apply" + (prune ? "?prune=true" : ""), yaml);
    }

    /** The stored configuration as sluice.yaml text. */
    String export(boolean showSensitive) {
        JsonNode body = send("GET", "/api/config/export" + (showSensitive ? "?show_sensitive=true" : ""), null);
        JsonNode yaml = body.get("yaml");
        if (yaml == null || !yaml.isString()) {
            throw unexpected("the export has no 'yaml' field");
        }
        return yaml.asString("");
    }

    private static URI base(String endpoint) {
        String e = endpoint.strip();
        while (e.endsWith("/")) {
            e = e.substring(0, e.length() - 1);
        }
        try {
            URI uri = new URI(e);
            if (("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
                    && uri.getHost() != null) {
                return uri;
            }
        } catch (URISyntaxException ignored) {
            // reported below
        }
        throw new CliException(
                "--endpoint must be an http:// or https:// URL such as http://localhost:7376, got '" + endpoint + "'");
    }

    /** Any JSON route of the API: the answer's JSON object, or a {@link CliException} saying what went wrong. */
    JsonNode json(String method, String path, @Nullable String json) {
        return send(method, path, json, "application/json");
    }

    private JsonNode send(String method, String path, @Nullable String body) {
        return send(method, path, body, "application/yaml");
    }

    private JsonNode send(String method, String path, @Nullable String body, String contentType) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json")
                .header("User-Agent", "sluice-cli/" + SluiceCommand.Version.current());
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", contentType)
                    .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw unreachable(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
        JsonNode json = parse(response.body());
        int status = response.statusCode();
        if ((status == 200 || status == 201) && json != null && json.isObject()) {
            return json;
        }
        if (status == 200 || status == 201) {
            throw unexpected("HTTP 200 without a JSON object");
        }
        if (json == null || !json.isObject() || !json.has("summary")) {
            throw unexpected("HTTP " + status + (json == null ? ", not JSON" : ""));
        }
        throw failed(status, json, path);
    }

    private @Nullable JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (JacksonException e) {
            return null;
        }
    }

    private CliException unreachable(IOException e) {
        String why = reason(e);
        String hint = why.equals("connection refused")
                ? "is the server running? set --endpoint or SLUICE_ENDPOINT"
                : "check --endpoint or SLUICE_ENDPOINT";
        return new CliException("cannot reach Sluice at " + endpoint + ": " + why + " " + dash + " " + hint);
    }

    private String reason(IOException e) {
        if (e instanceof HttpConnectTimeoutException) {
            return "no connection within " + CONNECT_TIMEOUT.toSeconds() + " s";
        }
        if (e instanceof HttpTimeoutException) {
            return "no answer within " + REQUEST_TIMEOUT.toMinutes() + " min";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
                return "unknown host '" + base.getHost() + "'";
            }
            if (t instanceof SSLException) {
                return "TLS failed: " + t.getMessage();
            }
        }
        // The HTTP client's ConnectException for a refused connection often has no message of its own.
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return "connection refused";
            }
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private CliException unexpected(String what) {
        return new CliException(
                "unexpected answer from " + endpoint + " (" + what + ") " + dash + " is --endpoint a Sluice server?");
    }

    private CliException failed(int status, JsonNode error, String path) {
        String summary = error.get("summary").asString("");
        if (status == 401) {
            return new CliException(
                    apiKey == null
                            ? "the server needs an API key " + dash + " set --api-key or SLUICE_API_KEY"
                            : "the API key was refused " + dash + " set --api-key or SLUICE_API_KEY");
        }
        StringBuilder m = new StringBuilder();
        JsonNode fields = error.get("validation_errors");
        if (status == 422 && fields != null && fields.isObject() && !fields.isEmpty()) {
            m.append(path.startsWith("/api/jobs") ? "the job spec is invalid:" : "the configuration is invalid:");
            for (Map.Entry<String, JsonNode> f : fields.properties()) {
                for (JsonNode message : f.getValue()) {
                    m.append("\n  ");
                    if (!f.getKey().isEmpty()) {
                        m.append(f.getKey()).append(": ");
                    }
                    m.append(message.asString(""));
                }
            }
        } else {
            m.append("the server refused the request (HTTP ")
                    .append(status)
                    .append("): ")
                    .append(summary);
        }
        return new CliException(m.toString());
    }
}
