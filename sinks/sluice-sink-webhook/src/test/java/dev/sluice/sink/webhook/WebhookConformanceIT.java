package dev.sluice.sink.webhook;

import static org.awaitility.Awaitility.await;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.HttpEndpoint;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.WebhookReceiver;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/** The sink conformance suite against a real HTTP server ({@link WebhookReceiver}) that checks a bearer token. */
class WebhookConformanceIT extends SinkConformance<WebhookConfig> {
    @Override
    protected SinkHarness<WebhookConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<WebhookConfig> {
        private static final String TOKEN = "Bearer conformance-token-51c7";
        private final WebhookProvider provider = new WebhookProvider();
        // Requests of the receivers stopped so far, in arrival order.
        private final List<WebhookReceiver.Request> earlier = new ArrayList<>();
        private @Nullable WebhookReceiver receiver;
        private int port;

        @Override
        public SinkProvider<WebhookConfig> provider() {
            return provider;
        }

        @Override
        public void start() {
            receiver = WebhookReceiver.start().requireHeader("Authorization", TOKEN);
            port = receiver.port();
        }

        @Override
        public void stopPeer() {
            earlier.addAll(receiver.requests());
            receiver.close();
            receiver = null;
        }

        @Override
        public void restartPeer() {
            receiver = WebhookReceiver.start(port).requireHeader("Authorization", TOKEN);
        }

        @Override
        public Destination newDestination(String name) {
            return new Destination(name, values(URI.create("http://127.0.0.1:" + port), "/" + name, TOKEN));
        }

        @Override
        public ConfigValues unreachable() {
            return values(URI.create("http://127.0.0.1:" + FreePort.find()), "/nobody", TOKEN);
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            return Optional.of(
                    values(URI.create("http://127.0.0.1:" + port), "/" + destination.name(), "Bearer not-the-token"));
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            return await().atMost(Duration.ofSeconds(30))
                    .until(
                            () -> List.of(bodies("/" + destination.name())),
                            got -> got.getFirst().size() >= atLeast);
        }

        @Override
        public void close() {
            if (receiver != null) {
                receiver.close();
            }
        }

        /** The accepted messages posted to {@code path}, in arrival order, over every receiver so far. */
        private List<String> bodies(String path) {
            List<WebhookReceiver.Request> all = new ArrayList<>(earlier);
            if (receiver != null) {
                all.addAll(receiver.requests());
            }
            List<String> out = new ArrayList<>();
            for (WebhookReceiver.Request r : all) {
                if (r.accepted() && r.path().equals(path)) {
                    for (JsonNode m : r.messages()) {
                        out.add(m.toString());
                    }
                }
            }
            return out;
        }

        private ConfigValues values(URI endpoint, String path, String token) {
            return ConfigValues.of(
                            provider.schema(),
                            Map.of(
                                    "http_endpoint",
                                    "receiver",
                                    "http_endpoint_path",
                                    path,
                                    "request_timeout_ms",
                                    2000L))
                    .withEndpoint(
                            "http_endpoint", new HttpEndpoint("receiver", endpoint, Map.of("Authorization", token)));
        }
    }
}
