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
 */
public record WebhookConfig(URI url, Map<String, String> headers, boolean batch, Duration requestTimeout) {
    /** Used when no {@code request_timeout_ms} is configured. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /** The URL and headers come from the sink's {@code http_endpoint}. */
    private static final String URL_FIELD = "http_endpoint";

    // The HTTP client sets these itself (or must not send them): they frame the request or the connection.
    private static final Set<String> RESTRICTED_HEADERS =
            Set.of("connection", "content-length", "expect", "host", "te", "transfer-encoding", "upgrade");

    public WebhookConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
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
        Map<String, String> copy = new LinkedHashMap<>();
        Set<String> seen = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (Map.Entry<String, String> h : headers.entrySet()) {
            String name = h.getKey();
            validateHeader(name, h.getValue());
            if (!seen.add(name)) {
                throw new InvalidConfigException(
                        URL_FIELD, "header '" + name + "' is configured twice (names ignore case)");
            }
            copy.put(name, h.getValue());
        }
        headers = java.util.Collections.unmodifiableMap(copy);
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new InvalidConfigException(
                    "request_timeout_ms", "must be positive, got " + requestTimeout.toMillis() + " ms");
        }
    }

    /** A configuration with the {@linkplain #DEFAULT_REQUEST_TIMEOUT default request timeout}. */
    public WebhookConfig(URI url, Map<String, String> headers, boolean batch) {
        this(url, headers, batch, DEFAULT_REQUEST_TIMEOUT);
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

    private static void validateHeader(@Nullable String name, @Nullable String value) {
        if (name == null || name.isEmpty()) {
            throw new InvalidConfigException(URL_FIELD, "header name must not be empty");
        }
        for (int i = 0; i < name.length(); i++) {
            if (!isTokenChar(name.charAt(i))) {
                // The name is not secret; show it so the operator can find the typo.
                throw new InvalidConfigException(
                        URL_FIELD, "header name '" + name + "' has an invalid character at index " + i);
            }
        }
        if (RESTRICTED_HEADERS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
            throw new InvalidConfigException(
                    URL_FIELD, "header '" + name + "' is set by the HTTP client and cannot be configured");
        }
        if (value == null) {
            throw new InvalidConfigException(URL_FIELD, "header '" + name + "' has no value");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            // The value stays out of the message: it may be a credential.
            if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
                throw new InvalidConfigException(
                        URL_FIELD, "header '" + name + "' has an invalid character in its value");
            }
        }
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
