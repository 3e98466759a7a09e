package dev.sluice.sink.typesense;

import dev.sluice.core.sink.BaseUrls;
import dev.sluice.core.sink.InvalidConfigException;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of a {@link TypesenseSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. Field names, defaults and bounds are Sequin's ({@code endpoint_url}, {@code
 * collection_name}, {@code api_key}, {@code batch_size}, {@code timeout_seconds}).
 *
 * <p>{@link #toString()} never shows the API key.
 *
 * @param endpointUrl the server's base URL, http or https, without query or fragment; a path is kept as a prefix
 *     (a server behind a proxy). No trailing slash
 * @param collectionName the collection documents go to, 1 to {@value #MAX_COLLECTION_NAME} characters
 * @param apiKey sent in {@code X-TYPESENSE-API-KEY}
 * @param batchSize the most documents in one import request, 1 to {@value #MAX_BATCH_SIZE}
 * @param timeout how long one request may take, 1 s to 1 h
 */
public record TypesenseConfig(URI endpointUrl, String collectionName, String apiKey, int batchSize, Duration timeout) {
    /** Sequin's {@code batch_size} for Typesense. */
    public static final int DEFAULT_BATCH_SIZE = 40;
    /** Sequin's upper bound of {@code batch_size}. */
    public static final int MAX_BATCH_SIZE = 10_000;
    /** Sequin's {@code timeout_seconds}. */
    public static final int DEFAULT_TIMEOUT_SECONDS = 10;
    /** Sequin's upper bound of {@code timeout_seconds}. */
    public static final int MAX_TIMEOUT_SECONDS = 3600;
    /** Sequin's limit on {@code collection_name}. */
    public static final int MAX_COLLECTION_NAME = 1024;

    public TypesenseConfig {
        Objects.requireNonNull(endpointUrl, "endpointUrl");
        Objects.requireNonNull(timeout, "timeout");
        String problem = collectionProblem(collectionName);
        if (problem != null) {
            throw new InvalidConfigException("collection_name", problem);
        }
        if (apiKey == null || apiKey.isEmpty()) {
            throw new InvalidConfigException("api_key", "is required: a Typesense API key with documents:* access");
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
     * @param endpointUrl required, such as {@code https://search.example.com:8108}
     * @param collectionName required
     * @param apiKey required
     * @param batchSize null for {@link #DEFAULT_BATCH_SIZE}
     * @param timeoutSeconds null for {@link #DEFAULT_TIMEOUT_SECONDS}
     * @throws InvalidConfigException naming the field and how to fix it
     */
    public static TypesenseConfig of(
            @Nullable String endpointUrl,
            @Nullable String collectionName,
            @Nullable String apiKey,
            @Nullable Integer batchSize,
            @Nullable Integer timeoutSeconds) {
        return new TypesenseConfig(
                endpointUrl(endpointUrl),
                collectionName == null ? "" : collectionName,
                apiKey,
                batchSize == null ? DEFAULT_BATCH_SIZE : batchSize,
                Duration.ofSeconds(timeoutSeconds == null ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds));
    }

    /**
     * Sequin's rules for {@code endpoint_url}: an http or https URL with a host, no query and no fragment. A trailing
     * slash is dropped.
     *
     * @throws InvalidConfigException at {@code endpoint_url}
     */
    static URI endpointUrl(@Nullable String value) {
        return BaseUrls.check("endpoint_url", value, "https://search.example.com:8108", "api_key");
    }

    /**
     * What makes {@code name} unusable as a collection name (empty, or longer than Sequin's limit), or null. For the
     * configured name and for one a routing function chose.
     */
    static @Nullable String collectionProblem(@Nullable String name) {
        if (name == null || name.isEmpty()) {
            return "is required: the collection documents are imported into";
        }
        if (name.length() > MAX_COLLECTION_NAME) {
            return "is " + name.length() + " characters long; at most " + MAX_COLLECTION_NAME;
        }
        return null;
    }

    @Override
    public String toString() {
        return "TypesenseConfig[endpointUrl=" + endpointUrl + ", collectionName=" + collectionName
                + ", apiKey=***, batchSize=" + batchSize + ", timeout=" + timeout.toSeconds() + " s]";
    }
}
