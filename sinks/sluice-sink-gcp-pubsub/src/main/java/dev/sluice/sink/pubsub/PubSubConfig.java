package dev.sluice.sink.pubsub;

import dev.sluice.core.sink.InvalidConfigException;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of a {@link PubSubSink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. Field names are Sequin's ({@code project_id}, {@code topic_id}, {@code
 * credentials}, {@code use_emulator}, {@code emulator_base_url}), plus Sluice's {@code endpoint_url} and {@code
 * request_timeout_ms}.
 *
 * <p>{@link #toString()} never shows the credentials.
 *
 * @param projectId the Google Cloud project of the topic; Sequin's rule: 6 to 30 lowercase letters, digits and
 *     hyphens, starting with a letter
 * @param topicId the topic messages are published to; Sequin's rule: 3 to 255 characters of {@code
 *     [a-zA-Z0-9-_.~+%]}, starting with a letter, and not starting with {@code goog}
 * @param credentials the JSON key file of the service account whose tokens authorise the calls (as text or
 *     base64-encoded), checked on construction, read by {@link #serviceAccount()}; null only with the emulator, which
 *     takes none. A value of asterisks only is a masked secret (the server validates stored configurations with their
 *     secrets masked) and is taken unchecked
 * @param useEmulator whether to talk to a Pub/Sub emulator at {@code emulatorBaseUrl}, without credentials
 * @param emulatorBaseUrl the emulator's base URL, such as {@code http://localhost:8085}; required with the emulator
 * @param endpointUrl the service's base URL when not on the emulator: Google's global endpoint by default, or a
 *     locational one such as {@code https://us-east1-pubsub.googleapis.com}
 * @param requestTimeout how long one request (a token, a publish, a topic look-up) may take; positive
 */
public record PubSubConfig(
        String projectId,
        String topicId,
        @Nullable String credentials,
        boolean useEmulator,
        @Nullable URI emulatorBaseUrl,
        URI endpointUrl,
        Duration requestTimeout) {
    /** Google's global Pub/Sub endpoint. */
    public static final URI DEFAULT_ENDPOINT = URI.create("https://pubsub.googleapis.com");
    /** How long one request may take by default. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private static final Pattern PROJECT_ID = Pattern.compile("[a-z][-a-z0-9]{4,28}[a-z0-9]");
    private static final Pattern TOPIC_ID = Pattern.compile("[a-zA-Z][a-zA-Z0-9\\-_.~+%]{2,254}");

    public PubSubConfig {
        Objects.requireNonNull(endpointUrl, "endpointUrl");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (projectId == null || projectId.isBlank()) {
            throw new InvalidConfigException("project_id", "is required: the project of the topic, like my-project");
        }
        if (!PROJECT_ID.matcher(projectId).matches()) {
            throw new InvalidConfigException(
                    "project_id",
                    "must be between 6 and 30 characters, start with a letter, and contain only lowercase letters,"
                            + " numbers, and hyphens; got '" + projectId + "'");
        }
        if (topicId == null || topicId.isEmpty()) {
            throw new InvalidConfigException("topic_id", "is required: the topic messages are published to");
        }
        String topicProblem = topicIdProblem(topicId);
        if (topicProblem != null) {
            throw new InvalidConfigException("topic_id", topicProblem);
        }
        if (useEmulator) {
            if (emulatorBaseUrl == null) {
                throw new InvalidConfigException(
                        "emulator_base_url", "is required with use_emulator, like http://localhost:8085");
            }
            checkHttpUrl("emulator_base_url", emulatorBaseUrl);
        } else if (credentials == null) {
            throw new InvalidConfigException(
                    "credentials", "is required (a service account's JSON key file) unless use_emulator is true");
        }
        if (credentials != null && !isMasked(credentials)) {
            ServiceAccount.parse(credentials); // throws at credentials when it is no key file
        }
        if (emulatorBaseUrl != null) {
            checkHttpUrl("emulator_base_url", emulatorBaseUrl);
        }
        checkHttpUrl("endpoint_url", endpointUrl);
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new InvalidConfigException(
                    "request_timeout_ms", "must be positive, got " + requestTimeout.toMillis() + " ms");
        }
    }

    /** With Google's endpoint and the default request timeout. */
    public PubSubConfig(
            String projectId,
            String topicId,
            @Nullable String credentials,
            boolean useEmulator,
            @Nullable URI emulatorBaseUrl) {
        this(projectId, topicId, credentials, useEmulator, emulatorBaseUrl, DEFAULT_ENDPOINT, DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * What makes {@code topicId} unusable as a topic id (Sequin's rule), or null when it is usable. For the
     * configured topic and for one a routing function chose.
     */
    static @Nullable String topicIdProblem(String topicId) {
        if (!TOPIC_ID.matcher(topicId).matches()) {
            return "must be between 3 and 255 characters, start with a letter, and match [a-zA-Z][a-zA-Z0-9-_.~+%]*";
        }
        if (topicId.regionMatches(true, 0, "goog", 0, 4)) {
            return "must not start with 'goog' (reserved by Google)";
        }
        return null;
    }

    /**
     * The service account of {@code credentials}; null when there are none (the emulator).
     *
     * @throws InvalidConfigException at {@code credentials} when they are a masked secret rather than a key file
     */
    public @Nullable ServiceAccount serviceAccount() {
        return credentials == null ? null : ServiceAccount.parse(credentials);
    }

    private static boolean isMasked(String text) {
        return !text.isEmpty() && text.chars().allMatch(c -> c == '*');
    }

    /** The base URL requests go to: the emulator's, or the service's. */
    public URI baseUrl() {
        return useEmulator ? Objects.requireNonNull(emulatorBaseUrl) : endpointUrl;
    }

    /** {@code projects/<project>/topics/<topic>} of {@code topic}. */
    String topicPath(String topic) {
        return "projects/" + projectId + "/topics/" + topic;
    }

    private static void checkHttpUrl(String field, URI url) {
        String scheme = url.getScheme();
        if (scheme == null
                || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || url.getHost() == null) {
            throw new InvalidConfigException(field, "must start with http:// or https://, got '" + url + "'");
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null || url.getRawUserInfo() != null) {
            throw new InvalidConfigException(field, "must be a base URL without user, query or fragment");
        }
    }

    @Override
    public String toString() {
        return "PubSubConfig[projectId=" + projectId + ", topicId=" + topicId + ", credentials="
                + (credentials == null ? "null" : "***") + ", useEmulator="
                + useEmulator + ", emulatorBaseUrl=" + emulatorBaseUrl + ", endpointUrl=" + endpointUrl
                + ", requestTimeout=" + requestTimeout.toMillis() + " ms]";
    }
}
