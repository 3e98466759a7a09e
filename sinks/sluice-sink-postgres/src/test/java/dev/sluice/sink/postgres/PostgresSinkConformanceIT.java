package dev.sluice.sink.postgres;

import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkProvider;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.TestPostgres;
import dev.sluice.testkit.conformance.Destination;
import dev.sluice.testkit.conformance.SinkConformance;
import dev.sluice.testkit.conformance.SinkHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.awaitility.Awaitility;

/**
 * The sink conformance suite against a private embedded Postgres that the suite stops and restarts (same data
 * directory and port, as a server restart). Each destination is a schema whose {@code orders} table has no primary key
 * and an {@code arrival} sequence, so that every delivered message is a row and the rows read back in the order they
 * were applied. The sink connects as a password-authenticated superuser, so bad credentials are refused.
 */
class PostgresSinkConformanceIT extends SinkConformance<PostgresSinkConfig> {
    @Override
    protected SinkHarness<PostgresSinkConfig> harness() {
        return new Harness();
    }

    static final class Harness implements SinkHarness<PostgresSinkConfig> {
        private static final String USER = "sink_user";
        private static final String PASSWORD = "pg-sink-secret-4e2f";
        private final PostgresSinkProvider provider = new PostgresSinkProvider();
        private final int port = FreePort.find();
        private Path dataDirectory;
        private TestPostgres pg;
        private String db;

        @Override
        public SinkProvider<PostgresSinkConfig> provider() {
            return provider;
        }

        @Override
        public void start() throws Exception {
            dataDirectory = Files.createTempDirectory("pgsink-conformance");
            pg = TestPostgres.startPrivate(Map.of(), port, dataDirectory);
            db = pg.createDatabase("conformance");
            pg.requirePassword(USER, PASSWORD);
            pg.execute("postgres", "ALTER ROLE " + USER + " SUPERUSER");
        }

        @Override
        public void stopPeer() {
            pg.close();
        }

        @Override
        public void restartPeer() {
            pg = TestPostgres.startPrivate(Map.of(), port, dataDirectory);
        }

        @Override
        public Destination newDestination(String name) {
            pg.execute(
                    db,
                    "CREATE SCHEMA \"" + name + "\"",
                    "CREATE TABLE \"" + name + "\".orders (id text, name text, seq bigint, arrival bigserial)");
            return new Destination(name, values(port, name, PASSWORD));
        }

        @Override
        public ConfigValues unreachable() {
            return values(FreePort.find(), "nowhere", PASSWORD);
        }

        @Override
        public Optional<ConfigValues> badCredentials(Destination destination) {
            return Optional.of(values(port, destination.name(), "wrong-" + PASSWORD));
        }

        @Override
        public List<List<String>> arrived(Destination destination, int atLeast) {
            List<String> bodies = new ArrayList<>();
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
                bodies.clear();
                try (Connection c = pg.connect(db);
                        Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT json_build_object('record', json_build_object('id', id,"
                                + " 'name', name, 'seq', seq))::text FROM \"" + destination.name()
                                + "\".orders ORDER BY arrival")) {
                    while (rs.next()) {
                        bodies.add(rs.getString(1));
                    }
                }
                return bodies.size() >= atLeast;
            });
            return List.of(List.copyOf(bodies));
        }

        @Override
        public void close() {
            if (pg != null) {
                pg.close();
            }
        }

        private ConfigValues values(int port, String schema, String password) {
            Map<String, Object> v = new HashMap<>();
            v.put("host", "127.0.0.1");
            v.put("port", (long) port);
            v.put("database_name", db == null ? "postgres" : db);
            v.put("username", USER);
            v.put("password", password);
            v.put("target_schema", schema);
            v.put("statement_timeout_ms", 5000L);
            return ConfigValues.of(provider.schema(), v);
        }
    }
}
