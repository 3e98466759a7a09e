package dev.sluice.sink.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.TestMessages;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.awaitility.Awaitility;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sink conformance suite against a real OpenSearch 3.9 node ({@link OpenSearchNode}, in this JVM), reached
 * through a {@link GatewayProxy} that checks an API key (the node runs without security). Stopping the peer closes
 * the gateway and the node; restarting starts a new node on the same port and data.
 *
 * <p>Each destination is an index of one shard. An index keeps one version per {@code _id} (here, one per group), so
 * what arrived, in order, is read from the gateway: each {@code index} source the node answered 2xx for, in the
 * order of the node's answers. Then each group's document in the index is checked to be that group's last one.
 *
 * <p>The oversized message is one over {@code max_request_bytes}, set to the node's {@code http.max_content_length}:
 * the sink rejects it before sending. The node's own 413 is in {@link ElasticsearchSinkIT}.
 */
class ElasticsearchConformanceIT extends SinkConformance<ElasticsearchConfig> {
    static final String API_KEY = "es-conformance-api-key-8b2d";

    @Override
    protected SinkHarness<ElasticsearchConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<ElasticsearchConfig> {
        private static final JsonMapper JSON = JsonMapper.builder().build();
        private final ElasticsearchProvider provider = new ElasticsearchProvider();
        private OpenSearchNode node;
        private GatewayProxy gateway;

        @Override
        public SinkProvider<ElasticsearchConfig> provider() {
            return provider;
        }

        @Override
        public void start() throws Exception {
            node = OpenSearchNode.shared();
            gateway = new GatewayProxy(node, "ApiKey " + API_KEY);
            gateway.start();
        }

        @Override
        public void stopPeer() throws Exception {
            gateway.stop();
            node.stop();
        }

        @Override
        public void restartPeer() throws Exception {
            node.restart();
            gateway.start();
        }

        @Override
        public Destination newDestination(String name) throws Exception {
            node.createIndex(name, "");
            return new Destination(name, values(gateway.url().toString(), name, API_KEY));
        }

        @Override
        public ConfigValues unreachable() {
            return values("http://127.0.0.1:" + FreePort.find(), "nowhere", API_KEY);
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            return Optional.of(values(gateway.url().toString(), destination.name(), "wrong-" + API_KEY));
        }

        @Override
        public OptionalInt oversizedBytes() {
            return OptionalInt.of(OpenSearchNode.MAX_CONTENT_BYTES + 1);
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) throws Exception {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> gateway.indexed(destination.name()).size() >= atLeast);
            List<String> bodies = gateway.indexed(destination.name());
            Map<String, Long> last = new LinkedHashMap<>();
            for (String body : bodies) {
                last.put(TestMessages.group(body), TestMessages.seq(body));
            }
            for (Map.Entry<String, Long> e : last.entrySet()) {
                HttpResponse<String> doc = node.send("GET", "/" + destination.name() + "/_doc/" + e.getKey(), "");
                assertThat(doc.statusCode()).as("document %s", e.getKey()).isEqualTo(200);
                assertThat(JSON.readTree(doc.body())
                                .path("_source")
                                .path("record")
                                .path("seq")
                                .asLong())
                        .as("document %s holds its group's last message", e.getKey())
                        .isEqualTo(e.getValue());
            }
            return List.of(bodies);
        }

        @Override
        public void close() {
            if (gateway != null) {
                gateway.close();
            }
        }

        private ConfigValues values(String url, String index, String apiKey) {
            Map<String, Object> v = new HashMap<>();
            v.put("endpoint_url", url);
            v.put("index_name", index);
            v.put("auth_type", "api_key");
            v.put("auth_value", apiKey);
            v.put("max_request_bytes", (long) OpenSearchNode.MAX_CONTENT_BYTES);
            v.put("request_timeout_ms", 5000L);
            return ConfigValues.of(provider.schema(), v);
        }
    }
}
