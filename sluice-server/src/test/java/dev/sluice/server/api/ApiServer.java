package dev.sluice.server.api;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.server.runtime.SluiceServer;
import dev.sluice.testkit.TestPostgres;
import java.nio.file.Path;

/**
 * A server for API tests, on a {@link ServerFixture} of its own. New tests register a {@link ServerFixture} instead;
 * this stays for the API tests the sink SPI work is changing at the same time (ApiIT, ApiContractIT, OpenApiIT,
 * ApiConfigIT), to be folded into the fixture once those land.
 */
final class ApiServer implements AutoCloseable {
    static final TestPostgres PG = ServerFixture.PG;
    static final String TOKEN = ServerFixture.TOKEN;

    final SluiceServer server;
    final Path home;
    final String metaDb;
    private final ServerFixture fixture;

    private ApiServer(ServerFixture fixture) {
        this.fixture = fixture;
        this.server = fixture.start();
        this.home = fixture.home();
        this.metaDb = fixture.metaDb();
    }

    static ApiServer start() {
        return new ApiServer(new ServerFixture());
    }

    ApiClient client() {
        return fixture.api();
    }

    /** A request body for a database on the test Postgres, creating its slot and publication. */
    static String databaseJson(String name, String db, String slot) {
        return """
                {"name": "%s", "hostname": "localhost", "port": %d, "database": "%s", "username": "postgres",
                 "ssl": false,
                 "replication_slots": [{"publication_name": "%s_pub", "slot_name": "%s",
                                        "create_if_not_exists": true}]}""".formatted(name, PG.port(), db, slot, slot);
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
        fixture.close();
    }
}
