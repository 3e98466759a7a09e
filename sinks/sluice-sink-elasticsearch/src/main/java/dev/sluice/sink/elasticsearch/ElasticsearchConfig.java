package dev.sluice.sink.elasticsearch;

import dev.sluice.core.sink.InvalidConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of an {@link ElasticsearchSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. Field names are Sequin's ({@code endpoint_url}, {@code index_name}, {@code
 * auth_type}, {@code auth_value}, {@code batch_size}), plus Sluice's {@code max_request_bytes} and {@code
 * request_timeout_ms}.
 *
 * <p>{@link #toString()} never shows {@code auth_value}.
 *
 * @param endpointUrl the cluster's base URL, http or https, with an optional path prefix (a proxy's); no query
 * @param indexName the index documents go to, by Elasticsearch's naming rules ({@link #indexNameProblem})
 * @param authType how {@code authValue} is sent: {@code api_key}, {@code basic} or {@code bearer}
 * @param authValue the credential; null to send no {@code Authorization} header (a cluster without security)
 * @param batchSize most documents in one bulk request, 1 to {@value #MAX_BATCH_SIZE}; a larger batch is split
 * @param maxRequestBytes most bytes of one bulk request body: the peer's {@code http.max_content_length}. A
 *     document whose bulk entry alone is larger is rejected; requests are split below it
 * @param requestTimeout how long one request (connect included) may take; positive
 */
public record ElasticsearchConfig(
        URI endpointUrl,
        String indexName,
        String authType,
        @Nullable String authValue,
        int batchSize,
        int maxRequestBytes,
        Duration requestTimeout) {
    /** Sequin's {@code batch_size}: documents per bulk request. */
    public static final int DEFAULT_BATCH_SIZE = 100;
    /** Sequin's upper bound on {@code batch_size}. */
    public static final int MAX_BATCH_SIZE = 10_000;
    /** Elasticsearch's and OpenSearch's default {@code http.max_content_length} (100 MB). */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 100 * 1024 * 1024;
    /** Sluice's default request timeout. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** Sequin's default {@code auth_type}. */
    public static final String DEFAULT_AUTH_TYPE = "api_key";
    /** Elasticsearch's limit on an index name, in UTF-8 bytes. */
    static final int MAX_INDEX_NAME_BYTES = 255;

    public ElasticsearchConfig {
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (endpointUrl == null) {
            throw new InvalidConfigException("endpoint_url", "is required, like https://es.example.com:9200");
        }
        endpointUrl = normalized(endpointUrl);
        if (indexName == null || indexName.isEmpty()) {
            throw new InvalidConfigException("index_name", "is required: the index documents are written to");
        }
        String problem = indexNameProblem(indexName);
        if (problem != null) {
            throw new InvalidConfigException("index_name", problem);
        }
        authType = authType == null ? DEFAULT_AUTH_TYPE : authType.strip().toLowerCase(Locale.ROOT);
        if (!authType.equals("api_key") && !authType.equals("basic") && !authType.equals("bearer")) {
            throw new InvalidConfigException("auth_type", "must be api_key, basic or bearer, got '" + authType + "'");
        }
        authValue = authValue == null || authValue.isBlank() ? null : authValue.strip();
        if (authValue != null && authValue.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidConfigException("auth_value", "contains a control character (a line break?)");
        }
        if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
            throw new InvalidConfigException(
                    "batch_size", "must be between 1 and " + MAX_BATCH_SIZE + ", got " + batchSize);
        }
        if (maxRequestBytes < 1024) {
            throw new InvalidConfigException(
                    "max_request_bytes", "must be at least 1024 bytes, got " + maxRequestBytes);
        }
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new InvalidConfigException(
                    "request_timeout_ms", "must be positive, got " + requestTimeout.toMillis() + " ms");
        }
    }

    /** With Sequin's defaults and Sluice's limits. */
    public ElasticsearchConfig(URI endpointUrl, String indexName, String authType, @Nullable String authValue) {
        this(
                endpointUrl,
                indexName,
                authType,
                authValue,
                DEFAULT_BATCH_SIZE,
                DEFAULT_MAX_REQUEST_BYTES,
                DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * What makes {@code name} unusable as an index name by Elasticsearch's and OpenSearch's rules, or null when it
     * is usable: lowercase, not {@code .} or {@code ..}, not starting with {@code -}, {@code _} or {@code +}, none of
     * {@code \ / * ? " < > | , # :} or a space, at most {@value #MAX_INDEX_NAME_BYTES} bytes. For the configured
     * name and for a name a routing function chose.
     */
    static @Nullable String indexNameProblem(String name) {
        if (name.isEmpty()) {
            return "is empty";
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_INDEX_NAME_BYTES) {
            return "is " + bytes + " bytes long; at most " + MAX_INDEX_NAME_BYTES;
        }
        if (name.equals(".") || name.equals("..")) {
            return "cannot be '.' or '..'";
        }
        char first = name.charAt(0);
        if (first == '-' || first == '_' || first == '+') {
            return "cannot start with '" + first + "'";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if ("\\/*?\"<>|,#: ".indexOf(c) >= 0 || Character.isISOControl(c)) {
                return "cannot contain '" + (Character.isISOControl(c) ? String.format("\\u%04x", (int) c) : c)
                        + "' (not allowed in index names)";
            }
            if (Character.isUpperCase(c)) {
                return "must be lowercase, got '" + name + "'";
            }
        }
        return null;
    }

    /**
     * The {@code Authorization} header value: {@code ApiKey <v>}, {@code Basic <v>} or {@code Bearer <v>}; null
     * without {@code auth_value}. A {@code basic} value holding a colon is {@code username:password} and is Base64
     * encoded here; one without is taken as already encoded (Base64 has no colon), as Sequin takes it.
     */
    @Nullable
    String authorization() {
        if (authValue == null) {
            return null;
        }
        return switch (authType) {
            case "basic" ->
                "Basic "
                        + (authValue.indexOf(':') >= 0
                                ? Base64.getEncoder().encodeToString(authValue.getBytes(StandardCharsets.UTF_8))
                                : authValue);
            case "bearer" -> "Bearer " + authValue;
            default -> "ApiKey " + authValue;
        };
    }

    private static URI normalized(URI url) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new InvalidConfigException(
                    "endpoint_url",
                    "must be an http or https URL, like https://es.example.com:9200, got '" + url + "'");
        }
        if (url.getHost() == null || url.getHost().isEmpty()) {
            throw new InvalidConfigException("endpoint_url", "has no host: '" + url + "'");
        }
        if (url.getRawUserInfo() != null) {
            throw new InvalidConfigException(
                    "endpoint_url", "must not hold credentials; put them in auth_type and auth_value");
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null) {
            throw new InvalidConfigException("endpoint_url", "must not have a query or fragment");
        }
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        try {
            return new URI(scheme + "://" + url.getRawAuthority() + path);
        } catch (URISyntaxException e) {
            throw new InvalidConfigException("endpoint_url", "is not a valid URL: " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "ElasticsearchConfig[endpointUrl=" + endpointUrl + ", indexName=" + indexName + ", authType="
                + authType + ", authValue=" + (authValue == null ? "null" : "***") + ", batchSize=" + batchSize
                + ", maxRequestBytes=" + maxRequestBytes + ", requestTimeout=" + requestTimeout.toMillis() + " ms]";
    }
}
