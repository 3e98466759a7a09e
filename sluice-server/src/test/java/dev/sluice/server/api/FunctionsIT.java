package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * Functions against the real engine, a real Postgres and a real webhook peer: filters on a changed column,
 * transforms that reshape and drop keys, routing to webhook paths, a failing function failing its row only, a
 * function changed at runtime, backfill reads through the filter, and enrichment with single and composite keys.
 */
class FunctionsIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;
    static String db;

    @BeforeAll
    static void start() {
        sluice.start();
        api = sluice.api();
        db = sluice.database(
                "fns",
                "CREATE TABLE orders (id int PRIMARY KEY, status text, total numeric, secret text, region text)",
                "ALTER TABLE orders REPLICA IDENTITY FULL",
                "CREATE TABLE line_items (order_id int, line_no int, title text, PRIMARY KEY (order_id, line_no))",
                "CREATE TABLE events (id int PRIMARY KEY, kind text)",
                "ALTER TABLE events REPLICA IDENTITY FULL", // a delete carries the kind it is routed on
                "CREATE TABLE accounts (id int PRIMARY KEY, name text)");
        created(api.post("/api/postgres_databases", sluice.databaseJson("fns-db", db)));
    }

    private static JsonNode created(ApiClient.Reply r) {
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.body();
    }

    private static void function(String name, String type, String code) {
        created(api.post(
                "/api/functions",
                ApiClient.JSON
                        .createObjectNode()
                        .put("name", name)
                        .put("type", type)
                        .put("code", code)
                        .toString()));
    }

    private static WebhookReceiver sink(String name, String table, String extra) {
        WebhookReceiver receiver = sluice.newReceiver();
        created(api.post("/api/sinks", """
                {"name": "%s", "database": "fns-db", "source": {"include_tables": ["%s"]},
                 "retry_backoff_ms": 50, "max_retry_backoff_ms": 200,
                 "destination": {"type": "webhook", "http_endpoint": "%s"}%s}""".formatted(name, table, receiver.url(), extra)));
        sluice.awaitSinkHealthy(name);
        return receiver;
    }

    @Test
    void filterOnAChangedColumn_andATransformThatReshapesAndDropsKeys() {
        function("status-changed", "filter", """
                function filter(action, record, changes, metadata) {
                  if (action === "insert") return true;
                  return action === "update" && changes !== null && "status" in changes;
                }""");
        function("summary", "transform", """
                function transform(action, record, changes, metadata) {
                  const { secret, ...rest } = record;
                  return { ...rest, action: action, table: metadata.table_name };
                }""");
        WebhookReceiver receiver =
                sink("filtered", "public.orders", ", \"filter\": \"status-changed\", \"transform\": \"summary\"");

        ServerFixture.PG.execute(
                db,
                "INSERT INTO orders VALUES (1, 'new', 10, 's1', 'eu'), (2, 'new', 20, 's2', 'us')",
                "UPDATE orders SET total = 11 WHERE id = 1", // filtered out: status did not change
                "UPDATE orders SET status = 'paid' WHERE id = 2",
                "DELETE FROM orders WHERE id = 1"); // filtered out: not an insert or update
        ServerFixture.PG.execute(db, "INSERT INTO orders VALUES (3, 'new', 30, 's3', 'eu')");

        List<JsonNode> got = receiver.awaitAccepted(4, ServerFixture.WAIT);
        assertThat(got)
                .extracting(m -> m.get("id").asInt() + ":" + m.get("action").asString())
                .containsExactlyInAnyOrder("1:insert", "2:insert", "2:update", "3:insert");
        // Row 2's changes in order.
        assertThat(got.stream().filter(m -> m.get("id").asInt() == 2))
                .extracting(m -> m.get("status").asString())
                .containsExactly("new", "paid");
        assertThat(got).allSatisfy(m -> {
            assertThat(m.has("secret")).isFalse();
            assertThat(m.get("table").asString()).isEqualTo("orders");
        });
        // Only the four: the filtered messages never reached the peer.
        assertThat(receiver.messages()).hasSize(4);
        assertThat(api.get("/api/functions/status-changed").get("used_by"))
                .extracting(JsonNode::asString)
                .containsExactly("filtered");
    }

    @Test
    void routingToWebhookPathsAndMethods() {
        created(api.post("/api/functions", """
                {"name": "by-kind", "type": "routing", "sink_type": "webhook", "code":
                 "function route(action, record, changes, metadata) { return { endpoint_path: '/events/' + record.kind, method: action === 'delete' ? 'DELETE' : 'POST', headers: {'x-kind': record.kind} }; }"}
                """));
        WebhookReceiver receiver = sink("routed", "public.events", ", \"routing\": \"by-kind\"");

        ServerFixture.PG.execute(db, "INSERT INTO events VALUES (1, 'a'), (2, 'b'), (3, 'a')");
        ServerFixture.PG.execute(db, "DELETE FROM events WHERE id = 2");

        List<WebhookReceiver.Request> requests = receiver.awaitRequests(4, ServerFixture.WAIT);
        assertThat(requests)
                .extracting(r ->
                        r.method() + " " + r.path() + " " + r.header("x-kind").orElse("-"))
                .containsExactlyInAnyOrder(
                        "POST /events/a a", "POST /events/b b", "POST /events/a a", "DELETE /events/b b");
    }

    @Test
    void aFailingFunctionFailsItsRowOnly_isListedWithItsError_andFixingItReleasesTheRow() {
        function("fragile", "transform", """
                function transform(action, record, changes, metadata) {
                  if (record.id === 7) {
                    throw new Error("row seven is not welcome");
                  }
                  return { id: record.id, v: 1 };
                }""");
        WebhookReceiver receiver = sink("fragile-sink", "public.accounts", ", \"transform\": \"fragile\"");

        ServerFixture.PG.execute(db, "INSERT INTO accounts SELECT g, 'c' || g FROM generate_series(1, 10) g");

        // The nine others arrive; row 7 is failing, with the function's error and line.
        receiver.awaitAccepted(9, ServerFixture.WAIT);
        JsonNode failed = await().atMost(ServerFixture.WAIT)
                .until(
                        () -> api.get("/api/sinks/fragile-sink/messages?state=failed")
                                .get("data"),
                        d -> d.size() == 1);
        String error = failed.get(0).toString();
        assertThat(error).contains("row seven is not welcome").contains("line 3");

        // A function changed at runtime: the waiting row and new rows get the new code.
        ApiClient.Reply fixed = api.patch(
                "/api/functions/fragile",
                ApiClient.JSON
                        .createObjectNode()
                        .put("code", "function transform(action, record) { return { id: record.id, v: 2 }; }")
                        .toString());
        assertThat(fixed.status()).as(fixed.text()).isEqualTo(200);
        ServerFixture.PG.execute(db, "INSERT INTO accounts VALUES (11, 'c11')");

        List<JsonNode> all = receiver.awaitAccepted(11, ServerFixture.WAIT);
        assertThat(all.subList(0, 9))
                .allSatisfy(m -> assertThat(m.get("v").asInt()).isEqualTo(1));
        assertThat(all.subList(9, 11))
                .extracting(m -> m.get("id").asInt() + "/v" + m.get("v").asInt())
                .containsExactlyInAnyOrder("7/v2", "11/v2");
    }

    @Test
    void backfillReadsSkipTheActionsButGoThroughTheFilter() {
        ServerFixture.PG.execute(db, "CREATE TABLE stock (id int PRIMARY KEY, qty int)");
        ServerFixture.PG.execute(db, "INSERT INTO stock SELECT g, g FROM generate_series(1, 20) g");
        function("even", "filter", "function filter(action, record) { return record.id % 2 === 0; }");
        WebhookReceiver receiver =
                sink("even-stock", "public.stock", ", \"actions\": [\"delete\"], \"filter\": \"even\"");

        JsonNode backfill = created(api.post("/api/sinks/even-stock/backfills", "{}"));
        await().atMost(ServerFixture.WAIT)
                .until(() -> api.get("/api/sinks/even-stock/backfills/"
                                + backfill.get("id").asString())
                        .get("state")
                        .asString()
                        .equals("completed"));

        List<JsonNode> got = receiver.awaitAccepted(10, ServerFixture.WAIT);
        assertThat(got).allSatisfy(m -> assertThat(m.get("action").asString()).isEqualTo("read"));
        assertThat(got)
                .extracting(m -> m.get("record").get("id").asInt())
                .containsExactlyInAnyOrder(2, 4, 6, 8, 10, 12, 14, 16, 18, 20);
    }

    @Test
    void enrichmentWithASingleKey_andWithACompositeKeyInAlphabeticalOrder() {
        ServerFixture.PG.execute(
                db,
                "CREATE TABLE shipments (id int PRIMARY KEY, customer_id int)",
                "CREATE TABLE people (id int PRIMARY KEY, name text)",
                "INSERT INTO people VALUES (1, 'Ada'), (2, 'Grace')");
        created(api.post("/api/functions", """
                {"name": "shipment-person", "type": "enrichment", "code":
                 "SELECT s.id, p.name AS person FROM shipments s JOIN people p ON p.id = s.customer_id WHERE s.id = ANY($1)"}
                """));
        // line_items' key is (order_id, line_no): $1 holds line_no values, $2 order_id values (alphabetical).
        created(api.post("/api/functions", """
                {"name": "item-title", "type": "enrichment", "code":
                 "SELECT li.order_id, li.line_no, upper(li.title) AS loud FROM unnest($1::int[], $2::int[]) AS k(line_no, order_id) JOIN line_items li USING (order_id, line_no)"}
                """));
        WebhookReceiver shipments = sink("enriched", "public.shipments", ", \"enrichment\": \"shipment-person\"");
        WebhookReceiver items = sink("enriched-items", "public.line_items", ", \"enrichment\": \"item-title\"");

        ServerFixture.PG.execute(db, "INSERT INTO shipments VALUES (1, 2), (2, 1), (3, 99)");
        ServerFixture.PG.execute(db, "INSERT INTO line_items VALUES (1, 1, 'pen'), (1, 2, 'ink'), (2, 1, 'pad')");

        assertThat(shipments.awaitAccepted(3, ServerFixture.WAIT))
                .extracting(m -> m.get("record").get("id").asInt() + ":"
                        + m.get("metadata").get("enrichment").path("person").asString("none"))
                .containsExactlyInAnyOrder("1:Grace", "2:Ada", "3:none");
        assertThat(items.awaitAccepted(3, ServerFixture.WAIT))
                .extracting(m -> m.get("metadata").get("enrichment").get("loud").asString())
                .containsExactlyInAnyOrder("PEN", "INK", "PAD");
    }

    @Test
    void enrichmentErrors_failTheBatchWithWhatToFix() throws java.sql.SQLException {
        ServerFixture.PG.execute(
                db,
                "CREATE TABLE notes (id int PRIMARY KEY, body text)",
                "CREATE TABLE tags (note_id int, tag text)",
                "INSERT INTO tags VALUES (1, 'a'), (1, 'b')");
        created(api.post("/api/functions", """
                {"name": "no-key", "type": "enrichment", "code": "SELECT body FROM notes WHERE id = ANY($1)"}"""));
        created(api.post("/api/functions", """
                {"name": "two-rows", "type": "enrichment", "code":
                 "SELECT note_id AS id, tag FROM tags WHERE note_id = ANY($1)"}"""));
        sink("no-key-sink", "public.notes", ", \"enrichment\": \"no-key\"");
        ServerFixture.PG.execute(db, "INSERT INTO notes VALUES (1, 'x')");
        awaitFailure("no-key-sink", "must select the primary key column id");

        api.delete("/api/sinks/no-key-sink");
        sink("two-rows-sink", "public.notes", ", \"enrichment\": \"two-rows\"");
        ServerFixture.PG.execute(db, "UPDATE notes SET body = 'y' WHERE id = 1");
        awaitFailure("two-rows-sink", "more than one row");
        api.delete("/api/sinks/two-rows-sink");

        // Enrichment only reads: a query that writes fails, and the row is still there.
        created(api.post("/api/functions", """
                {"name": "writer", "type": "enrichment", "code":
                 "WITH d AS (DELETE FROM notes WHERE id = ANY($1) RETURNING id) SELECT id FROM d"}"""));
        sink("writer-sink", "public.notes", ", \"enrichment\": \"writer\"");
        ServerFixture.PG.execute(db, "UPDATE notes SET body = 'z' WHERE id = 1");
        awaitFailure("writer-sink", "read-only transaction");
        api.delete("/api/sinks/writer-sink");
        try (var c = ServerFixture.PG.connect(db);
                var rs = c.createStatement().executeQuery("SELECT count(*) FROM notes")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(1);
        }
    }

    private static void awaitFailure(String sink, String text) {
        await().atMost(ServerFixture.WAIT).until(() -> {
            JsonNode data =
                    api.get("/api/sinks/" + sink + "/messages?state=failed").get("data");
            return data.size() > 0 && data.toString().contains(text);
        });
    }
}
