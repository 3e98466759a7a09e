package dev.sluice.sink.webhook;

import dev.sluice.core.sink.InvalidConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of a {@link WebhookSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at the Sequin field it comes from ({@code http_endpoint} for the URL and the endpoint's
 * headers, {@code request_timeout_ms}).
 *
 * <p>Maps Sequin's webhook sink: {@code url} is the HTTP endpoint's {@code url} joined with the sink's
 * {@code http_endpoint_path} (see {@link #join(String, String)}), {@code headers} holds the endpoint's
 * {@code headers} and decrypted {@code encrypted_headers}, {@code batch} is the sink's {@code batch}.
 *
 * <p>Header values may be secrets: {@link #toString()} shows header names only and a redacted URL.
 *
 * @param url where requests are POSTed; http or https, with a host
 * @param headers extra request headers, sent as given; never null
 * @param batch true: one request per batch with body {@code {"data":[...]}}; false: one request per
 *     message, whose body is the message itself
 * @param requestTimeout how long to wait for a response (connect included); positive
 * @param endpointUrl the endpoint's URL, before {@code http_endpoint_path}: a path a routing function sets ({@code
 *     endpoint_path}) is joined to it instead. Same scheme, user info, host and port as {@code url}
 */
public record WebhookConfig(
        URI url, Map<String, String> headers, boolean batch, Duration requestTimeout, URI endpointUrl) {
    /** Used when no {@code request_timeout_ms} is configured. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /** Most characters of {@code http_endpoint_path}, and of a routed {@code endpoint_path} (Sequin's limit). */
    public static final int MAX_PATH_LENGTH = 2000;

    /** The URL and headers come from the sink's {@code http_endpoint}. */
    private static final String URL_FIELD = "http_endpoint";

    // The HTTP client sets these itself (or must not send them): they frame the request or the connection.
    private static final Set<String> RESTRICTED_HEADERS =
            Set.of("connection", "content-length", "expect", "host", "te", "transfer-encoding", "upgrade");

    public WebhookConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(endpointUrl, "endpointUrl");
        checkUrl(url);
        checkUrl(endpointUrl);
        if (!sameServer(url, endpointUrl)) {
            throw new InvalidConfigException(
                    URL_FIELD,
                    "webhook url " + Redaction.url(url) + " is not on the endpoint's server "
                            + Redaction.url(endpointUrl));
        }
        String problem = headersProblem(headers);
        if (problem != null) {
            throw new InvalidConfigException(URL_FIELD, problem);
        }
        headers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new InvalidConfigException(
                    "request_timeout_ms", "must be positive, got " + requestTimeout.toMillis() + " ms");
        }
    }

    /** A configuration whose {@code url} is the endpoint's: a routed {@code endpoint_path} is joined to it. */
    public WebhookConfig(URI url, Map<String, String> headers, boolean batch, Duration requestTimeout) {
        this(url, headers, batch, requestTimeout, url);
    }

    /** A configuration with the {@linkplain #DEFAULT_REQUEST_TIMEOUT default request timeout}. */
    public WebhookConfig(URI url, Map<String, String> headers, boolean batch) {
        this(url, headers, batch, DEFAULT_REQUEST_TIMEOUT);
    }

    private static void checkUrl(URI url) {
        String scheme = url.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
            throw new InvalidConfigException(
                    URL_FIELD, "webhook url must start with http:// or https://, got " + Redaction.url(url));
        }
        if (url.getHost() == null || url.getHost().isEmpty()) {
            throw new InvalidConfigException(URL_FIELD, "webhook url has no host: " + Redaction.url(url));
        }
        if (url.getRawFragment() != null) {
            throw new InvalidConfigException(
                    URL_FIELD, "webhook url must not have a #fragment (it is never sent): " + Redaction.url(url));
        }
    }

    // One HTTP client (and its connections) serves the url and every path routed under endpointUrl.
    private static boolean sameServer(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost().equalsIgnoreCase(b.getHost())
                && a.getPort() == b.getPort()
                && Objects.equals(a.getRawUserInfo(), b.getRawUserInfo());
    }

    /**
     * What makes {@code path} unusable as {@code http_endpoint_path} or as a routed {@code endpoint_path}, or null:
     * it must be empty or start with {@code /}, and have at most {@value #MAX_PATH_LENGTH} characters.
     */
    static @Nullable String pathProblem(String path) {
        if (path.length() > MAX_PATH_LENGTH) {
            return "is " + path.length() + " characters long; at most " + MAX_PATH_LENGTH;
        }
        if (!path.isEmpty() && !path.startsWith("/")) {
            return "must start with '/'";
        }
        return null;
    }

    /**
     * What makes {@code headers} unsendable, or null: a name that is not an HTTP token, appears twice (ignoring case)
     * or is one the HTTP client sets itself ({@code Host}, {@code Content-Length}, …), or a value that is not a string
     * or has control characters. For the endpoint's headers and for headers a routing function sets. Values never
     * appear in the text: they may be credentials.
     */
    static @Nullable String headersProblem(Map<String, ?> headers) {
        Set<String> seen = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (Map.Entry<String, ?> h : headers.entrySet()) {
            String name = h.getKey();
            String problem = headerProblem(name, h.getValue());
            if (problem != null) {
                return problem;
            }
            if (!seen.add(name)) {
                return "header '" + name + "' is configured twice (names ignore case)";
            }
        }
        return null;
    }

    /**
     * Joins an endpoint URL and a sink's path with exactly one slash between them, keeping the
     * endpoint's query string and appending the path's, if any:
     *
     * <pre>
     * join("https://h.io/api/", "/hooks")       = https://h.io/api/hooks
     * join("https://h.io", "hooks?x=1")         = https://h.io/hooks?x=1
     * join("https://h.io/in?key=k", "orders")   = https://h.io/in/orders?key=k
     * join("https://h.io/in", null or "")       = https://h.io/in
     * </pre>
     *
     * @param endpointUrl absolute http or https URL; not null
     * @param path extra path, with or without leading slash; null or blank for none
     * @throws IllegalArgumentException when the result is not a valid URL (the message hides userinfo
     *     and query values)
     */
    public static URI join(String endpointUrl, @Nullable String path) {
        Objects.requireNonNull(endpointUrl, "endpointUrl");
        URI base = parse(endpointUrl.strip());
        if (path == null || path.isBlank()) {
            return base;
        }
        String p = path.strip();
        String extraQuery = null;
        int q = p.indexOf('?');
        if (q >= 0) {
            extraQuery = p.substring(q + 1);
            p = p.substring(0, q);
        }
        String basePath = base.getRawPath() == null ? "" : base.getRawPath();
        String joinedPath = stripTrailingSlashes(basePath) + "/" + stripLeadingSlashes(p);
        String query = base.getRawQuery();
        if (extraQuery != null && !extraQuery.isEmpty()) {
            query = query == null || query.isEmpty() ? extraQuery : query + "&" + extraQuery;
        }
        StringBuilder s = new StringBuilder();
        s.append(base.getScheme()).append("://");
        if (base.getRawAuthority() != null) {
            s.append(base.getRawAuthority());
        }
        s.append(joinedPath);
        if (query != null) {
            s.append('?').append(query);
        }
        return parse(s.toString());
    }

    private static URI parse(String url) {
        try {
            URI uri = new URI(url);
            if (!uri.isAbsolute() || uri.isOpaque()) {
                throw new IllegalArgumentException("webhook url must be absolute, like https://example.com/hook; got '"
                        + Redaction.text(url) + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(
                    "webhook url is not a valid URL (" + e.getReason() + "): '" + Redaction.text(url) + "'");
        }
    }

    private static String stripTrailingSlashes(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '/') {
            end--;
        }
        return s.substring(0, end);
    }

    private static String stripLeadingSlashes(String s) {
        int start = 0;
        while (start < s.length() && s.charAt(start) == '/') {
            start++;
        }
        return s.substring(start);
    }

    private static @Nullable String headerProblem(@Nullable String name, @Nullable Object value) {
        if (name == null || name.isEmpty()) {
            return "header name must not be empty";
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isTokenChar(name.charAt(i))) {
                // The name is not secret; show it so the operator can find the typo.
                return "header name '" + name + "' has an invalid character at index " + i;
            }
        }
        if (RESTRICTED_HEADERS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
            return "header '" + name + "' is set by the HTTP client and cannot be configured";
        }
        if (value == null) {
            return "header '" + name + "' has no value";
        }
        if (!(value instanceof String text)) {
            return "header '" + name + "' has a value that is not a string";
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            // The value stays out of the message: it may be a credential.
            if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
                return "header '" + name + "' has an invalid character in its value";
            }
        }
        return null;
    }

    // RFC 9110 token: visible ASCII except delimiters.
    private static boolean isTokenChar(char c) {
        if (c <= 0x20 || c >= 0x7f) {
            return false;
        }
        return "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
    }

    @Override
    public String toString() {
        return "WebhookConfig[url=" + Redaction.url(url) + ", headers=" + headers.keySet() + ", batch=" + batch
                + ", requestTimeout=" + Redaction.duration(requestTimeout) + "]";
    }
}
