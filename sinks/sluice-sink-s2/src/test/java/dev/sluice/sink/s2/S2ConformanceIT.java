package dev.sluice.sink.s2;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import dev.sluice.testkit.fakes.FakeS2;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.awaitility.Awaitility;

/**
 * The sink conformance suite against {@link FakeS2}, a protocol fake built from S2's API reference (no real S2 runs
 * here). Each destination is a stream of one basin; a stream keeps one order for all groups. The oversized case is
 * S2's own limit: a record over 1 MiB of metered bytes.
 */
class S2ConformanceIT extends SinkConformance<S2Config> {
    static final String BASIN = "sluice-conformance";
    static final String TOKEN = "s2-conformance-token-6d02";

    @Override
    protected SinkHarness<S2Config> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<S2Config> {
        private final S2Provider provider = new S2Provider();
        private FakeS2 s2;

        @Override
        public SinkProvider<S2Config> provider() {
            return provider;
        }

        @Override
        public void start() {
            s2 = FakeS2.start();
            s2.createBasin(BASIN, false);
            s2.addToken(TOKEN, BASIN);
        }

        @Override
        public void stopPeer() {
            s2.stop();
        }

        @Override
        public void restartPeer() {
            s2.restart();
        }

        @Override
        public Destination newDestination(String name) {
            s2.createStream(BASIN, name);
            return new Destination(name, values(s2.endpoint(), name, TOKEN));
        }

        @Override
        public ConfigValues unreachable() {
            return values("http://127.0.0.1:" + FreePort.find() + "/v1", "nowhere", TOKEN);
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            return Optional.of(values(s2.endpoint(), destination.name(), "wrong-" + TOKEN));
        }

        @Override
        public OptionalInt oversizedBytes() {
            return OptionalInt.of(FakeS2.MAX_METERED_BYTES);
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> s2.records(BASIN, destination.name()).size() >= atLeast);
            return List.of(s2.records(BASIN, destination.name()).stream()
                    .map(FakeS2.Record::body)
                    .toList());
        }

        @Override
        public void close() {
            if (s2 != null) {
                s2.close();
            }
        }

        private ConfigValues values(String endpoint, String stream, String token) {
            Map<String, Object> v = new HashMap<>();
            v.put("basin", BASIN);
            v.put("stream", stream);
            v.put("access_token", token);
            v.put("endpoint_url", endpoint);
            v.put("request_timeout_ms", 3000L);
            return ConfigValues.of(provider.schema(), v);
        }
    }
}
