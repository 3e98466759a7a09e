package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.destination.Destinations;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Sequin's documented API examples (test resources {@code sequin-api-examples/}, see its README) are our contract:
 * every request example is accepted (or refused with the documented "not supported yet" answer), and every field of
 * every response example is present in our response for the same resource and operation. The replica examples
 * need a standby: {@link ApiReplicaIT} runs them.
 *
 * <p>Database requests are pointed at the test Postgres: hostname, port, database, username, password and url are
 * replaced, and {@code ssl} is set to false because the test Postgres has no TLS. Slot names get a per-run suffix,
 * because replication slots are global to a Postgres cluster and the examples reuse one name.
 *
 * <p>Fixture fields deliberately not compared:
 *
 * <p>The backfill and sequin_stream examples run against a real table: the backfill one on a paused sink (so that it
 * is still active when looked at), the receive one against an insert and an update of the documented row.
 *
 * <ul>
 *   <li>{@code http_endpoints} "local" and "webhook.site" variants: Sequin tunnel features Sluice rejects (422).
 *   <li>The {@code destination} sub-fields of non-webhook sink fixtures: they are type-specific, and only webhook
 *       destinations exist in Sluice.
 *   <li>The {@code data} wrapper of the database GET example: Sequin's code returns the bare object (see the
 *       fixtures' README), so its content is compared with our bare object.
 *   <li>The three test_connection 422 examples share one field set ({@code success}, {@code reason}); it is
 *       compared once, for a database that refuses connections. refresh_tables' 422 is not provoked.
 * </ul>
 */
class ApiContractIT {
    private static final String DIR = "/sequin-api-examples/";
    private static final String TAG = UUID.randomUUID().toString().substring(0, 6);

    static ApiServer server;
    static ApiClient api;
    static final List<String[]> slots = new ArrayList<>();

    @BeforeAll
    static void start() {
        server = ApiServer.start();
        api = server.client();
    }

    @AfterAll
    static void stop() {
        server.close();
        ApiServer.dropSlots(slots);
    }

    // ---- postgres_databases ------------------------------------------------------------------------------

    @Test
    void databaseCreateExamples_areAccepted_andEveryOperationAnswersWithSequinsFields() {
        for (String example : List.of("using-url", "using-connection-params")) {
            ObjectNode body = database(fixture("postgres_databases.create.request." + example + ".json"), example);
            String name = body.get("name").asString();
            deleteIfPresent("/api/postgres_databases/" + name);

            ApiClient.Reply created = api.post("/api/postgres_databases", body.toString());
            assertThat(created.status()).as(example + ": " + created).isEqualTo(201);
            assertFields(example + " create", fixture("postgres_databases.create.response.json"), created.body());
            String id = created.get("id").asString();
            String one = "/api/postgres_databases/" + id;

            JsonNode getFixture = fixture("postgres_databases.get.response.200-ok.normalized.json")
                    .get("data");
            assertFields(example + " get", getFixture, ok(api.get(one)));
            assertFields(example + " get sensitive", getFixture, ok(api.get(one + "?show_sensitive=true")));
            assertFields(
                    example + " list",
                    fixture("postgres_databases.list.response.200-ok.normalized.json"),
                    only(
                            ok(api.get("/api/postgres_databases")),
                            d -> d.get("id").asString().equals(id)));
            assertFields(
                    example + " test_connection",
                    fixture("postgres_databases.test_connection.response.200-ok.json"),
                    ok(api.post(one + "/test_connection", null)));
            assertFields(
                    example + " refresh_tables",
                    fixture("postgres_databases.refresh_tables.response.200-ok.json"),
                    ok(api.post(one + "/refresh_tables", null)));
            assertFields(
                    example + " delete",
                    fixture("postgres_databases.delete.response.200-ok.json"),
                    ok(api.delete(one)));

            JsonNode notFound = fixture("postgres_databases.get.response.404-not-found.json");
            assertFields("get 404", notFound, status(404, api.get(one)));
            // The detail reads as Sequin's, word for word.
            assertThat(status(404, api.get(one)).at("/errors/detail")).isEqualTo(notFound.at("/errors/detail"));
            assertFields("delete 404", notFound, status(404, api.delete(one)));
            assertFields(
                    "test_connection 404",
                    fixture("postgres_databases.test_connection.response.404-not-found.json"),
                    status(404, api.post(one + "/test_connection", null)));
            assertFields(
                    "refresh_tables 404",
                    fixture("postgres_databases.refresh_tables.response.404-not-found.json"),
                    status(404, api.post(one + "/refresh_tables", null)));
        }
    }

    @Test
    void databaseUpdateExamples_areAccepted_andAnswerWithSequinsFields() {
        String db = ApiServer.PG.createDatabase("contract_upd");
        String id = createDatabase("update-target-" + TAG, db, "update_target");
        String one = "/api/postgres_databases/" + id;
        JsonNode response = fixture("postgres_databases.update.response.json");
        // The url example first: later examples then change single connection fields of a url-made database.
        for (String example :
                List.of("using-url", "updating-database-and-replication-slot", "using-connection-params")) {
            ObjectNode body = (ObjectNode) fixture("postgres_databases.update.request." + example + ".json");
            connection(body, db);
            if (body.get("replication_slots") instanceof ArrayNode a) {
                ObjectNode slot = (ObjectNode) a.get(0);
                slot.put("slot_name", slot(db, slot.get("slot_name").asString()));
            }
            for (String method : List.of("PUT", "PATCH")) {
                ApiClient.Reply r = api.send(method, one, body.toString(), "application/json");
                assertThat(r.status()).as(example + " " + method + ": " + r).isEqualTo(200);
                assertFields(example + " " + method, response, r.body());
                assertThat(r.get("name").asString()).isEqualTo(body.get("name").asString());
                assertThat(r.get("hostname").asString()).isEqualTo("localhost");
                assertThat(r.get("database").asString()).isEqualTo(db);
            }
        }
        JsonNode renamed = ok(api.get(one));
        assertThat(renamed.get("replication_slots")
                        .get(0)
                        .get("publication_name")
                        .asString())
                .isEqualTo("new_sequin_pub");
        assertThat(ok(api.post(one + "/test_connection", null)).get("success").asBoolean())
                .isTrue();
        assertThat(api.delete(one).status()).isEqualTo(200);
    }

    @Test
    void testConnection_whenTheDatabaseRefusesConnections_answersWithSequinsFields() {
        String db = ApiServer.PG.createDatabase("contract_refuse");
        String id = createDatabase("refusing-" + TAG, db, "refusing");
        ApiServer.PG.execute("postgres", "ALTER DATABASE " + db + " ALLOW_CONNECTIONS false");
        try {
            ApiClient.Reply r = api.post("/api/postgres_databases/" + id + "/test_connection", null);
            assertThat(r.status()).as(r.text()).isEqualTo(422);
            assertFields(
                    "test_connection 422",
                    fixture("postgres_databases.test_connection.response.422-permission-denied.json"),
                    r.body());
            assertThat(r.get("success").asBoolean()).isFalse();
            assertThat(r.get("summary").asString()).isEqualTo(r.get("reason").asString());
        } finally {
            ApiServer.PG.execute("postgres", "ALTER DATABASE " + db + " ALLOW_CONNECTIONS true");
        }
        assertThat(api.delete("/api/postgres_databases/" + id).status()).isEqualTo(200);
    }

    @Test
    void deletingADatabaseInUse_answersWithSequinsErrorField() {
        String dbId = createDatabase("in-use-" + TAG, "in_use");
        String ep = createEndpoint("in-use-ep-" + TAG);
        ApiClient.Reply sink = api.post(
                "/api/sinks",
                "{\"name\": \"in-use-sink-" + TAG + "\", \"database\": \"" + dbId
                        + "\", \"destination\": {\"type\": \"webhook\", \"http_endpoint\": \"" + ep + "\"}}");
        assertThat(sink.status()).as(sink.text()).isEqualTo(201);
        // 422, as Sequin documents it, with its error field.
        ApiClient.Reply r = api.delete("/api/postgres_databases/" + dbId);
        assertThat(r.status()).as(r.text()).isEqualTo(422);
        assertThat(r.get("success").asBoolean()).isFalse();
        assertFields(
                "delete in use", fixture("postgres_databases.delete.response.422-unprocessable-entity.json"), r.body());
        assertThat(api.delete("/api/sinks/in-use-sink-" + TAG).status()).isEqualTo(200);
        assertThat(api.delete("/api/postgres_databases/" + dbId).status()).isEqualTo(200);
        assertThat(api.delete("/api/destinations/http_endpoints/" + ep).status())
                .isEqualTo(200);
    }

    // ---- http endpoints ------------------------------------------------------------------------------------

    @Test
    void httpEndpointExamples_areAccepted_andEveryOperationAnswersWithSequinsFields() {
        JsonNode request = fixture("http_endpoints.create.request.json");
        deleteIfPresent(
                "/api/destinations/http_endpoints/" + request.get("name").asString());
        ApiClient.Reply created = api.post("/api/destinations/http_endpoints", request.toString());
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        JsonNode single = fixture("http_endpoints.create_get_update.response.regular-http-endpoint.json");
        assertFields("create", single, created.body());
        String one = "/api/destinations/http_endpoints/" + created.get("id").asString();
        assertFields("get", single, ok(api.get(one)));

        // Only the regular endpoint of the list example: the others are tunnel endpoints (see class comment).
        ArrayNode listed =
                (ArrayNode) fixture("http_endpoints.list.response.json").get("data");
        ObjectNode list = Requests.JSON.createObjectNode();
        list.putArray("data").add(listed.get(0));
        assertThat(listed.get(0).has("url")).isTrue();
        assertFields(
                "list",
                list,
                only(
                        ok(api.get("/api/destinations/http_endpoints")),
                        e -> e.get("id").equals(created.get("id"))));

        for (String method : List.of("PATCH", "PUT")) {
            ApiClient.Reply updated = api.send(
                    method, one, fixture("http_endpoints.update.request.json").toString(), "application/json");
            assertThat(updated.status()).as(updated.text()).isEqualTo(200);
            assertFields("update " + method, single, updated.body());
            assertThat(updated.get("headers").get("house").asString()).isEqualTo("fremen");
        }
        assertFields("delete", fixture("http_endpoints.delete.response.json"), ok(api.delete(one)));
        JsonNode notFound = fixture("postgres_databases.get.response.404-not-found.json");
        assertFields("get 404", notFound, status(404, api.get(one)));
        assertThat(status(404, api.get(one)).at("/errors/detail").asString()).isEqualTo("HTTP Endpoint not found");
        assertFields("delete 404", notFound, status(404, api.delete(one)));
    }

    @Test
    void tunnelEndpointVariants_areRefusedNamingTheirField() {
        for (String variant : List.of("local-endpoint", "webhook-site-endpoint")) {
            ObjectNode body = (ObjectNode) fixture("http_endpoints.create_get_update.response." + variant + ".json");
            body.remove("id");
            body.remove("encrypted_headers");
            ApiClient.Reply r = api.post("/api/destinations/http_endpoints", body.toString());
            assertThat(r.status()).as(r.text()).isEqualTo(422);
            String field = variant.startsWith("local") ? "local" : "webhook.site";
            assertThat(r.get("validation_errors").has(field)).as(r.text()).isTrue();
            assertThat(r.get("validation_errors").get(field).get(0).asString()).contains("not supported");
        }
    }

    // ---- sinks ---------------------------------------------------------------------------------------------

    @Test
    void sinkCreateExample_isAcceptedWithItsKafkaDestination_onceItsTransformExists() {
        JsonNode request = fixture("sinks.create.request.json");
        String database = request.get("database").asString();
        String transformName = request.get("transform").asString();
        deleteIfPresent("/api/sinks/" + request.get("name").asString());
        deleteIfPresent("/api/functions/" + transformName);
        deleteIfPresent("/api/postgres_databases/" + database);
        createDatabase(database, "dune");

        ApiClient.Reply transform = api.post("/api/sinks", request.toString());
        assertThat(transform.status()).as(transform.text()).isEqualTo(422);
        assertThat(transform.get("validation_errors").propertyNames()).containsExactly("transform");
        assertThat(transform.get("validation_errors").get("transform").get(0).asString())
                .contains("no function named '" + transformName + "'");

        ApiClient.Reply fn = api.post(
                "/api/functions",
                ApiClient.JSON
                        .createObjectNode()
                        .put("name", transformName)
                        .put("type", "transform")
                        .put("code", "function transform(action, record, changes, metadata) { return record; }")
                        .toString());
        assertThat(fn.status()).as(fn.text()).isEqualTo(201);
        ApiClient.Reply created = api.post("/api/sinks", request.toString());
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.get("transform").asString()).isEqualTo(transformName);
        assertThat(created.get("name").asString()).isEqualTo(request.get("name").asString());
        assertThat(created.get("batch_size").asInt()).isEqualTo(100);
        JsonNode destination = created.get("destination");
        for (String key : List.of("type", "hosts", "tls", "topic")) {
            assertThat(destination.get(key))
                    .as(key)
                    .isEqualTo(request.get("destination").get(key));
        }
        // The keys of Sequin's Kafka response example, but its credentials (none given here).
        JsonNode example = fixture("sinks.create_get_update.response.kafka.normalized.json")
                .get("destination");
        for (String key : example.propertyNames()) {
            if (!Set.of("username", "password", "sasl_mechanism").contains(key)) {
                assertThat(destination.has(key)).as(key).isTrue();
            }
        }

        String one = "/api/sinks/" + created.get("id").asString();
        ApiClient.Reply updated =
                api.patch(one, fixture("sinks.update.request.json").toString());
        assertThat(updated.status()).as(updated.text()).isEqualTo(200);
        assertThat(updated.get("status").asString()).isEqualTo("disabled");
        assertThat(updated.get("batch_size").asInt()).isEqualTo(50);
        ApiClient.Reply put = api.put(one, fixture("sinks.update.request.json").toString());
        assertThat(put.status()).as(put.text()).isEqualTo(200);

        assertFields("sink delete", fixture("sinks.delete.response.json"), ok(api.delete(one)));
        assertFields(
                "sink get 404",
                fixture("postgres_databases.get.response.404-not-found.json"),
                status(404, api.get(one)));
        assertThat(status(404, api.get(one)).at("/errors/detail").asString()).isEqualTo("Sink not found");
        assertThat(api.delete("/api/postgres_databases/" + database).status()).isEqualTo(200);
    }

    @Test
    void sinkResponses_carryEveryFieldOfEachSequinExample() {
        String dbId = createDatabase("sink-fields-" + TAG, "sink_fields");
        String ep = createEndpoint("sink-fields-ep-" + TAG);
        // The webhook response example, sent back as a request: read-only fields are accepted and ignored.
        ObjectNode body = (ObjectNode) fixture("sinks.create_get_update.response.webhook.normalized.json");
        body.put("name", "my-webhook-sink-" + TAG);
        body.put("database", dbId);
        ((ObjectNode) body.get("destination")).put("http_endpoint", ep);
        body.put("transform", "none");
        ApiClient.Reply created = api.post("/api/sinks", body.toString());
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String id = created.get("id").asString();
        String one = "/api/sinks/" + id;
        assertThat(created.get("tables").size()).isEqualTo(1);

        JsonNode got = ok(api.get(one));
        JsonNode patched = ok(api.patch(one, "{\"batch_size\": 49}"));
        JsonNode listed =
                only(ok(api.get("/api/sinks")), s -> s.get("id").asString().equals(id));
        List<String> singles = examples("sinks.create_get_update.response.");
        List<String> lists = examples("sinks.list.response.");
        assertThat(singles).hasSize(16);
        assertThat(lists).hasSize(15); // Sequin's list snippet has no S2 example
        for (String file : singles) {
            JsonNode fixture = comparable(fixture(file), file);
            assertFields(file + " (create)", fixture, created.body());
            assertFields(file + " (get)", fixture, got);
            assertFields(file + " (update)", fixture, patched);
        }
        for (String file : lists) {
            assertFields(file, comparable(fixture(file), file), listed);
        }
        assertThat(api.delete(one).status()).isEqualTo(200);
        assertThat(api.delete("/api/postgres_databases/" + dbId).status()).isEqualTo(200);
    }

    /**
     * Each of Sequin's sink examples but the webhook one (above), sent back as a create request: the destination is
     * accepted as Sequin wrote it, and responses show each of its keys with the value given (secrets masked).
     */
    @Test
    void sinks_ofEverySequinDestinationType_takeTheExamplesDestinationUnchanged() {
        String dbId = createDatabase("sink-types-" + TAG, "sink_types");
        List<String> singles = examples("sinks.create_get_update.response.");
        for (String file : singles) {
            if (file.contains(".webhook.")) {
                continue;
            }
            ObjectNode body = (ObjectNode) fixture(file);
            String type = body.get("destination").get("type").asString();
            if (type.equals("gcp_pubsub")) {
                // The example's credentials are a placeholder; a real key file (the provider's example) is checked.
                Object key = Destinations.installed()
                        .find(type)
                        .orElseThrow()
                        .examples()
                        .getFirst()
                        .get("credentials");
                ((ObjectNode) body.get("destination")).put("credentials", (String) key);
            }
            body.put("name", "sequin-" + type.replace('_', '-') + "-" + TAG);
            body.put("database", dbId);
            body.put("transform", "none");
            body.put("status", "paused");
            ApiClient.Reply created = api.post("/api/sinks", body.toString());
            assertThat(created.status()).as(file + ": " + created.text()).isEqualTo(201);
            String one = "/api/sinks/" + created.get("id").asString();
            for (JsonNode shown : List.of(created.body(), ok(api.get(one)))) {
                JsonNode destination = shown.get("destination");
                for (String key : body.get("destination").propertyNames()) {
                    JsonNode given = body.get("destination").get(key);
                    JsonNode actual = destination.get(key);
                    assertThat(actual).as("%s: destination.%s", file, key).isNotNull();
                    if (actual.isString() && given.isString()) {
                        // Allowed values match in any case and are shown as Sluice lists them (Kafka's PLAIN).
                        if (!actual.asString().equals("************")) {
                            assertThat(actual.asString())
                                    .as("%s: destination.%s", file, key)
                                    .isEqualToIgnoringCase(given.asString());
                        }
                    } else {
                        assertThat(actual).as("%s: destination.%s", file, key).isEqualTo(given);
                    }
                }
            }
            assertThat(api.delete(one).status()).isEqualTo(200);
        }
        assertThat(api.delete("/api/postgres_databases/" + dbId).status()).isEqualTo(200);
    }

    /** Drops the type-specific destination sub-fields of non-webhook examples (see the class comment). */
    private static JsonNode comparable(JsonNode fixture, String file) {
        if (!file.contains(".webhook.")) {
            List<JsonNode> sinks = new ArrayList<>();
            if (fixture.get("data") instanceof ArrayNode a) {
                a.forEach(sinks::add);
            } else {
                sinks.add(fixture);
            }
            for (JsonNode s : sinks) {
                JsonNode type = s.get("destination").get("type");
                ((ObjectNode) s).putObject("destination").set("type", type);
            }
        }
        return fixture;
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /** Points a database example at a fresh database of the test Postgres, keeping its other fields. */
    private static ObjectNode database(JsonNode fixture, String label) {
        ObjectNode body = (ObjectNode) fixture.deepCopy();
        String db = ApiServer.PG.createDatabase("contract");
        connection(body, db);
        ObjectNode slot = (ObjectNode) body.get("replication_slots").get(0);
        slot.put("slot_name", slot(db, slot.get("slot_name").asString()));
        slot.put("create_if_not_exists", true);
        return body;
    }

    /** Replaces the connection fields the example gives, and only those. */
    private static void connection(ObjectNode body, String db) {
        if (body.has("url")) {
            body.put("url", "postgresql://postgres@localhost:" + ApiServer.PG.port() + "/" + db);
        }
        if (body.has("hostname")) {
            body.put("hostname", "localhost");
        }
        if (body.has("port")) {
            body.put("port", ApiServer.PG.port());
        }
        if (body.has("database")) {
            body.put("database", db);
        }
        if (body.has("username")) {
            body.put("username", "postgres");
        }
        if (body.has("password")) {
            // The test Postgres trusts its superuser: there is no password to give.
            body.remove("password");
        }
        if (body.has("ssl")) {
            body.put("ssl", false);
        }
    }

    // ---- backfills ----------------------------------------------------------------------------------------

    @Test
    void backfillExamples_everyOperationAnswersWithSequinsFields() {
        String db = ApiServer.PG.createDatabase("contract_bf");
        ApiServer.PG.execute(
                db,
                "CREATE TABLE benchmark_records (id int PRIMARY KEY, note text)",
                "INSERT INTO benchmark_records SELECT g, 'r' || g FROM generate_series(1, 50) g");
        String dbId = createDatabase("backfill-db-" + TAG, db, "contract_bf");
        String sink = "kafka-ids-" + TAG;
        // A paused sequin_stream sink: the backfill stays active while the test looks at it.
        ApiClient.Reply created = api.post(
                "/api/sinks",
                "{\"name\": \"" + sink + "\", \"database\": \"" + dbId + "\", \"status\": \"paused\","
                        + " \"source\": {\"include_tables\": [\"public.benchmark_records\"]},"
                        + " \"destination\": {\"type\": \"sequin_stream\"}}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String base = "/api/sinks/" + sink + "/backfills";

        // Sequin's create example has no body: the sink's only table is implied.
        ApiClient.Reply backfill = api.post(base, "{}");
        assertThat(backfill.status()).as(backfill.text()).isIn(200, 201);
        assertFields("backfill create", fixture("backfills.create.response.json"), backfill.body());
        assertThat(backfill.get("sink_consumer").asString()).isEqualTo(sink);
        String one = base + "/" + backfill.get("id").asString();

        assertFields("backfill get", fixture("backfills.get.response.json"), ok(api.get(one)));
        assertFields(
                "backfill list",
                fixture("backfills.list.response.json"),
                only(ok(api.get(base)), b -> b.get("id").equals(backfill.get("id"))));
        assertThat(ok(api.get(one)).get("table").asString()).isEqualTo("public.benchmark_records");

        ApiClient.Reply cancelled =
                api.patch(one, fixture("backfills.update.request.json").toString());
        assertFields("backfill update", fixture("backfills.get.response.json"), ok(cancelled));
        assertThat(cancelled.get("state").asString()).isEqualTo("cancelled");
        assertThat(cancelled.get("canceled_at").isNull()).isFalse();

        assertFields("backfill delete", fixture("backfills.delete.response.json"), ok(api.delete(one)));
        assertThat(status(404, api.get(one)).at("/errors/detail").asString()).isEqualTo("Backfill not found");
        assertThat(api.delete("/api/sinks/" + sink).status()).isEqualTo(200);
        assertThat(api.delete("/api/postgres_databases/" + dbId).status()).isEqualTo(200);
    }

    // ---- sequin_stream ------------------------------------------------------------------------------------

    @Test
    void sequinStreamExamples_receiveAckAndNack_answerWithSequinsFields() {
        String db = ApiServer.PG.createDatabase("contract_st");
        ApiServer.PG.execute(
                db,
                "CREATE TABLE orders (id int PRIMARY KEY, customer_id int, status text)",
                // Old values, so that an update's changes are known.
                "ALTER TABLE orders REPLICA IDENTITY FULL");
        String dbId = createDatabase("stream-db-" + TAG, db, "contract_st");
        // The example's annotations, on the database and on the sink: both are carried into each message.
        String annotations = "{\"my-custom-key\": \"my-custom-value\"}";
        ApiClient.Reply annotated =
                api.patch("/api/postgres_databases/" + dbId, "{\"annotations\": " + annotations + "}");
        assertThat(annotated.status()).as(annotated.text()).isEqualTo(200);
        assertThat(annotated.get("annotations").get("my-custom-key").asString()).isEqualTo("my-custom-value");
        String sink = "orders-stream-" + TAG;
        ApiClient.Reply created = api.post(
                "/api/sinks",
                "{\"name\": \"" + sink + "\", \"database\": \"" + dbId + "\", \"annotations\": " + annotations
                        + ", \"destination\": {\"type\": \"sequin_stream\", \"visibility_timeout_ms\": 60000}}");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String base = "/api/http_pull_consumers/" + sink;
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(60))
                .until(() -> api.post(base + "/receive", "{}").status() == 200);
        ApiServer.PG.execute(
                db,
                "INSERT INTO orders VALUES (1234, 789, 'pending')",
                "UPDATE orders SET status = 'shipped' WHERE id = 1234");

        String receive =
                fixture("sequin_stream.receive.request.using-post.json").toString();
        JsonNode example = fixture("sequin_stream.receive.response.normalized.json");
        List<String> ackIds = new ArrayList<>();
        JsonNode update = null;
        for (int i = 0; i < 2 && update == null; i++) {
            JsonNode got = org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(30))
                    .until(
                            () -> ok(api.post(base + "/receive", receive)),
                            r -> !r.get("data").isEmpty());
            for (JsonNode item : got.get("data")) {
                ackIds.add(item.get("ack_id").asString());
                if (item.get("action").asString().equals("update")) {
                    update = item;
                }
            }
            // The row's update goes out once its insert is acknowledged.
            assertFields(
                    "ack",
                    fixture("sequin_stream.ack.response.200-ok.json"),
                    ok(api.post(base + "/ack", ackBody("sequin_stream.ack.request.json", ackIds))));
        }
        assertThat(update).as("the update was received").isNotNull();
        ObjectNode oneItem = Requests.JSON.createObjectNode();
        oneItem.putArray("data").add(update);
        assertFields("receive", example, oneItem);
        assertThat(update.at("/record/status").asString()).isEqualTo("shipped");
        assertThat(update.at("/changes/status").asString()).isEqualTo("pending");
        assertThat(update.at("/metadata/consumer/name").asString()).isEqualTo(sink);
        assertThat(update.at("/metadata/database/annotations/my-custom-key").asString())
                .isEqualTo("my-custom-value");

        // A nack of ids that are done (or unknown) is accepted and changes nothing.
        assertFields(
                "nack",
                fixture("sequin_stream.nack.response.200-ok.json"),
                ok(api.post(base + "/nack", ackBody("sequin_stream.nack.request.json", ackIds))));
        assertThat(ok(api.post(base + "/receive", receive)).get("data")).isEmpty();
        assertThat(api.delete("/api/sinks/" + sink).status()).isEqualTo(200);
        assertThat(api.delete("/api/postgres_databases/" + dbId).status()).isEqualTo(200);
    }

    /** The example ack/nack body with its ack_ids replaced by real ones. */
    private static String ackBody(String example, List<String> ackIds) {
        ObjectNode body = (ObjectNode) fixture(example);
        assertThat(body.get("ack_ids").isArray()).isTrue();
        ArrayNode ids = body.putArray("ack_ids");
        ackIds.forEach(ids::add);
        return body.toString();
    }

    private static String slot(String db, String name) {
        String unique = name + "_" + TAG + "_" + slots.size();
        slots.add(new String[] {db, unique});
        return unique;
    }

    private static String createDatabase(String name, String slotPrefix) {
        return createDatabase(name, ApiServer.PG.createDatabase("contract"), slotPrefix);
    }

    private static String createDatabase(String name, String db, String slotPrefix) {
        ApiClient.Reply r = api.post("/api/postgres_databases", ApiServer.databaseJson(name, db, slot(db, slotPrefix)));
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.get("id").asString();
    }

    private static String createEndpoint(String name) {
        ApiClient.Reply r = api.post(
                "/api/destinations/http_endpoints", "{\"name\": \"" + name + "\", \"url\": \"http://localhost:9/\"}");
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return name;
    }

    private static void deleteIfPresent(String path) {
        int status = api.delete(path).status();
        assertThat(status).isIn(200, 404);
    }

    private static JsonNode ok(ApiClient.Reply r) {
        return status(200, r);
    }

    private static JsonNode status(int expected, ApiClient.Reply r) {
        assertThat(r.status()).as(r.text()).isEqualTo(expected);
        return r.body();
    }

    /** A list body reduced to the one element the test made, so that others' resources do not interfere. */
    private static JsonNode only(JsonNode list, Predicate<JsonNode> mine) {
        ObjectNode out = Requests.JSON.createObjectNode();
        ArrayNode data = out.putArray("data");
        list.get("data").forEach(e -> {
            if (mine.test(e)) {
                data.add(e);
            }
        });
        assertThat(data.size()).as(list.toString()).isEqualTo(1);
        return out;
    }

    static JsonNode fixture(String file) {
        try (InputStream in = ApiContractIT.class.getResourceAsStream(DIR + file)) {
            return Requests.JSON.readTree(Objects.requireNonNull(in, file).readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> examples(String prefix) {
        try (InputStream in = ApiContractIT.class.getResourceAsStream(DIR + "index.txt")) {
            return new String(Objects.requireNonNull(in).readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    .lines()
                    .filter(f -> f.startsWith(prefix) && f.endsWith(".json") && !f.endsWith(".jsonc"))
                    .filter(f -> f.endsWith(".normalized.json"))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Every field of {@code expected} is in {@code actual}: recursively for objects; for arrays, the fields of each
     * expected element object must be in every element of the actual array (which must not be empty then).
     */
    static void assertFields(String what, JsonNode expected, JsonNode actual) {
        List<String> missing = new ArrayList<>();
        compare("", expected, actual, missing);
        assertThat(missing).as(what + ": fields missing from " + actual).isEmpty();
    }

    private static void compare(String path, JsonNode expected, JsonNode actual, List<String> missing) {
        if (expected instanceof ObjectNode e) {
            if (!(actual instanceof ObjectNode a)) {
                missing.add(path + " (expected an object, got " + actual.getNodeType() + ")");
                return;
            }
            for (String field : e.propertyNames()) {
                String p = path.isEmpty() ? field : path + "." + field;
                if (!a.has(field)) {
                    missing.add(p);
                } else {
                    compare(p, e.get(field), a.get(field), missing);
                }
            }
        } else if (expected instanceof ArrayNode e) {
            if (!(actual instanceof ArrayNode a)) {
                missing.add(path + " (expected an array, got " + actual.getNodeType() + ")");
                return;
            }
            for (JsonNode item : e) {
                if (!(item instanceof ObjectNode) || item.isEmpty()) {
                    continue;
                }
                if (a.isEmpty()) {
                    missing.add(path + "[] (empty: cannot compare its elements)");
                }
                for (JsonNode got : a) {
                    compare(path + "[]", item, got, missing);
                }
            }
        }
    }
}
