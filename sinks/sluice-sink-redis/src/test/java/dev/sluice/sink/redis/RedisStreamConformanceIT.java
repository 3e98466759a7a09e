package dev.sluice.sink.redis;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.awaitility.Awaitility;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.StreamEntry;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The sink conformance suite against a real redis-server (see {@link RedisServer}), as an ACL user. One stream keeps
 * one order for all groups. The oversized case uses a small {@code max_entry_bytes}: Redis' own limit
 * ({@code proto-max-bulk-len}, 512 MB by default) closes the connection instead of failing one entry, so the sink
 * rejects before sending.
 */
class RedisStreamConformanceIT extends SinkConformance<RedisStreamConfig> {
    static final int MAX_ENTRY_BYTES = 64 * 1024;

    @Override
    protected SinkHarness<RedisStreamConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<RedisStreamConfig> {
        private static final JsonMapper JSON = JsonMapper.builder().build();
        private final RedisStreamProvider provider = new RedisStreamProvider();
        private final RedisServer redis = new RedisServer();

        @Override
        public SinkProvider<RedisStreamConfig> provider() {
            return provider;
        }

        @Override
        public void start() throws Exception {
            redis.start();
        }

        @Override
        public void stopPeer() throws Exception {
            redis.stop();
        }

        @Override
        public void restartPeer() throws Exception {
            redis.restart();
        }

        @Override
        public Destination newDestination(String name) {
            return new Destination(name, values(redis.port(), name, RedisServer.PASSWORD));
        }

        @Override
        public ConfigValues unreachable() {
            return values(FreePort.find(), "nowhere", RedisServer.PASSWORD);
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            return Optional.of(values(redis.port(), destination.name(), "wrong-" + RedisServer.PASSWORD));
        }

        @Override
        public OptionalInt oversizedBytes() {
            return OptionalInt.of(MAX_ENTRY_BYTES + 1);
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            List<String> bodies = new ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                bodies.clear();
                try (Jedis j = redis.admin()) {
                    for (StreamEntry e : j.xrange(destination.name(), "-", "+")) {
                        bodies.add(body(e.getFields()));
                    }
                }
                return bodies.size() >= atLeast;
            });
            return List.of(List.copyOf(bodies));
        }

        @Override
        public void close() throws Exception {
            redis.close();
        }

        /** The message JSON an entry was made from: its JSON fields as JSON, {@code action} as a string. */
        private static String body(Map<String, String> fields) {
            ObjectNode m = JSON.createObjectNode();
            m.set("record", JSON.readTree(fields.get("record")));
            m.set("changes", JSON.readTree(fields.get("changes")));
            m.put("action", fields.get("action"));
            m.set("metadata", JSON.readTree(fields.get("metadata")));
            return m.toString();
        }

        private ConfigValues values(int port, String stream, String password) {
            Map<String, Object> v = new HashMap<>();
            v.put("host", "127.0.0.1");
            v.put("port", (long) port);
            v.put("stream_key", stream);
            v.put("username", RedisServer.USER);
            v.put("password", password);
            v.put("max_entry_bytes", (long) MAX_ENTRY_BYTES);
            v.put("request_timeout_ms", 3000L);
            return ConfigValues.of(provider.schema(), v);
        }
    }
}
