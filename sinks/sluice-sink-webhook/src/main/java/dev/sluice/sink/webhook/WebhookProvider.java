package dev.sluice.sink.webhook;

import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigField;
import dev.sluice.core.sink.ConfigSchema;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.Configured;
import dev.sluice.core.sink.HttpEndpoint;
import dev.sluice.core.sink.InvalidConfigException;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkProvider;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code webhook} destination (Sequin's HTTP push sink): POSTs messages to an HTTP endpoint. {@code
 * http_endpoint} names an endpoint of {@code http_endpoints}, which the server resolves to its URL and headers, or
 * is an absolute http(s) URL posted to without headers. See docs/sinks/webhook.md.
 */
public final class WebhookProvider implements SinkProvider<WebhookConfig> {
    public static final String TYPE = "webhook";

    // A longer http_endpoint_path is not repeated in its problem.
    private static final int SHOWN_PATH_CHARS = 200;

    private static final ConfigSchema SCHEMA = ConfigSchema.of(
            ConfigField.reference(
                            "http_endpoint",
                            "http_endpoint",
                            "The name of an HTTP endpoint, or an absolute http(s) URL to post to (then without headers)")
                    .asRequired(),
            ConfigField.string(
                            "http_endpoint_path",
                            "Appended to the endpoint's URL; empty or starting with /, at most 2000 characters")
                    .defaultValue(""),
            ConfigField.bool("batch", "true: a request carries {\"data\": [messages]}; false: one message per request")
                    .defaultValue(true),
            ConfigField.integer("request_timeout_ms", "How long one request may take before it counts as failed")
                    .range(1, Integer.MAX_VALUE)
                    .defaultValue(WebhookConfig.DEFAULT_REQUEST_TIMEOUT.toMillis()));

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public String description() {
        return "POSTs each message, or each batch as {\"data\": [...]}, to an HTTP endpoint";
    }

    @Override
    public ConfigSchema schema() {
        return SCHEMA;
    }

    @Override
    public Configured<WebhookConfig> configure(ConfigValues values) {
        return Configured.of(() -> {
            String path = Objects.requireNonNull(values.string("http_endpoint_path"));
            String pathProblem = WebhookConfig.pathProblem(path);
            if (pathProblem != null) {
                throw new InvalidConfigException(
                        "http_endpoint_path",
                        path.length() <= SHOWN_PATH_CHARS ? pathProblem + ", got '" + path + "'" : pathProblem);
            }
            HttpEndpoint endpoint = values.endpoint("http_endpoint");
            String base = endpoint != null
                    ? endpoint.url().toString()
                    : Objects.requireNonNull(values.string("http_endpoint"));
            URI endpointUrl;
            URI url;
            try {
                endpointUrl = WebhookConfig.join(base, null);
            } catch (InvalidConfigException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw new InvalidConfigException("http_endpoint", e.getMessage());
            }
            try {
                url = WebhookConfig.join(base, path);
            } catch (InvalidConfigException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                // The endpoint's URL is valid, so the path is what made the URL invalid.
                throw new InvalidConfigException("http_endpoint_path", e.getMessage());
            }
            return new WebhookConfig(
                    url,
                    endpoint == null ? Map.of() : endpoint.headers(),
                    Boolean.TRUE.equals(values.bool("batch")),
                    Duration.ofMillis(Objects.requireNonNull(values.integer("request_timeout_ms"))),
                    endpointUrl);
        });
    }

    @Override
    public Sink create(WebhookConfig config, SinkContext context) {
        return new WebhookSink(config);
    }

    /**
     * A {@code HEAD} request with the endpoint's headers, so that the receiver processes nothing: any answer but
     * 401/403 means the endpoint is there.
     */
    @Override
    public CheckResult check(WebhookConfig config, Duration timeout) throws InterruptedException {
        String url = Redaction.url(config.url());
        HttpRequest.Builder req = HttpRequest.newBuilder(config.url())
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .timeout(timeout);
        config.headers().forEach(req::header);
        try (HttpClient client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(timeout)
                .build()) {
            int status = client.send(req.build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
            if (status == 401 || status == 403) {
                return CheckResult.failed(
                        CheckResult.Status.UNAUTHORIZED,
                        "the endpoint " + url + " answered " + status + " ("
                                + (status == 401 ? "unauthorized" : "forbidden") + "): check its headers");
            }
            return CheckResult.OK;
        } catch (HttpConnectTimeoutException e) {
            return unreachable("cannot connect to " + url + " within " + Redaction.duration(timeout));
        } catch (HttpTimeoutException e) {
            return unreachable(url + " did not answer within " + Redaction.duration(timeout));
        } catch (ConnectException e) {
            return unreachable("cannot connect to " + url + ": connection refused");
        } catch (IOException e) {
            return unreachable("cannot reach " + url + ": " + e.getMessage());
        }
    }

    private static CheckResult unreachable(String detail) {
        return CheckResult.failed(CheckResult.Status.UNREACHABLE, detail);
    }

    /** Sequin's routing keys for HTTP push sinks. */
    @Override
    public List<String> routingKeys() {
        return List.of(WebhookRouting.METHOD, WebhookRouting.ENDPOINT_PATH, WebhookRouting.HEADERS);
    }

    /** A request needs a method; a null path or null headers mean the sink's own. */
    @Override
    public List<String> requiredRoutingKeys() {
        return List.of(WebhookRouting.METHOD);
    }

    /** One message per request unless the sink sets {@code batch_size}, as Sequin's HTTP push sinks do. */
    @Override
    public int defaultBatchSize() {
        return 1;
    }
}
