package dev.sluice.server.api;

import dev.sluice.core.sink.SinkException;
import dev.sluice.server.config.HttpEndpointConfig;
import dev.sluice.server.config.KafkaDestination;
import dev.sluice.server.config.KinesisDestination;
import dev.sluice.server.config.SequinStreamDestination;
import dev.sluice.server.config.SinkConfig;
import dev.sluice.server.config.SqsDestination;
import dev.sluice.server.config.WebhookDestination;
import dev.sluice.sink.kafka.KafkaSink;
import dev.sluice.sink.kinesis.KinesisSink;
import dev.sluice.sink.sqs.SqsSink;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * {@code POST /api/sinks/{id_or_name}/test_connection}: whether the sink's peer is reachable with its credentials
 * and its topic, queue or stream exists; the reason when not. Nothing is delivered.
 */
final class SinkCheck {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private SinkCheck() {}

    /** Null when the peer answers as it should; otherwise what is wrong, for an operator. */
    static @Nullable String check(SinkConfig s, List<HttpEndpointConfig> endpoints) throws InterruptedException {
        try {
            switch (s.destination()) {
                case KafkaDestination k -> KafkaSink.check(k.config(), TIMEOUT);
                case SqsDestination q -> SqsSink.check(q.config(), TIMEOUT);
                case KinesisDestination ks -> KinesisSink.check(ks.config(), TIMEOUT);
                case SequinStreamDestination st -> {
                    // Consumers come to Sluice: there is no peer to reach.
                }
                case WebhookDestination w -> {
                    return webhook(w, endpoints);
                }
            }
            return null;
        } catch (SinkException e) {
            return e.getMessage();
        }
    }

    // Any HTTP answer but 401/403 means the endpoint is there: HEAD, so that the receiver processes nothing.
    private static @Nullable String webhook(WebhookDestination w, List<HttpEndpointConfig> endpoints)
            throws InterruptedException {
        URI url;
        Map<String, String> headers = new LinkedHashMap<>();
        if (w.directUrl() != null) {
            url = w.directUrl();
        } else {
            HttpEndpointConfig e = endpoints.stream()
                    .filter(x -> x.name().equals(w.httpEndpoint()))
                    .findFirst()
                    .orElse(null);
            if (e == null) {
                return "no HTTP endpoint named '" + w.httpEndpoint() + "'";
            }
            url = dev.sluice.sink.webhook.WebhookConfig.join(e.url().toString(), w.httpEndpointPath());
            headers.putAll(e.headers());
            headers.putAll(e.encryptedHeaders());
        }
        HttpRequest.Builder req = HttpRequest.newBuilder(url)
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .timeout(TIMEOUT);
        headers.forEach(req::header);
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build()) {
            int status = client.send(req.build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
            if (status == 401 || status == 403) {
                return "the endpoint " + url + " answered " + status + " ("
                        + (status == 401 ? "unauthorized" : "forbidden") + "): check its headers";
            }
            return null;
        } catch (HttpConnectTimeoutException e) {
            return "cannot connect to " + url + " within " + TIMEOUT.toSeconds() + " s";
        } catch (HttpTimeoutException e) {
            return url + " did not answer within " + TIMEOUT.toSeconds() + " s";
        } catch (ConnectException e) {
            return "cannot connect to " + url + ": connection refused";
        } catch (IOException e) {
            return "cannot reach " + url + ": " + e.getMessage();
        }
    }
}
