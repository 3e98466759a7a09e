package dev.sluice.sink.pubsub;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import dev.sluice.testkit.fakes.FakePubSub;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.awaitility.Awaitility;

/**
 * The sink conformance suite against {@link FakePubSub} as the real service (OAuth 2.0 tokens from a service
 * account's key, then publishes): no Pub/Sub can run here (its emulator ships with the gcloud SDK). Each ordering
 * key keeps one order, as a subscription with message ordering delivers it.
 */
class PubSubConformanceIT extends SinkConformance<PubSubConfig> {
    static final String PROJECT = "sluice-conformance";

    @Override
    protected SinkHarness<PubSubConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<PubSubConfig> {
        private final PubSubProvider provider = new PubSubProvider();
        private final TestAccount account = TestAccount.create("conformance");
        private FakePubSub pubsub;

        @Override
        public SinkProvider<PubSubConfig> provider() {
            return provider;
        }

        @Override
        public void start() {
            pubsub = FakePubSub.start();
            account.registerWith(pubsub);
        }

        @Override
        public void stopPeer() {
            pubsub.stop();
        }

        @Override
        public void restartPeer() {
            pubsub.restart();
        }

        @Override
        public Destination newDestination(String name) {
            pubsub.createTopic(PROJECT, name);
            return new Destination(name, values(pubsub.url(), name, account.keyFile(pubsub.tokenUri())));
        }

        @Override
        public ConfigValues unreachable() {
            URI closed = URI.create("http://127.0.0.1:" + FreePort.find());
            return values(closed, "nowhere", account.keyFile(URI.create(closed + "/token")));
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            // The same account, signing with a key Google does not know for it.
            TestAccount impostor = new TestAccount(account.email(), ExampleKey.generate());
            return Optional.of(values(pubsub.url(), destination.name(), impostor.keyFile(pubsub.tokenUri())));
        }

        @Override
        public OptionalInt oversizedBytes() {
            // Base64 makes 8 MB of JSON 10.7 MB: over a publish request's 10 MiB.
            return OptionalInt.of(8_000_000);
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            Map<String, List<String>> byKey = new LinkedHashMap<>();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                byKey.clear();
                for (FakePubSub.Published p : pubsub.published(PROJECT, destination.name())) {
                    byKey.computeIfAbsent(p.orderingKey(), k -> new ArrayList<>())
                            .add(p.text());
                }
                return byKey.values().stream().mapToInt(List::size).sum() >= atLeast;
            });
            return List.copyOf(byKey.values());
        }

        @Override
        public void close() {
            if (pubsub != null) {
                pubsub.close();
            }
        }

        private ConfigValues values(URI endpoint, String topic, String keyFile) {
            Map<String, Object> v = new HashMap<>();
            v.put("project_id", PROJECT);
            v.put("topic_id", topic);
            v.put("credentials", keyFile);
            v.put("endpoint_url", endpoint.toString());
            v.put("request_timeout_ms", 3000L);
            return ConfigValues.of(provider.schema(), v);
        }
    }
}
