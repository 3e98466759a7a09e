package dev.sluice.server.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Delivers by HTTP POST to a named {@link HttpEndpointConfig}.
 *
 * @param httpEndpoint the name of an endpoint in {@code http_endpoints}, or an absolute http(s) URL to post to
 * @param httpEndpointPath appended to the endpoint's URL; empty or starting with {@code /}
 * @param batch whether a request carries a JSON array of messages ({@code true}) or one message
 * @param requestTimeout how long one request may take before it counts as failed
 */
public record WebhookDestination(String httpEndpoint, String httpEndpointPath, boolean batch, Duration requestTimeout)
        implements DestinationConfig {
    public WebhookDestination {
        Objects.requireNonNull(httpEndpoint, "httpEndpoint");
        Objects.requireNonNull(httpEndpointPath, "httpEndpointPath");
        if (!httpEndpointPath.isEmpty() && !httpEndpointPath.startsWith("/")) {
            throw new IllegalArgumentException("httpEndpointPath must be empty or start with '/': " + httpEndpointPath);
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("requestTimeout must be positive: " + requestTimeout);
        }
    }

    /** Whether {@code httpEndpoint} is a URL rather than the name of an endpoint. */
    public static boolean isUrl(String httpEndpoint) {
        String s = httpEndpoint.strip().toLowerCase(java.util.Locale.ROOT);
        return s.startsWith("http://") || s.startsWith("https://");
    }

    /** The URL given in place of an endpoint name, or null when {@code httpEndpoint} names an endpoint. */
    public java.net.@org.jspecify.annotations.Nullable URI directUrl() {
        return isUrl(httpEndpoint) ? java.net.URI.create(httpEndpoint.strip()) : null;
    }

    @Override
    public String type() {
        return "webhook";
    }
}
