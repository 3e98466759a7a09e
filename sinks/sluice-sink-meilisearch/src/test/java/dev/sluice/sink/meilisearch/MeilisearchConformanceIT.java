package dev.sluice.sink.meilisearch;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import dev.sluice.testkit.fakes.FakeMeilisearch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.awaitility.Awaitility;

/**
 * The sink conformance suite against {@link FakeMeilisearch}, a protocol fake built from Meilisearch's API reference (no
 * Typesense server installs here). What arrived is the fake's log of document additions, in the order its tasks applied
 * them; each document is the row, so it reads back as {@code {"record": <document>}}. The oversized case lowers the
 * fake's payload limit: the request is refused with 413, and the sink splits it until the one document is alone.
 */
class MeilisearchConformanceIT extends SinkConformance<MeilisearchConfig> {
    static final String API_KEY = "conformance-meilisearch-key-41d7";
    static final int MAX_PAYLOAD_BYTES = 64 * 1024;

    @Override
    protected SinkHarness<MeilisearchConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<MeilisearchConfig> {
        private final MeilisearchProvider provider = new MeilisearchProvider();
        private FakeMeilisearch meilisearch;

        @Override
        public SinkProvider<MeilisearchConfig> provider() {
            return provider;
        }

        @Override
        public void start() {
            meilisearch = FakeMeilisearch.start(API_KEY);
            meilisearch.maxPayloadBytes(MAX_PAYLOAD_BYTES);
        }

        @Override
        public void stopPeer() {
            meilisearch.stop();
        }

        @Override
        public void restartPeer() {
            meilisearch.restart();
        }

        @Override
        public Destination newDestination(String name) {
            meilisearch.createIndex(name, "id");
            return new Destination(name, values(meilisearch.url().toString(), name, API_KEY));
        }

        @Override
        public ConfigValues unreachable() {
            return values("http://127.0.0.1:" + FreePort.find(), "nowhere", API_KEY);
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            return Optional.of(values(meilisearch.url().toString(), destination.name(), "wrong-" + API_KEY));
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
                for (FakeMeilisearch.Write w : meilisearch.writes(destination.name())) {
                    if (w.action().equals("add")) {
                        bodies.add("{\"record\":" + w.document() + "}");
                    }
                }
                return bodies.size() >= atLeast;
            });
            return List.of(List.copyOf(bodies));
        }

        @Override
        public void close() {
            if (meilisearch != null) {
                meilisearch.close();
            }
        }

        private ConfigValues values(String url, String collection, String apiKey) {
            Map<String, Object> v = new HashMap<>();
            v.put("endpoint_url", url);
            v.put("index_name", collection);
            v.put("api_key", apiKey);
            v.put("timeout_seconds", 3L);
            return ConfigValues.of(provider.schema(), v);
        }
    }
}
