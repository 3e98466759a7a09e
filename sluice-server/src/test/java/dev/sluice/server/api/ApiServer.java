package dev.sluice.server.api;

import dev.sluice.server.runtime.ServerOptions;
import dev.sluice.server.runtime.SluiceServer;
import dev.sluice.testkit.TestPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A server for API tests: in this JVM, metadata in a fresh database of the shared test Postgres. */
final class ApiServer implements AutoCloseable {
    static final TestPostgres PG = TestPostgres.shared();
    static final String TOKEN = "sluice_test_token_0123456789";

    final SluiceServer server;
    final Path home;
    final String metaDb;

    private ApiServer(SluiceServer server, Path home, String metaDb) {
        this.server = server;
        this.home = home;
        this.metaDb = metaDb;
    }

    static ApiServer start() {
        try {
            Path home = Files.createTempDirectory("sluice-api");
            String metaDb = PG.createDatabase("meta");
            SluiceServer s =
                    SluiceServer.start(new ServerOptions(home, 0, null, null, PG.jdbcUrl(metaDb), null, TOKEN));
            return new ApiServer(s, home, metaDb);
        } catch (IOException | dev.sluice.server.runtime.StartupException e) {
            throw new IllegalStateException(e);
        }
    }

    ApiClient client() {
        return new ApiClient(server.port(), TOKEN);
    }

    /** A request body for a database on the test Postgres, creating its slot and publication. */
    static String databaseJson(String name, String db, String slot) {
        return """
                {"name": "%s", "hostname": "localhost", "port": %d, "database": "%s", "username": "postgres",
                 "ssl": false,
                 "replication_slots": [{"publication_name": "%s_pub", "slot_name": "%s",
                                        "create_if_not_exists": true}]}""".formatted(name, PG.port(), db, slot, slot);
    }

    /** The first column of the first row of {@code sql} on database {@code db} of the test Postgres. */
    static String single(String db, String sql) throws java.sql.SQLException {
        try (java.sql.Connection c = PG.connect(db);
                java.sql.Statement s = c.createStatement();
                java.sql.ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Drops the given {database, slot} pairs: slots outlive their resources, and the shared Postgres has few. */
    static void dropSlots(Iterable<String[]> slots) {
        for (String[] s : slots) {
            try {
                PG.execute(
                        s[0],
                        "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '"
                                + s[1] + "'");
            } catch (RuntimeException ignored) {
                // best effort
            }
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
