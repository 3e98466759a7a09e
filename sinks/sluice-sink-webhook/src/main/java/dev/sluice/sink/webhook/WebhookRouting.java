package dev.sluice.sink.webhook;

import dev.sluice.core.sink.RouteCache;
import dev.sluice.core.sink.SinkException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Turns a batch's routing (Sequin's HTTP push routing keys) into the request that carries it:
 *
 * <ul>
 *   <li>{@code method}: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS, in any case; POST when absent. The body is
 *       sent with every method (see {@link Http1Client}).
 *   <li>{@code endpoint_path}: replaces the sink's {@code http_endpoint_path} under the endpoint's URL, joined as the
 *       configured path is ({@link WebhookConfig#join}); empty or starting with {@code /}, at most {@value
 *       WebhookConfig#MAX_PATH_LENGTH} characters ({@link WebhookConfig#pathProblem}). Absent or null: the sink's URL.
 *   <li>{@code headers}: an object of header names to string values, added to the endpoint's headers (a name the
 *       endpoint has, ignoring case, gets the routed value), checked as the endpoint's are ({@link
 *       WebhookConfig#headersProblem}). Absent or null: none added.
 * </ul>
 *
 * <p>A value that breaks its rule fails the batch with a retriable {@link SinkException} naming the key, the value
 * (for headers only the name: values may be credentials) and the rule. The requests of the last {@value #MAX_PATHS}
 * routed paths are kept, so a routed batch joins and checks its URL once.
 *
 * <p>Thread-safe.
 */
final class WebhookRouting {
    static final String METHOD = "method";
    static final String ENDPOINT_PATH = "endpoint_path";
    static final String HEADERS = "headers";

    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");
    private static final Set<String> METHOD_SET = Set.copyOf(METHODS);
    private static final int MAX_PATHS = 256;

    /**
     * A request to send a batch with.
     *
     * @param head the method, target and headers
     * @param displayUrl the URL in failure messages, without user info and query values
     */
    record Request(Http1Client.Head head, String displayUrl) {}

    /** A routed path's request target and display URL. */
    private record Target(String target, String displayUrl) {}

    private final WebhookConfig config;
    private final Http1Client client;
    private final Target configuredTarget;
    private final Request configured;
    private final RouteCache<Target> targets = new RouteCache<>(MAX_PATHS);

    WebhookRouting(WebhookConfig config, Http1Client client) {
        this.config = config;
        this.client = client;
        this.configuredTarget = new Target(Http1Client.target(config.url()), Redaction.url(config.url()));
        this.configured =
                new Request(client.head("POST", configuredTarget.target(), Map.of()), configuredTarget.displayUrl());
    }

    /** The request of a batch without routing: POST to the sink's URL with its headers. */
    Request configured() {
        return configured;
    }

    /**
     * The request of a batch with {@code routing}.
     *
     * @throws SinkException (retriable) when a routed value breaks its rule
     */
    Request request(Map<String, Object> routing) {
        String method = "POST";
        if (routing.containsKey(METHOD)) {
            method = method(routing.get(METHOD));
        }
        Target target = configuredTarget;
        Object path = routing.get(ENDPOINT_PATH);
        if (path != null) {
            target = target(path);
        }
        Map<String, String> headers = Map.of();
        Object routedHeaders = routing.get(HEADERS);
        if (routedHeaders != null) {
            headers = headers(routedHeaders);
        }
        if (method.equals("POST") && target == configuredTarget && headers.isEmpty()) {
            return configured;
        }
        return new Request(client.head(method, target.target(), headers), target.displayUrl());
    }

    private static String method(@Nullable Object value) {
        String method = value instanceof String s ? s.toUpperCase(Locale.ROOT) : null;
        if (method == null || !METHOD_SET.contains(method)) {
            throw SinkException.invalidRouting(
                    METHOD, value, "is not a method Sluice sends (one of " + String.join(", ", METHODS) + ")");
        }
        return method;
    }

    private Target target(Object value) {
        if (!(value instanceof String path)) {
            throw SinkException.invalidRouting(ENDPOINT_PATH, value, "must be a string, a path like /orders");
        }
        return targets.get(path, p -> {
            String problem = WebhookConfig.pathProblem(p);
            if (problem != null) {
                throw SinkException.invalidRouting(ENDPOINT_PATH, p, problem);
            }
            URI url;
            try {
                url = WebhookConfig.join(config.endpointUrl().toString(), p);
            } catch (IllegalArgumentException e) {
                throw SinkException.invalidRouting(ENDPOINT_PATH, p, "makes no valid URL: " + e.getMessage());
            }
            return new Target(Http1Client.target(url), Redaction.url(url));
        });
    }

    private static Map<String, String> headers(Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            // The value itself stays out: it may hold a credential.
            throw new SinkException(
                    "routing: headers must be an object of header names to string values, got " + kind(value), true);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            Object name = e.getKey();
            Object text = e.getValue();
            if (name instanceof String n && text instanceof String t) {
                headers.put(n, t);
            } else {
                // The first entry that is not string to string: headersProblem says what is wrong with it.
                Map<String, Object> one = new LinkedHashMap<>();
                one.put(String.valueOf(name), text);
                String problem = WebhookConfig.headersProblem(one);
                throw new SinkException(
                        "routing: headers: " + (problem != null ? problem : "header names must be strings"), true);
            }
        }
        String problem = WebhookConfig.headersProblem(headers);
        if (problem != null) {
            throw new SinkException("routing: headers: " + problem, true);
        }
        return headers;
    }

    private static String kind(Object value) {
        return switch (value) {
            case String s -> "a string";
            case Number n -> "a number";
            case Boolean b -> "a boolean";
            case List<?> l -> "a list";
            default -> value.getClass().getSimpleName();
        };
    }
}
