package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testkit.WebhookReceiver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The management API's routes against a real server, a real source Postgres and a real HTTP receiver. */
class ApiIT {
    static ApiServer server;
    static ApiClient api;
    static WebhookReceiver receiver;

    @BeforeAll
    static void start() {
        server = ApiServer.start();
        api = server.client();
        receiver = WebhookReceiver.start();
    }

    @AfterAll
    static void stop() {
        server.close();
        receiver.close();
    }

    @Test
    void everyRoute_refusesMissingAndWrongTokens() {
        ApiClient anonymous = api.withToken(null);
        ApiClient wrong = api.withToken("sluice_not_a_token");
        for (String path : List.of(
                "/api/postgres_databases",
                "/api/sinks",
                "/api/destinations/http_endpoints",
                "/api/api_keys",
                "/api/config/export",
                "/api/sinks/x")) {
            assertThat(anonymous.get(path).status()).as(path).isEqualTo(401);
            assertThat(wrong.get(path).status()).as(path).isEqualTo(401);
            assertThat(wrong.get(path).get("summary").asString()).isEqualTo("invalid API token");
        }
        assertThat(anonymous.post("/api/sinks", "{}").status()).isEqualTo(401);
        assertThat(anonymous.get("/api/openapi.json").status()).isEqualTo(200);
    }

    @Test
    void database_createGetListUpdateDelete() {
        String db = ApiServer.PG.createDatabase("apidb");
        ApiClient.Reply created =
                api.post("/api/postgres_databases", ApiServer.databaseJson("crud-db", db, "crud_slot"));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String id = created.get("id").asString();
        assertThat(created.get("name").asString()).isEqualTo("crud-db");
        assertThat(created.get("replication_slots").get(0).get("slot_name").asString())
                .isEqualTo("crud_slot");
        assertThat(created.get("replication_slots")
                        .get(0)
                        .get("publication_name")
                        .asString())
                .isEqualTo("crud_slot_pub");

        assertThat(api.get("/api/postgres_databases/" + id).get("name").asString())
                .isEqualTo("crud-db");
        assertThat(api.get("/api/postgres_databases/crud-db").get("id").asString())
                .isEqualTo(id);
        List<String> names = new ArrayList<>();
        api.get("/api/postgres_databases")
                .get("data")
                .forEach(d -> names.add(d.get("name").asString()));
        assertThat(names).contains("crud-db");

        ApiClient.Reply renamed =
                api.patch("/api/postgres_databases/" + id, "{\"name\": \"crud-db-2\", \"pool_size\": 3}");
        assertThat(renamed.status()).as(renamed.text()).isEqualTo(200);
        assertThat(renamed.get("id").asString()).isEqualTo(id);
        assertThat(renamed.get("pool_size").asInt()).isEqualTo(3);
        assertThat(api.get("/api/postgres_databases/crud-db").status()).isEqualTo(404);

        ApiClient.Reply deleted = api.delete("/api/postgres_databases/crud-db-2");
        assertThat(deleted.status()).as(deleted.text()).isEqualTo(200);
        assertThat(deleted.get("deleted").asBoolean()).isTrue();
        assertThat(deleted.get("id").asString()).isEqualTo(id);
        assertThat(api.get("/api/postgres_databases/" + id).status()).isEqualTo(404);
    }

    @Test
    void sink_createdThroughTheApi_deliversChanges() {
        String db = ApiServer.PG.createDatabase("apisink");
        ApiServer.PG.execute(db, "CREATE TABLE items (id int PRIMARY KEY, label text)");
        assertThat(api.post("/api/postgres_databases", ApiServer.databaseJson("sink-db", db, "sink_slot"))
                        .status())
                .isEqualTo(201);
        ApiClient.Reply ep = api.post(
                "/api/destinations/http_endpoints",
                "{\"name\": \"sink-ep\", \"url\": \"" + receiver.url()
                        + "\", \"encrypted_headers\": {\"X-Secret\": \"s3cr3t\"}}");
        assertThat(ep.status()).as(ep.text()).isEqualTo(201);
        assertThat(ep.get("encrypted_headers").get("X-Secret").asString()).isEqualTo(Obfuscate.MASK);
        ApiClient.Reply sink = api.post("/api/sinks", """
                {"name": "sink-1", "database": "sink-db", "status": "active",
                 "destination": {"type": "webhook", "http_endpoint": "sink-ep", "http_endpoint_path": "/one", "batch": false},
                 "filter": "", "transform": "none", "routing": null}""");
        assertThat(sink.status()).as(sink.text()).isEqualTo(201);
        assertThat(sink.get("transform").asString()).isEqualTo("none");
        ApiServer.PG.execute(db, "INSERT INTO items VALUES (1, 'a')");
        List<JsonNode> got = receiver.awaitMessages(1, Duration.ofSeconds(30));
        assertThat(got.getFirst().get("record").get("label").asString()).isEqualTo("a");
    }

    @Test
    void validation_namesEachInvalidField() {
        ApiClient.Reply r = api.post("/api/sinks", """
                {"name": "bad-sink", "database": "nope", "batch_size": 0, "bogus": 1,
                 "destination": {"type": "kafka", "hosts": "localhost:9092", "topic": "t"}}""");
        assertThat(r.status()).as(r.text()).isEqualTo(422);
        JsonNode errors = r.get("validation_errors");
        assertThat(errors.has("database")).as(r.text()).isTrue();
        assertThat(errors.has("batch_size")).as(r.text()).isTrue();
        assertThat(errors.has("bogus")).as(r.text()).isTrue();
        assertThat(errors.get("destination.type").get(0).asString())
                .contains("kafka")
                .contains("not supported yet");
    }

    @Test
    void badBodies_get400And413() {
        assertThat(api.post("/api/sinks", "{not json").status()).isEqualTo(400);
        assertThat(api.send("POST", "/api/sinks", "{}", "text/plain").status()).isEqualTo(400);
        assertThat(api.post("/api/sinks", "[1]").status()).isEqualTo(400);
        assertThat(api.sendBytes("POST", "/api/sinks", new byte[] {'{', '"', (byte) 0xC3, '"', '}'}, "application/json")
                        .status())
                .isEqualTo(400);
        String huge = "{\"name\": \"" + "x".repeat(1_100_000) + "\"}";
        assertThat(api.post("/api/sinks", huge).status()).isEqualTo(413);
        assertThat(api.get("/api/sinks/does-not-exist").status()).isEqualTo(404);
        assertThat(api.get("/api/sinks/does-not-exist").get("summary").asString())
                .contains("does-not-exist");
    }
}
