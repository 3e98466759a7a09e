package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code /api/functions}: create, read, update, delete, the checks on save, and {@code /api/functions/test}. */
class FunctionsApiIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;
    static String db;

    private static final String MESSAGE = """
            {"record": {"id": 1, "status": "paid", "doc": {"tier": "gold"}}, "changes": {"status": "new"},
             "action": "update", "metadata": {"table_schema": "public", "table_name": "orders"}}""";

    @BeforeAll
    static void start() {
        sluice.start();
        api = sluice.api();
        db = sluice.database("fnapi", "CREATE TABLE orders (id int PRIMARY KEY, status text)");
        assertThat(api.post("/api/postgres_databases", sluice.databaseJson("fnapi-db", db))
                        .status())
                .isEqualTo(201);
    }

    private static ObjectNode fn(String name, String type, String code) {
        return ApiClient.JSON
                .createObjectNode()
                .put("name", name)
                .put("type", type)
                .put("code", code);
    }

    @Test
    void crud_usedByAndTheConflictOnDeletingAFunctionInUse() {
        ApiClient.Reply created = api.post(
                "/api/functions",
                fn("paid", "filter", "function filter(action, record) { return record.status === 'paid'; }")
                        .put("description", "paid orders")
                        .toString());
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        assertThat(created.get("type").asString()).isEqualTo("filter");
        assertThat(created.get("id").asString()).isNotBlank();
        assertThat(api.post(
                                "/api/functions",
                                fn("paid", "filter", "function filter() { return true; }")
                                        .toString())
                        .status())
                .isEqualTo(422);

        WebhookReceiver receiver = sluice.newReceiver();
        ApiClient.Reply sink = api.post("/api/sinks", """
                {"name": "paid-hook", "database": "fnapi-db", "filter": "paid",
                 "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(receiver.url()));
        assertThat(sink.status()).as(sink.text()).isEqualTo(201);
        assertThat(sink.get("filter").asString()).isEqualTo("paid");
        assertThat(sink.get("transform").asString()).isEqualTo("none");

        ApiClient.Reply refused = api.delete("/api/functions/paid");
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.text()).contains("paid-hook");

        // A rename follows into the sink.
        ApiClient.Reply renamed = api.patch("/api/functions/paid", "{\"name\": \"paid-only\"}");
        assertThat(renamed.status()).as(renamed.text()).isEqualTo(200);
        assertThat(api.get("/api/sinks/paid-hook").get("filter").asString()).isEqualTo("paid-only");
        assertThat(api.get("/api/functions/paid-only").get("used_by").get(0).asString())
                .isEqualTo("paid-hook");

        assertThat(api.patch("/api/sinks/paid-hook", "{\"filter\": \"none\"}").status())
                .isEqualTo(200);
        assertThat(api.delete("/api/functions/paid-only").status()).isEqualTo(200);
        assertThat(api.get("/api/functions/paid-only").status()).isEqualTo(404);
        assertThat(api.get("/api/config/export").text()).doesNotContain("paid-only");
        api.delete("/api/sinks/paid-hook");
    }

    @Test
    void save_refusesSyntaxErrorsWithLineAndColumn_elixir_reservedNames_andWrongReferences() {
        ApiClient.Reply syntax = api.post(
                "/api/functions",
                fn("broken", "transform", "function transform(a, r) {\n  return {;\n}")
                        .toString());
        assertThat(syntax.status()).isEqualTo(422);
        assertThat(syntax.get("validation_errors").get("code").toString()).contains("line 2");

        ApiClient.Reply elixir = api.post(
                "/api/functions",
                fn("ex", "transform", "def transform(action, record, changes, metadata) do\n  record\nend")
                        .toString());
        assertThat(elixir.status()).isEqualTo(422);
        assertThat(elixir.text())
                .contains("JavaScript")
                .contains("function transform(action, record, changes, metadata)");

        assertThat(api.post(
                                "/api/functions",
                                fn("nil", "filter", "function filter() { return true; }")
                                        .toString())
                        .status())
                .isEqualTo(422);

        ApiClient.Reply routingNoType = api.post(
                "/api/functions",
                fn("r", "routing", "function route() { return {}; }").toString());
        assertThat(routingNoType.status()).isEqualTo(422);
        assertThat(routingNoType.get("validation_errors").has("sink_type")).isTrue();

        ApiClient.Reply unknownRef = api.post("/api/sinks", """
                {"name": "bad-ref", "database": "fnapi-db", "transform": "nope",
                 "destination": {"type": "webhook", "http_endpoint": "http://localhost:1/"}}""");
        assertThat(unknownRef.status()).isEqualTo(422);
        assertThat(unknownRef.get("validation_errors").get("transform").toString())
                .contains("no function named 'nope'");
    }

    @Test
    void test_runsAnInlineFunctionOnGivenMessages_withOutputsErrorsAndTimes() {
        ApiClient.Reply r = api.post("/api/functions/test", """
                {"function": {"type": "transform", "code": "function transform(action, record, changes, metadata) {\\n  if (record.id === 2) { return record.missing.x; }\\n  return {id: record.id, tier: record.doc.tier, was: changes.status};\\n}"},
                 "messages": [%s, {"record": {"id": 2}, "action": "insert", "changes": null, "metadata": {}}]}
                """.formatted(MESSAGE));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode results = r.get("results");
        assertThat(results.get(0).get("output").toString()).isEqualTo("{\"id\":1,\"tier\":\"gold\",\"was\":\"new\"}");
        assertThat(results.get(0).get("error").isNull()).isTrue();
        assertThat(results.get(0).get("duration_us").asLong()).isNotNegative();
        assertThat(results.get(1).get("output").isNull()).isTrue();
        assertThat(results.get(1).get("error").get("kind").asString()).isEqualTo("runtime");
        assertThat(results.get(1).get("error").get("line").asInt()).isEqualTo(2);
    }

    @Test
    void test_pathFilterAndRouting_routingCheckedAgainstTheSinkType() {
        ApiClient.Reply path = api.post("/api/functions/test", """
                {"function": {"type": "path", "path": "record.doc.tier"}, "messages": [%s]}""".formatted(MESSAGE));
        assertThat(path.get("results").get(0).get("output").asString()).isEqualTo("gold");

        ApiClient.Reply filter = api.post("/api/functions/test", """
                {"function": {"type": "filter", "code": "function filter(a, r) { return r.id; }"}, "messages": [%s]}""".formatted(MESSAGE));
        JsonNode err = filter.get("results").get(0).get("error");
        assertThat(err.get("kind").asString()).isEqualTo("result");
        assertThat(err.get("message").asString()).contains("true or false");

        ApiClient.Reply route = api.post("/api/functions/test", """
                {"function": {"type": "routing", "sink_type": "kafka",
                              "code": "function route(a, r, c, m) { return {topic: 'orders.' + r.doc.tier}; }"},
                 "messages": [%s]}""".formatted(MESSAGE));
        assertThat(route.status()).as(route.text()).isEqualTo(200);
        assertThat(route.get("results").get(0).get("routing").get("topic").asString())
                .isEqualTo("orders.gold");

        ApiClient.Reply badKey = api.post("/api/functions/test", """
                {"function": {"type": "routing", "sink_type": "kafka",
                              "code": "function route() { return {queue_url: 'x'}; }"},
                 "messages": [%s]}""".formatted(MESSAGE));
        assertThat(badKey.status()).isEqualTo(422);
        assertThat(badKey.text()).contains("unknown key 'queue_url'").contains("topic, message_key");
    }

    @Test
    void test_onTheLastMessagesASinkSent() {
        WebhookReceiver receiver = sluice.newReceiver();
        assertThat(api.post("/api/sinks", """
                        {"name": "recent-hook", "database": "fnapi-db",
                         "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(receiver.url())).status())
                .isEqualTo(201);
        sluice.awaitSinkHealthy("recent-hook");
        ServerFixture.PG.execute(db, "INSERT INTO orders SELECT g, 'new' FROM generate_series(101, 105) g");
        receiver.awaitAccepted(5, ServerFixture.WAIT);

        ApiClient.Reply r = api.post("/api/functions/test", """
                {"function": {"type": "path", "path": "record.id"}, "sink": "recent-hook", "limit": 3}""");
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(r.get("results")).extracting(x -> x.get("output").asInt()).containsExactly(103, 104, 105);
        api.delete("/api/sinks/recent-hook");
    }
}
