package dev.sluice.sink.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;

/**
 * The sink conformance suite against a real RabbitMQ broker (see {@link RabbitBroker}), as a user with write
 * permission only. Each destination is a durable topic exchange with one durable queue bound to it by {@code #}: one
 * queue keeps one order for all groups. Messages are persistent, so what is queued survives the broker's restart. The
 * oversized case uses a small {@code max_message_bytes}, under the broker's {@code max_message_size}.
 */
class RabbitMqConformanceIT extends SinkConformance<RabbitMqConfig> {
    static final int MAX_MESSAGE_BYTES = 64 * 1024;

    @Override
    protected SinkHarness<RabbitMqConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<RabbitMqConfig> {
        private final RabbitMqProvider provider = new RabbitMqProvider();
        /** What was taken off each destination's queue so far (reading consumes). */
        private final Map<String, List<String>> read = new ConcurrentHashMap<>();

        private RabbitBroker broker;

        @Override
        public SinkProvider<RabbitMqConfig> provider() {
            return provider;
        }

        @Override
        public void start() throws Exception {
            broker = RabbitBroker.shared();
        }

        @Override
        public void stopPeer() throws Exception {
            broker.stop();
        }

        @Override
        public void restartPeer() throws Exception {
            broker.restart();
        }

        @Override
        public Destination newDestination(String name) throws Exception {
            try (Connection c = broker.admin()) {
                Channel ch = c.createChannel();
                ch.exchangeDeclare(name, "topic", true);
                ch.queueDeclare(name, true, false, false, Map.of());
                ch.queueBind(name, name, "#");
            }
            return new Destination(name, values(broker.port(), name, RabbitBroker.PASSWORD));
        }

        @Override
        public ConfigValues unreachable() {
            return values(FreePort.find(), "nowhere", RabbitBroker.PASSWORD);
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            return Optional.of(values(broker.port(), destination.name(), "wrong-" + RabbitBroker.PASSWORD));
        }

        @Override
        public OptionalInt oversizedBytes() {
            return OptionalInt.of(MAX_MESSAGE_BYTES + 1);
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            List<String> bodies = read.computeIfAbsent(destination.name(), n -> new ArrayList<>());
            Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                try (Connection c = broker.admin()) {
                    Channel ch = c.createChannel();
                    GetResponse r;
                    while ((r = ch.basicGet(destination.name(), true)) != null) {
                        bodies.add(new String(r.getBody(), StandardCharsets.UTF_8));
                    }
                }
                return bodies.size() >= atLeast;
            });
            return List.of(List.copyOf(bodies));
        }

        @Override
        public void close() {
            // The broker is shared by the JVM's tests and stopped at exit.
        }

        private ConfigValues values(int port, String exchange, String password) {
            Map<String, Object> v = new HashMap<>();
            v.put("host", "127.0.0.1");
            v.put("port", (long) port);
            v.put("exchange", exchange);
            v.put("username", RabbitBroker.USER);
            v.put("password", password);
            v.put("max_message_bytes", (long) MAX_MESSAGE_BYTES);
            v.put("request_timeout_ms", 3000L);
            return ConfigValues.of(provider.schema(), v);
        }
    }
}
