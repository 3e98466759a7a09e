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
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;

/**
 * The sink conformance suite against a real redis-server (see {@link RedisServer}), as an ACL user. A {@code SET}
 * replaces the value before it, so what arrived is read from {@code MONITOR} ({@link RedisMonitor}): every {@code SET}
 * the server ran in the destination's database, in the order it ran them. Each destination is a database of its own
 * (the suite makes fewer than Redis' 16). The oversized case uses a small {@code max_value_bytes}: Redis' own limit
 * ({@code proto-max-bulk-len}, 512 MB by default) closes the connection instead of failing one command.
 */
class RedisStringConformanceIT extends SinkConformance<RedisStringConfig> {
    static final int MAX_VALUE_BYTES = 64 * 1024;

    @Override
    protected SinkHarness<RedisStringConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<RedisStringConfig> {
        private final RedisStringProvider provider = new RedisStringProvider();
        private final RedisServer redis = new RedisServer();
        private final RedisMonitor monitor = new RedisMonitor();
        private final AtomicInteger databases = new AtomicInteger();
        private final Map<String, Integer> databaseOf = new HashMap<>();

        @Override
        public SinkProvider<RedisStringConfig> provider() {
            return provider;
        }

        @Override
        public void start() throws Exception {
            redis.start();
            monitor.attach(redis.port(), RedisServer.ADMIN_PASSWORD);
        }

        @Override
        public void stopPeer() throws Exception {
            redis.stop();
        }

        @Override
        public void restartPeer() throws Exception {
            redis.restartWithUserDisabled(); // the sink's commands wait until MONITOR watches
            monitor.attach(redis.port(), RedisServer.ADMIN_PASSWORD);
            redis.enableUser();
        }

        @Override
        public Destination newDestination(String name) {
            int database = databases.incrementAndGet();
            if (database > 15) {
                throw new IllegalStateException("more destinations than Redis' 16 databases");
            }
            databaseOf.put(name, database);
            return new Destination(name, values(redis.port(), database, RedisServer.PASSWORD));
        }

        @Override
        public ConfigValues unreachable() {
            return values(FreePort.find(), 0, RedisServer.PASSWORD);
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            return Optional.of(
                    values(redis.port(), databaseOf.get(destination.name()), "wrong-" + RedisServer.PASSWORD));
        }

        @Override
        public OptionalInt oversizedBytes() {
            return OptionalInt.of(MAX_VALUE_BYTES + 1);
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            int database = databaseOf.get(destination.name());
            List<String> values = new ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                values.clear();
                for (RedisMonitor.Command c : monitor.commands()) {
                    if (c.database() == database && c.name().equals("SET")) {
                        values.add(c.arg(2));
                    }
                }
                return values.size() >= atLeast;
            });
            return List.of(List.copyOf(values));
        }

        @Override
        public void close() throws Exception {
            monitor.close();
            redis.close();
        }

        private ConfigValues values(int port, int database, String password) {
            Map<String, Object> v = new HashMap<>();
            v.put("host", "127.0.0.1");
            v.put("port", (long) port);
            v.put("database", (long) database);
            v.put("username", RedisServer.USER);
            v.put("password", password);
            v.put("max_value_bytes", (long) MAX_VALUE_BYTES);
            v.put("request_timeout_ms", 3000L);
            return ConfigValues.of(provider.schema(), v);
        }
    }
}
