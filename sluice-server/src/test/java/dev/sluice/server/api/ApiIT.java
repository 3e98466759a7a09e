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
    void everyRouteOfTheApi_needsAValidToken() {
        ApiClient anonymous = api.withToken(null);
        ApiClient wrong = api.withToken("sluice_not_a_token");
        int checked = 0;
        for (ManagementApi.Route route : new ManagementApi(null, null, null, null, null).routes()) {
            if (route.path().equals("/api/openapi.json")) {
                continue;
            }
            String path = route.path()
                    .replace("{id_or_name}", "x")
                    .replace("{message_id}", "1-0")
                    .replace("{backfill_id}", "e0c918bb-12a2-4810-94a3-387cd672a478")
                    .replace("{job_id}", "2a7c1f0e-5b8d-4c3e-9f61-0d4b8e2a9c17")
                    .replace("{id}", "node-1");
            String body = route.method().equals("GET") || route.method().equals("DELETE") ? null : "{}";
            String type = body == null ? null : "application/json";
            assertThat(anonymous.send(route.method(), path, body, type).status())
                    .as(route.method() + " " + path)
                    .isEqualTo(401);
            assertThat(wrong.send(route.method(), path, body, type).status())
                    .as(route.method() + " " + path)
                    .isEqualTo(401);
            checked++;
        }
        assertThat(checked).isGreaterThan(20);
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
        assertThat(renamed.get("heartbeat_interval_ms").asInt()).as("default").isEqualTo(30000);
        ApiClient.Reply tooFast = api.patch("/api/postgres_databases/" + id, "{\"heartbeat_interval_ms\": 500}");
        assertThat(tooFast.status()).as(tooFast.text()).isEqualTo(422);
        assertThat(tooFast.text()).contains("heartbeat_interval_ms").contains("at least 1000");
        ApiClient.Reply off = api.patch("/api/postgres_databases/" + id, "{\"heartbeat_interval_ms\": 0}");
        assertThat(off.status()).as(off.text()).isEqualTo(200);
        assertThat(off.get("heartbeat_interval_ms").asInt()).isZero();
        assertThat(api.get("/api/postgres_databases/" + id)
                        .get("heartbeat_interval_ms")
                        .asInt())
                .isZero();
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
    void anEndpointChange_reachesTheRunningSinksThatUseIt() {
        String db = ApiServer.PG.createDatabase("apimove");
        ApiServer.PG.execute(db, "CREATE TABLE items (id int PRIMARY KEY, label text)");
        assertThat(api.post("/api/postgres_databases", ApiServer.databaseJson("move-db", db, "move_slot"))
                        .status())
                .isEqualTo(201);
        try (WebhookReceiver other = WebhookReceiver.start()) {
            assertThat(api.post("/api/destinations/http_endpoints", """
                            {"name": "move-ep", "url": "%s", "encrypted_headers": {"X-Key": "one"}}""".formatted(receiver.url("/first")))
                            .status())
                    .isEqualTo(201);
            ApiClient.Reply sink = api.post("/api/sinks", """
                    {"name": "move-sink", "database": "move-db",
                     "destination": {"type": "webhook", "http_endpoint": "move-ep", "http_endpoint_path": "/in"}}""");
            assertThat(sink.status()).as(sink.text()).isEqualTo(201);
            int before = receiver.requests().size();
            ApiServer.PG.execute(db, "INSERT INTO items VALUES (1, 'first')");
            WebhookReceiver.Request first =
                    receiver.awaitRequests(before + 1, Duration.ofSeconds(30)).get(before);
            assertThat(first.path()).isEqualTo("/first/in");
            assertThat(first.header("X-Key")).hasValue("one");

            ApiClient.Reply moved =
                    api.patch("/api/destinations/http_endpoints/move-ep", """
                    {"url": "%s", "encrypted_headers": {"X-Key": "two"}}""".formatted(other.url("/second")));
            assertThat(moved.status()).as(moved.text()).isEqualTo(200);
            ApiServer.PG.execute(db, "INSERT INTO items VALUES (2, 'second')");
            WebhookReceiver.Request second =
                    other.awaitRequests(1, Duration.ofSeconds(30)).getFirst();
            assertThat(second.path()).isEqualTo("/second/in");
            assertThat(second.header("X-Key")).hasValue("two");
            assertThat(second.messages().getFirst().get("record").get("label").asString())
                    .isEqualTo("second");
        }
        assertThat(api.delete("/api/sinks/move-sink").status()).isEqualTo(200);
    }

    @Test
    void validation_namesEachInvalidField() {
        ApiClient.Reply r = api.post("/api/sinks", """
                {"name": "bad-sink", "database": "nope", "batch_size": 0, "bogus": 1,
                 "destination": {"type": "carrier_pigeon", "host": "localhost"}}""");
        assertThat(r.status()).as(r.text()).isEqualTo(422);
        JsonNode errors = r.get("validation_errors");
        assertThat(errors.has("database")).as(r.text()).isTrue();
        assertThat(errors.has("batch_size")).as(r.text()).isTrue();
        assertThat(errors.has("bogus")).as(r.text()).isTrue();
        assertThat(errors.get("destination.type").get(0).asString())
                .contains("carrier_pigeon")
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

    @Test
    void sinkTestConnection_reachesTheWebhookWithItsHeaders_andSaysWhyWhenItCannot() {
        String db = ApiServer.PG.createDatabase("sinkchk");
        assertThat(api.post("/api/postgres_databases", ApiServer.databaseJson("chk-db", db, "chk_slot"))
                        .status())
                .isEqualTo(201);
        assertThat(api.post("/api/destinations/http_endpoints", """
                        {"name": "chk-ep", "url": "%s",
                         "encrypted_headers": {"Authorization": "Bearer chk-secret"}}""".formatted(receiver.url()))
                        .status())
                .isEqualTo(201);
        int closedPort = dev.sluice.testkit.FreePort.find();
        for (String sink : List.of(
                "{\"name\": \"chk-hook\", \"destination\": {\"type\": \"webhook\", \"http_endpoint\": \"chk-ep\","
                        + " \"http_endpoint_path\": \"/check\"}",
                "{\"name\": \"chk-closed\", \"destination\": {\"type\": \"webhook\", \"http_endpoint\":"
                        + " \"http://127.0.0.1:" + closedPort + "/x\"}",
                "{\"name\": \"chk-stream\", \"destination\": {\"type\": \"sequin_stream\"}")) {
            ApiClient.Reply r = api.post("/api/sinks", sink + ", \"database\": \"chk-db\", \"status\": \"disabled\"}");
            assertThat(r.status()).as(r.text()).isEqualTo(201);
        }
        try {
            int before = receiver.requests().size();
            ApiClient.Reply ok = api.post("/api/sinks/chk-hook/test_connection", null);
            assertThat(ok.status()).as(ok.text()).isEqualTo(200);
            assertThat(ok.get("success").asBoolean()).isTrue();
            WebhookReceiver.Request head = receiver.requests().get(before);
            assertThat(head.method()).isEqualTo("HEAD");
            assertThat(head.path()).endsWith("/check");
            assertThat(head.header("Authorization")).hasValue("Bearer chk-secret");

            receiver.respondWith(401);
            ApiClient.Reply denied = api.post("/api/sinks/chk-hook/test_connection", null);
            assertThat(denied.status()).as(denied.text()).isEqualTo(422);
            assertThat(denied.get("success").asBoolean()).isFalse();
            assertThat(denied.get("reason").asString()).contains("401").doesNotContain("chk-secret");
        } finally {
            receiver.respondWith(200);
        }
        ApiClient.Reply closed = api.post("/api/sinks/chk-closed/test_connection", null);
        assertThat(closed.status()).as(closed.text()).isEqualTo(422);
        assertThat(closed.get("reason").asString()).contains("127.0.0.1:" + closedPort);
        assertThat(api.post("/api/sinks/chk-stream/test_connection", null).status())
                .isEqualTo(200);
        assertThat(api.post("/api/sinks/no-such-sink/test_connection", null).status())
                .isEqualTo(404);
    }

    @Test
    void databaseCreate_checksTheConnectionFirst_andAnswers422WithTheReason() {
        String db = ApiServer.PG.createDatabase("connchk");
        int closedPort = dev.sluice.testkit.FreePort.find();
        ApiClient.Reply unreachable = api.post(
                "/api/postgres_databases",
                ApiServer.databaseJson("unreachable", db, "u_slot")
                        .replace("\"port\": " + ApiServer.PG.port(), "\"port\": " + closedPort));
        assertThat(unreachable.status()).as(unreachable.text()).isEqualTo(422);
        assertThat(unreachable.get("summary").asString()).contains(String.valueOf(closedPort));
        assertThat(unreachable.get("validation_errors").has("connection")).isTrue();

        ApiClient.Reply noDb =
                api.post("/api/postgres_databases", ApiServer.databaseJson("no-db", "no_such_database_x", "n_slot"));
        assertThat(noDb.status()).as(noDb.text()).isEqualTo(422);
        assertThat(noDb.get("summary").asString()).contains("no_such_database_x");

        ApiServer.PG.execute(db, "DROP ROLE IF EXISTS plain_user", "CREATE ROLE plain_user LOGIN");
        ApiClient.Reply noReplication = api.post(
                "/api/postgres_databases",
                ApiServer.databaseJson("no-repl", db, "r_slot").replace("\"postgres\"", "\"plain_user\""));
        assertThat(noReplication.status()).as(noReplication.text()).isEqualTo(422);
        assertThat(noReplication.get("summary").asString()).contains("REPLICATION");

        ApiClient.Reply missingSlot = api.post("/api/postgres_databases", """
                {"name": "no-slot", "hostname": "localhost", "port": %d, "database": "%s", "username": "postgres",
                 "ssl": false, "replication_slots": [{"publication_name": "nopub", "slot_name": "noslot"}]}""".formatted(ApiServer.PG.port(), db));
        assertThat(missingSlot.status()).as(missingSlot.text()).isEqualTo(422);
        assertThat(missingSlot.get("summary").asString()).contains("nopub");
        for (String name : List.of("unreachable", "no-db", "no-repl", "no-slot")) {
            assertThat(api.get("/api/postgres_databases/" + name).status())
                    .as("nothing saved")
                    .isEqualTo(404);
        }
    }

    @Test
    void testConnectionAndRefreshTables() {
        String db = ApiServer.PG.createDatabase("conntest");
        ApiServer.PG.execute(db, "CREATE TABLE listed (id int PRIMARY KEY)");
        assertThat(api.post("/api/postgres_databases", ApiServer.databaseJson("conn-db", db, "conn_slot"))
                        .status())
                .isEqualTo(201);
        ApiClient.Reply ok = api.post("/api/postgres_databases/conn-db/test_connection", null);
        assertThat(ok.status()).as(ok.text()).isEqualTo(200);
        assertThat(ok.get("success").asBoolean()).isTrue();
        ApiClient.Reply tables = api.post("/api/postgres_databases/conn-db/refresh_tables", null);
        assertThat(tables.status()).as(tables.text()).isEqualTo(200);
        assertThat(tables.get("tables").toString()).contains("public.listed");
        assertThat(api.post("/api/postgres_databases/nope/test_connection", null)
                        .status())
                .isEqualTo(404);
        assertThat(api.post("/api/postgres_databases/nope/refresh_tables", null).status())
                .isEqualTo(404);
        // Broken afterwards (no new connections allowed): a 422 with the reason.
        ApiServer.PG.execute("postgres", "ALTER DATABASE " + db + " ALLOW_CONNECTIONS false");
        try {
            ApiClient.Reply broken = api.post("/api/postgres_databases/conn-db/test_connection", null);
            assertThat(broken.status()).as(broken.text()).isEqualTo(422);
            assertThat(broken.get("success").asBoolean()).isFalse();
            assertThat(broken.get("reason").asString()).contains(db);
        } finally {
            ApiServer.PG.execute("postgres", "ALTER DATABASE " + db + " ALLOW_CONNECTIONS true");
        }
    }

    @Test
    void conflicts_nameTakenAndResourceInUse() {
        String db = ApiServer.PG.createDatabase("conflict");
        assertThat(api.post("/api/postgres_databases", ApiServer.databaseJson("c-db", db, "c_slot"))
                        .status())
                .isEqualTo(201);
        // A taken name is 422 on name, as in Sequin.
        ApiClient.Reply taken = api.post("/api/postgres_databases", ApiServer.databaseJson("c-db", db, "c_slot"));
        assertThat(taken.status()).isEqualTo(422);
        assertThat(taken.get("validation_errors").get("name").get(0).asString()).startsWith("has already been taken");
        assertThat(api.post("/api/destinations/http_endpoints", "{\"name\": \"c-ep\", \"url\": \"https://e.com\"}")
                        .status())
                .isEqualTo(201);
        assertThat(api.post("/api/sinks", """
                        {"name": "c-sink", "database": "c-db", "status": "paused",
                         "destination": {"type": "webhook", "http_endpoint": "c-ep"}}""").status()).isEqualTo(201);
        ApiClient.Reply inUse = api.delete("/api/postgres_databases/c-db");
        assertThat(inUse.status()).as(inUse.text()).isEqualTo(422);
        assertThat(inUse.get("summary").asString()).contains("c-sink");
        assertThat(inUse.get("error").asString()).contains("c-sink");
        assertThat(api.delete("/api/destinations/http_endpoints/c-ep").status()).isEqualTo(422);
        // Renaming the endpoint carries its sinks along.
        assertThat(api.patch("/api/destinations/http_endpoints/c-ep", "{\"name\": \"c-ep-2\"}")
                        .status())
                .isEqualTo(200);
        assertThat(api.get("/api/sinks/c-sink")
                        .get("destination")
                        .get("http_endpoint")
                        .asString())
                .isEqualTo("c-ep-2");
        assertThat(api.patch("/api/sinks/c-sink", "{\"name\": \"c-db\"}").status())
                .as("names are unique per kind only")
                .isEqualTo(200);
        assertThat(api.delete("/api/sinks/c-db").status()).isEqualTo(200);
        assertThat(api.delete("/api/postgres_databases/c-db").status()).isEqualTo(200);
    }

    @Test
    void lists_paginateWithLimitAndCursor() {
        for (int i = 0; i < 5; i++) {
            assertThat(api.post(
                                    "/api/destinations/http_endpoints",
                                    "{\"name\": \"page-" + i + "\", \"url\": \"https://e.com/" + i + "\"}")
                            .status())
                    .isEqualTo(201);
        }
        List<String> seen = new ArrayList<>();
        String after = null;
        int pages = 0;
        do {
            ApiClient.Reply page =
                    api.get("/api/destinations/http_endpoints?limit=2" + (after == null ? "" : "&after=" + after));
            assertThat(page.status()).as(page.text()).isEqualTo(200);
            assertThat(page.get("data").size()).isLessThanOrEqualTo(2);
            page.get("data").forEach(e -> seen.add(e.get("name").asString()));
            after = page.get("next_cursor").isNull()
                    ? null
                    : page.get("next_cursor").asString();
            pages++;
        } while (after != null && pages < 20);
        List<String> all = new ArrayList<>();
        ApiClient.Reply full = api.get("/api/destinations/http_endpoints");
        assertThat(full.body().has("next_cursor")).isFalse();
        full.get("data").forEach(e -> all.add(e.get("name").asString()));
        assertThat(seen).isEqualTo(all).contains("page-0", "page-4");
        assertThat(api.get("/api/sinks?limit=0").status()).isEqualTo(422);
        assertThat(api.get("/api/sinks?limit=abc").status()).isEqualTo(422);
        assertThat(api.get("/api/sinks?after=garbage").status()).isEqualTo(422);
    }
}
