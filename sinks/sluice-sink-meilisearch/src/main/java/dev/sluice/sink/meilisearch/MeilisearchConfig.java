package dev.sluice.sink.meilisearch;

import dev.sluice.core.sink.BaseUrls;
import dev.sluice.core.sink.InvalidConfigException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of a {@link MeilisearchSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. Field names, defaults and bounds are Sequin's ({@code endpoint_url}, {@code
 * index_name}, {@code primary_key}, {@code api_key}, {@code batch_size}, {@code timeout_seconds}).
 *
 * <p>{@link #toString()} never shows the API key.
 *
 * @param endpointUrl the server's base URL, http or https, without query or fragment; a path is kept as a prefix.
 *     No trailing slash
 * @param indexName the index documents go to: Meilisearch's index uid rules (letters, digits, {@code -}, {@code _},
 *     at most {@value #MAX_INDEX_UID_BYTES} bytes)
 * @param primaryKey the index's primary key attribute, {@code id} by default
 * @param apiKey sent as {@code Authorization: Bearer <key>}
 * @param batchSize the most documents in one request, 1 to {@value #MAX_BATCH_SIZE}
 * @param timeout how long one request may take, and the wait for one task, 1 s to 300 s
 */
public record MeilisearchConfig(
        URI endpointUrl, String indexName, String primaryKey, String apiKey, int batchSize, Duration timeout) {
    /** Sequin's {@code batch_size} for Meilisearch. */
    public static final int DEFAULT_BATCH_SIZE = 100;
    /** Sequin's upper bound of {@code batch_size}. */
    public static final int MAX_BATCH_SIZE = 10_000;
    /** Sequin's {@code timeout_seconds}. */
    public static final int DEFAULT_TIMEOUT_SECONDS = 5;
    /** Sequin's upper bound of {@code timeout_seconds}. */
    public static final int MAX_TIMEOUT_SECONDS = 300;
    /** Sequin's {@code primary_key}. */
    public static final String DEFAULT_PRIMARY_KEY = "id";
    /** Meilisearch's limit on an index uid. */
    public static final int MAX_INDEX_UID_BYTES = 400;

    private static final Pattern INDEX_UID = Pattern.compile("[a-zA-Z0-9_-]+");

    public MeilisearchConfig {
        Objects.requireNonNull(endpointUrl, "endpointUrl");
        Objects.requireNonNull(timeout, "timeout");
        String problem = indexProblem(indexName);
        if (problem != null) {
            throw new InvalidConfigException("index_name", problem);
        }
        if (primaryKey == null || primaryKey.isBlank()) {
            throw new InvalidConfigException("primary_key", "must not be empty; Meilisearch's default is id");
        }
        if (apiKey == null || apiKey.isEmpty()) {
            throw new InvalidConfigException("api_key", "is required: a Meilisearch API key with documents.* access");
        }
        if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
            throw new InvalidConfigException(
                    "batch_size", "must be between 1 and " + MAX_BATCH_SIZE + ", got " + batchSize);
        }
        if (timeout.compareTo(Duration.ofSeconds(1)) < 0
                || timeout.compareTo(Duration.ofSeconds(MAX_TIMEOUT_SECONDS)) > 0) {
            throw new InvalidConfigException(
                    "timeout_seconds", "must be between 1 and " + MAX_TIMEOUT_SECONDS + ", got " + timeout.toSeconds());
        }
    }

    /**
     * Builds a configuration from the values as users write them.
     *
     * @param primaryKey null for {@link #DEFAULT_PRIMARY_KEY}
     * @param batchSize null for {@link #DEFAULT_BATCH_SIZE}
     * @param timeoutSeconds null for {@link #DEFAULT_TIMEOUT_SECONDS}
     * @throws InvalidConfigException naming the field and how to fix it
     */
    public static MeilisearchConfig of(
            @Nullable String endpointUrl,
            @Nullable String indexName,
            @Nullable String primaryKey,
            @Nullable String apiKey,
            @Nullable Integer batchSize,
            @Nullable Integer timeoutSeconds) {
        return new MeilisearchConfig(
                endpointUrl(endpointUrl),
                indexName == null ? "" : indexName,
                primaryKey == null ? DEFAULT_PRIMARY_KEY : primaryKey.strip(),
                apiKey,
                batchSize == null ? DEFAULT_BATCH_SIZE : batchSize,
                Duration.ofSeconds(timeoutSeconds == null ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds));
    }

    static URI endpointUrl(@Nullable String value) {
        return BaseUrls.check("endpoint_url", value, "https://search.example.com:7700", "api_key");
    }

    /**
     * What makes {@code uid} unusable as an index uid (Meilisearch's rule: letters, digits, {@code -} and {@code _},
     * at most {@value #MAX_INDEX_UID_BYTES} bytes), or null. For the configured name and for one a routing function
     * chose.
     */
    static @Nullable String indexProblem(@Nullable String uid) {
        if (uid == null || uid.isEmpty()) {
            return "is required: the index documents are added to";
        }
        if (!INDEX_UID.matcher(uid).matches()) {
            return "may contain only letters, digits, '-' and '_' (Meilisearch's index uid rule)";
        }
        if (uid.getBytes(StandardCharsets.UTF_8).length > MAX_INDEX_UID_BYTES) {
            return "is " + uid.length() + " characters long; at most " + MAX_INDEX_UID_BYTES;
        }
        return null;
    }

    @Override
    public String toString() {
        return "MeilisearchConfig[endpointUrl=" + endpointUrl + ", indexName=" + indexName + ", primaryKey="
                + primaryKey + ", apiKey=***, batchSize=" + batchSize + ", timeout=" + timeout.toSeconds() + " s]";
    }
}
