package dev.sluice.sink.s2;

import dev.sluice.core.sink.InvalidConfigException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Configuration of an {@link S2Sink}, validated on construction: an invalid value throws {@link
 * InvalidConfigException} at its field. Field names are Sequin's ({@code basin}, {@code stream}, {@code
 * access_token}), plus Sluice's {@code endpoint_url} and {@code request_timeout_ms}.
 *
 * <p>{@link #toString()} never shows the access token.
 *
 * @param basin the basin: 8 to 48 lowercase letters, digits and hyphens, not starting or ending with a hyphen (S2's
 *     rule)
 * @param stream the stream records are appended to: 1 to 512 bytes of UTF-8 (S2's rule)
 * @param accessToken the bearer token; required
 * @param endpointUrl the API's base URL, such as {@code http://localhost:8080/v1}, for a self-hosted S2 or a test:
 *     requests go to {@code <endpoint_url>/streams/...} with the basin in an {@code S2-Basin} header. Null: S2's
 *     cloud, {@code https://<basin>.b.s2.dev/v1}
 * @param requestTimeout how long one request (connecting included) may take; positive
 */
public record S2Config(
        String basin,
        String stream,
        String accessToken,
        @Nullable URI endpointUrl,
        Duration requestTimeout) {
    /** S2's limits on a basin name. */
    public static final int MIN_BASIN_LENGTH = 8;

    public static final int MAX_BASIN_LENGTH = 48;
    /** S2's limit on a stream name, in bytes. */
    public static final int MAX_STREAM_BYTES = 512;
    /** How long a request may take when none is configured. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    public S2Config {
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (basin == null || basin.isEmpty()) {
            throw new InvalidConfigException("basin", "is required: the S2 basin that holds the stream");
        }
        String problem = basinProblem(basin);
        if (problem != null) {
            throw new InvalidConfigException("basin", problem);
        }
        if (stream == null || stream.isEmpty()) {
            throw new InvalidConfigException("stream", "is required: the stream records are appended to");
        }
        problem = streamProblem(stream);
        if (problem != null) {
            throw new InvalidConfigException("stream", problem);
        }
        if (accessToken == null || accessToken.isBlank()) {
            throw new InvalidConfigException("access_token", "is required: an S2 access token");
        }
        if (endpointUrl != null) {
            String scheme = endpointUrl.getScheme();
            if (!("http".equals(scheme) || "https".equals(scheme))
                    || endpointUrl.getHost() == null
                    || endpointUrl.getRawQuery() != null
                    || endpointUrl.getRawFragment() != null) {
                throw new InvalidConfigException(
                        "endpoint_url",
                        "must be an http(s) URL without query, like http://localhost:8080/v1, got '" + endpointUrl
                                + "'");
            }
        }
        if (requestTimeout.isZero() || requestTimeout.isNegative()) {
            throw new InvalidConfigException(
                    "request_timeout_ms", "must be positive, got " + requestTimeout.toMillis() + " ms");
        }
    }

    /** S2's cloud, with Sluice's request timeout. */
    public S2Config(String basin, String stream, String accessToken) {
        this(basin, stream, accessToken, null, DEFAULT_REQUEST_TIMEOUT);
    }

    /** Parses {@code endpoint_url}, reporting a malformed one at its field. */
    static @Nullable URI endpoint(@Nullable String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new InvalidConfigException("endpoint_url", "is not a URL: " + e.getMessage());
        }
    }

    /** What makes {@code basin} unusable (S2's naming rule), or null; for the configured basin and a routed one. */
    static @Nullable String basinProblem(String basin) {
        if (basin.length() < MIN_BASIN_LENGTH || basin.length() > MAX_BASIN_LENGTH) {
            return "is " + basin.length() + " characters long; S2 basin names have " + MIN_BASIN_LENGTH + " to "
                    + MAX_BASIN_LENGTH;
        }
        for (int i = 0; i < basin.length(); i++) {
            char c = basin.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
                return "may hold only lowercase letters, digits and hyphens, got '" + c + "'";
            }
        }
        if (basin.startsWith("-") || basin.endsWith("-")) {
            return "may not begin or end with a hyphen";
        }
        return null;
    }

    /** What makes {@code stream} unusable (empty, or over 512 bytes), or null; for the configured and a routed one. */
    static @Nullable String streamProblem(String stream) {
        if (stream.isEmpty()) {
            return "is empty";
        }
        int bytes = stream.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_STREAM_BYTES) {
            return "is " + bytes + " bytes long; at most " + MAX_STREAM_BYTES;
        }
        return null;
    }

    /** {@code basin/stream}, for messages. */
    public String target() {
        return basin + "/" + stream;
    }

    @Override
    public String toString() {
        return "S2Config[basin=" + basin + ", stream=" + stream + ", accessToken=***, endpointUrl=" + endpointUrl
                + ", requestTimeout=" + requestTimeout.toMillis() + " ms]";
    }
}
