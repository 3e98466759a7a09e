package dev.sluice.client;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.server.fixture.Slot;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the live tests share: an SDK client of a {@link ServerFixture}'s server, and resources made through the SDK
 * on the fixture's test Postgres.
 */
final class Live {
    private static final AtomicInteger NAMES = new AtomicInteger();

    private Live() {}

    static URI url(ServerFixture sluice) {
        return URI.create("http://127.0.0.1:" + sluice.server().port());
    }

    /** A client of the fixture's server with its token; retries quick, so that tests of failures stay short. */
    static SluiceClient client(ServerFixture sluice) {
        return SluiceClient.builder()
                .baseUrl(url(sluice))
                .apiToken(ServerFixture.TOKEN)
                .retryPolicy(quickRetries())
                .build();
    }

    static RetryPolicy quickRetries() {
        return new RetryPolicy(4, java.time.Duration.ofMillis(20), java.time.Duration.ofSeconds(2), 0.5);
    }

    static String name(String prefix) {
        return prefix + "-" + NAMES.incrementAndGet();
    }

    /** A fresh source database with {@code ddl}, registered through the SDK; returns its Sluice name. */
    static Database database(ServerFixture sluice, SluiceClient client, String ddl) {
        String db = sluice.database("sdk", ddl);
        Slot slot = sluice.slot(db);
        return client.databases()
                .create(DatabaseRequest.builder()
                        .name(name("db"))
                        .hostname("localhost")
                        .port(ServerFixture.PG.port())
                        .database(db)
                        .username("postgres")
                        .ssl(false)
                        .slot(slot.name(), slot.publication(), true)
                        .build());
    }

    /** An HTTP endpoint to {@code url}. */
    static HttpEndpoint endpoint(SluiceClient client, URI url) {
        return client.httpEndpoints()
                .create(HttpEndpointRequest.builder()
                        .name(name("hook"))
                        .url(url.toString())
                        .build());
    }

    /** A webhook sink of {@code table} in {@code database} to {@code endpoint}. */
    static Sink sink(SluiceClient client, Database database, HttpEndpoint endpoint, String table) {
        return client.sinks()
                .create(SinkRequest.builder()
                        .name(name("sink"))
                        .database(database.name())
                        .tables(table)
                        .webhook(endpoint.name(), "")
                        .build());
    }
}
