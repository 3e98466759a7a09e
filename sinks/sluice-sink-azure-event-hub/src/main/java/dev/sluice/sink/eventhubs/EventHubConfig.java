package dev.sluice.sink.eventhubs;

import dev.sluice.core.sink.InvalidConfigException;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of an {@link EventHubSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. Field names are Sequin's ({@code namespace}, {@code event_hub_name}, {@code
 * shared_access_key_name}, {@code shared_access_key}), plus Sluice's {@code endpoint_url}, {@code max_batch_bytes}
 * and {@code request_timeout_ms}.
 *
 * <p>{@link #toString()} never shows the key.
 *
 * @param namespace the Event Hubs namespace's name, such as {@code my-namespace} (Azure's rule: 6 to 50 letters,
 *     digits and hyphens, starting with a letter, ending with a letter or digit)
 * @param eventHubName the event hub events are sent to (Azure's rule: 1 to 256 letters, digits, periods, hyphens and
 *     underscores, starting and ending with a letter or digit)
 * @param sharedAccessKeyName the shared access policy's name
 * @param sharedAccessKey the policy's key (primary or secondary)
 * @param endpointUrl where requests go instead of {@code https://<namespace>.servicebus.windows.net}; null for that
 * @param maxBatchBytes the largest request body, in bytes: the tier's limit on an event batch (1 MiB on Standard and
 *     above, 256 KiB on Basic)
 * @param requestTimeout how long one request may take; positive
 */
public record EventHubConfig(
        String namespace,
        String eventHubName,
        String sharedAccessKeyName,
        String sharedAccessKey,
        @Nullable URI endpointUrl,
        int maxBatchBytes,
        Duration requestTimeout) {
    /** The limit on an event batch of the Standard, Premium and Dedicated tiers. */
    public static final int DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
    /** How long one request may take by default. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private static final String DNS_SUFFIX = ".servicebus.windows.net";
    private static final Pattern NAMESPACE = Pattern.compile("[a-zA-Z][a-zA-Z0-9-]{4,48}[a-zA-Z0-9]");
    private static final Pattern EVENT_HUB = Pattern.compile("[a-zA-Z0-9]([a-zA-Z0-9._-]{0,254}[a-zA-Z0-9])?");

    public EventHubConfig {
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (namespace == null || namespace.isBlank()) {
            throw new InvalidConfigException("namespace", "is required: the Event Hubs namespace, like my-namespace");
        }
        if (namespace.toLowerCase(java.util.Locale.ROOT).endsWith(DNS_SUFFIX) || namespace.contains("://")) {
            throw new InvalidConfigException(
                    "namespace", "is the namespace's name only, like my-namespace (without " + DNS_SUFFIX + ")");
        }
        if (!NAMESPACE.matcher(namespace).matches()) {
            throw new InvalidConfigException(
                    "namespace",
                    "must be 6 to 50 letters, digits and hyphens, start with a letter and end with a letter or digit;"
                            + " got '" + namespace + "'");
        }
        if (eventHubName == null || eventHubName.isEmpty()) {
            throw new InvalidConfigException("event_hub_name", "is required: the event hub events are sent to");
        }
        String hubProblem = eventHubNameProblem(eventHubName);
        if (hubProblem != null) {
            throw new InvalidConfigException("event_hub_name", hubProblem);
        }
        if (sharedAccessKeyName == null || sharedAccessKeyName.isBlank()) {
            throw new InvalidConfigException(
                    "shared_access_key_name", "is required: the shared access policy, like RootManageSharedAccessKey");
        }
        if (sharedAccessKey == null || sharedAccessKey.isEmpty()) {
            throw new InvalidConfigException("shared_access_key", "is required: the policy's primary or secondary key");
        }
        if (endpointUrl != null) {
            String scheme = endpointUrl.getScheme();
            if (scheme == null
                    || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                    || endpointUrl.getHost() == null
                    || endpointUrl.getRawQuery() != null
                    || endpointUrl.getRawUserInfo() != null) {
                throw new InvalidConfigException(
                        "endpoint_url", "must be an http(s) base URL without user or query, got '" + endpointUrl + "'");
            }
        }
        if (maxBatchBytes < 1) {
            throw new InvalidConfigException("max_batch_bytes", "must be positive, got " + maxBatchBytes);
        }
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new InvalidConfigException(
                    "request_timeout_ms", "must be positive, got " + requestTimeout.toMillis() + " ms");
        }
    }

    /** With Azure's endpoint, the Standard tier's batch limit and the default request timeout. */
    public EventHubConfig(String namespace, String eventHubName, String sharedAccessKeyName, String sharedAccessKey) {
        this(
                namespace,
                eventHubName,
                sharedAccessKeyName,
                sharedAccessKey,
                null,
                DEFAULT_MAX_BATCH_BYTES,
                DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * What makes {@code name} unusable as an event hub name (Azure's rule), or null when it is usable. For the
     * configured event hub and for one a routing function chose.
     */
    static @Nullable String eventHubNameProblem(String name) {
        if (!EVENT_HUB.matcher(name).matches()) {
            return "must be 1 to 256 letters, digits, periods, hyphens and underscores, starting and ending with a"
                    + " letter or digit";
        }
        return null;
    }

    /** The base URL of the namespace: {@code endpoint_url}, or {@code https://<namespace>.servicebus.windows.net}. */
    public String baseUrl() {
        if (endpointUrl != null) {
            String s = endpointUrl.toString();
            return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        }
        return "https://" + namespace + DNS_SUFFIX;
    }

    @Override
    public String toString() {
        return "EventHubConfig[namespace=" + namespace + ", eventHubName=" + eventHubName + ", sharedAccessKeyName="
                + sharedAccessKeyName + ", sharedAccessKey=***, endpointUrl=" + endpointUrl + ", maxBatchBytes="
                + maxBatchBytes + ", requestTimeout=" + requestTimeout.toMillis() + " ms]";
    }
}
