package dev.sluice.sink.eventhubs;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import dev.sluice.testkit.fakes.FakeEventHubs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.awaitility.Awaitility;
import tools.jackson.databind.json.JsonMapper;

/**
 * The sink conformance suite against {@link FakeEventHubs}: no Event Hubs service or emulator can run here. Each
 * partition keeps one order; a group's events share its partition key, so one partition. The oversized case uses a
 * small {@code max_batch_bytes} (the fake's limit set to match), as a Basic-tier hub's is smaller than Standard's.
 */
class EventHubConformanceIT extends SinkConformance<EventHubConfig> {
    static final String POLICY = "RootManageSharedAccessKey";
    static final String KEY = "eventhubs-conformance-secret-8d21";
    static final int MAX_BATCH_BYTES = 64 * 1024;

    @Override
    protected SinkHarness<EventHubConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<EventHubConfig> {
        private static final JsonMapper JSON = JsonMapper.builder().build();
        private final EventHubProvider provider = new EventHubProvider();
        private FakeEventHubs hubs;

        @Override
        public SinkProvider<EventHubConfig> provider() {
            return provider;
        }

        @Override
        public void start() {
            hubs = FakeEventHubs.start()
                    .maxBatchBytes(MAX_BATCH_BYTES)
                    .addPolicy(POLICY, KEY, Set.of("Manage", "Send", "Listen"));
        }

        @Override
        public void stopPeer() {
            hubs.stop();
        }

        @Override
        public void restartPeer() {
            hubs.restart();
        }

        @Override
        public Destination newDestination(String name) {
            hubs.createEventHub(name, 4);
            return new Destination(name, values(hubs.url().toString(), name, KEY));
        }

        @Override
        public ConfigValues unreachable() {
            return values("http://127.0.0.1:" + FreePort.find(), "nowhere", KEY);
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            return Optional.of(values(hubs.url().toString(), destination.name(), "wrong-" + KEY));
        }

        @Override
        public OptionalInt oversizedBytes() {
            return OptionalInt.of(MAX_BATCH_BYTES + 1);
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            List<List<String>> out = new ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                out.clear();
                for (List<FakeEventHubs.Event> partition : hubs.partitions(destination.name())) {
                    // The event body is Sequin's wrapper, {"data": <message>, "attributes": {...}}.
                    out.add(partition.stream()
                            .map(e -> JSON.readTree(e.body()).get("data").toString())
                            .toList());
                }
                return out.stream().mapToInt(List::size).sum() >= atLeast;
            });
            return List.copyOf(out);
        }

        @Override
        public void close() {
            if (hubs != null) {
                hubs.close();
            }
        }

        private ConfigValues values(String endpoint, String hub, String key) {
            Map<String, Object> v = new HashMap<>();
            v.put("namespace", "sluice-conformance");
            v.put("event_hub_name", hub);
            v.put("shared_access_key_name", POLICY);
            v.put("shared_access_key", key);
            v.put("endpoint_url", endpoint);
            v.put("max_batch_bytes", (long) MAX_BATCH_BYTES);
            v.put("request_timeout_ms", 3000L);
            return ConfigValues.of(provider.schema(), v);
        }
    }
}
