package dev.sluice.server.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Delivers by HTTP POST to a named {@link HttpEndpointConfig}.
 *
 * @param httpEndpoint the name of an endpoint in {@code http_endpoints}
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

    @Override
    public String type() {
        return "webhook";
    }
}
