package dev.sluice.sink.typesense;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import dev.sluice.testkit.fakes.FakeTypesense;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.awaitility.Awaitility;

/**
 * The sink conformance suite against {@link FakeTypesense}, a protocol fake built from Typesense's API reference (no
 * Typesense server installs here). What arrived is the fake's log of document writes, in the order it applied them;
 * each document is the row, so it reads back as {@code {"record": <document>}}. The oversized case lowers the
 * fake's payload limit: the request is refused with 413, and the sink splits it until the one document is alone.
 */
class TypesenseConformanceIT extends SinkConformance<TypesenseConfig> {
    static final String API_KEY = "conformance-typesense-key-41d7";
    static final int MAX_PAYLOAD_BYTES = 64 * 1024;

    @Override
    protected SinkHarness<TypesenseConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<TypesenseConfig> {
        private final TypesenseProvider provider = new TypesenseProvider();
        private FakeTypesense typesense;

        @Override
        public SinkProvider<TypesenseConfig> provider() {
            return provider;
        }

        @Override
        public void start() {
            typesense = FakeTypesense.start(API_KEY);
            typesense.maxPayloadBytes(MAX_PAYLOAD_BYTES);
        }

        @Override
        public void stopPeer() {
            typesense.stop();
        }

        @Override
        public void restartPeer() {
            typesense.restart();
        }

        @Override
        public Destination newDestination(String name) {
            typesense.createCollection(name);
            return new Destination(name, values(typesense.url().toString(), name, API_KEY));
        }

        @Override
        public ConfigValues unreachable() {
            return values("http://127.0.0.1:" + FreePort.find(), "nowhere", API_KEY);
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            return Optional.of(values(typesense.url().toString(), destination.name(), "wrong-" + API_KEY));
        }

        @Override
        public OptionalInt oversizedBytes() {
            return OptionalInt.of(MAX_PAYLOAD_BYTES + 1);
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            List<String> bodies = new ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                bodies.clear();
                for (FakeTypesense.Write w : typesense.writes(destination.name())) {
                    if (w.document() != null) {
                        bodies.add("{\"record\":" + w.document() + "}");
                    }
                }
                return bodies.size() >= atLeast;
            });
            return List.of(List.copyOf(bodies));
        }

        @Override
        public void close() {
            if (typesense != null) {
                typesense.close();
            }
        }

        private ConfigValues values(String url, String collection, String apiKey) {
            Map<String, Object> v = new HashMap<>();
            v.put("endpoint_url", url);
            v.put("collection_name", collection);
            v.put("api_key", apiKey);
            v.put("timeout_seconds", 3L);
            return ConfigValues.of(provider.schema(), v);
        }
    }
}
