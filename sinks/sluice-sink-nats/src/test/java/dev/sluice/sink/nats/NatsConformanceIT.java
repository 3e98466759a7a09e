package dev.sluice.sink.nats;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.StreamInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.awaitility.Awaitility;

/**
 * The sink conformance suite against a real nats-server (see {@link NatsServer}) with JetStream, as a password user.
 * Each destination is a file-backed stream capturing {@code sequin.>}, the only stream while its test runs (the
 * sink's subjects come from the messages, which are all from one table, so destinations cannot share the server);
 * the stream keeps one order for all groups, and a batch waits for its PubAcks. The oversized case is a message over
 * the server's {@code max_payload} ({@value NatsServer#MAX_PAYLOAD} bytes here).
 */
class NatsConformanceIT extends SinkConformance<NatsConfig> {
    @Override
    protected SinkHarness<NatsConfig> harness() {
        return new Harness();
    }

    /** Package-private: {@link NatsDrainBench} drains against the same peer. */
    static final class Harness implements SinkHarness<NatsConfig> {
        private final NatsProvider provider = new NatsProvider();
        private final NatsServer nats = new NatsServer();

        @Override
        public SinkProvider<NatsConfig> provider() {
            return provider;
        }

        @Override
        public void start() throws Exception {
            nats.start();
        }

        @Override
        public void stopPeer() throws Exception {
            nats.stop();
        }

        @Override
        public void restartPeer() throws Exception {
            nats.restart();
        }

        @Override
        public Destination newDestination(String name) throws Exception {
            nats.onlyStream(name, "sequin.>");
            return new Destination(name, values(nats.port(), NatsServer.PASSWORD));
        }

        @Override
        public ConfigValues unreachable() {
            return values(FreePort.find(), NatsServer.PASSWORD);
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            return Optional.of(values(nats.port(), "wrong-" + NatsServer.PASSWORD));
        }

        @Override
        public OptionalInt oversizedBytes() {
            return OptionalInt.of(NatsServer.MAX_PAYLOAD + 1);
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            // Read on from the last sequence read: a drain reads back a hundred thousand messages.
            List<String> bodies = new ArrayList<>();
            long[] next = {1};
            Awaitility.await().atMost(Duration.ofMinutes(2)).ignoreExceptions().until(() -> {
                try (Connection c = nats.client()) {
                    JetStreamManagement jsm = c.jetStreamManagement();
                    StreamInfo info = jsm.getStreamInfo(destination.name());
                    next[0] = Math.max(next[0], info.getStreamState().getFirstSequence());
                    long last = info.getStreamState().getLastSequence();
                    for (; next[0] <= last; next[0]++) {
                        byte[] data =
                                jsm.getMessage(destination.name(), next[0]).getData();
                        bodies.add(new String(data, StandardCharsets.UTF_8));
                    }
                }
                return bodies.size() >= atLeast;
            });
            return List.of(List.copyOf(bodies));
        }

        @Override
        public void close() throws Exception {
            nats.close();
        }

        private ConfigValues values(int port, String password) {
            Map<String, Object> v = new HashMap<>();
            v.put("host", "127.0.0.1");
            v.put("port", (long) port);
            v.put("username", NatsServer.USER);
            v.put("password", password);
            v.put("request_timeout_ms", 3000L);
            return ConfigValues.of(provider.schema(), v);
        }
    }
}
