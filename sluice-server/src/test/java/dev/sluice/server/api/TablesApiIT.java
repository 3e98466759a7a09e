package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * Schema metadata ({@code GET …/tables}) and column selection per sink (issue 19) against a real server and source:
 * the catalog as Postgres has it, and messages of every kind (live and backfilled) without the dropped columns.
 */
class TablesApiIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;
    static WebhookReceiver receiver;
    static String metaDb;
    static String selDb;
    static final String LOCKED_ROLE = "sluice_locked_" + ProcessHandle.current().pid();

    @BeforeAll
    static void start() {
        sluice.start();
        api = sluice.api();
        receiver = sluice.receiver();
        metaDb = sluice.database(
                "meta",
                "CREATE TABLE users (id bigserial PRIMARY KEY, email varchar(64) NOT NULL, name text DEFAULT 'anon',"
                        + " created_at timestamptz NOT NULL DEFAULT now())",
                "CREATE TABLE line_items (order_id int, line int, qty int NOT NULL, PRIMARY KEY (line, order_id))",
                "CREATE TABLE audit (id int PRIMARY KEY, payload jsonb)",
                "ALTER TABLE audit REPLICA IDENTITY FULL",
                "CREATE TABLE outside (id int)",
                "INSERT INTO users (email) SELECT 'u' || g || '@x' FROM generate_series(1, 100) g",
                "ANALYZE users");
        ServerFixture.PG.execute(
                metaDb,
                "CREATE PUBLICATION " + sluice.slot(metaDb).publication() + " FOR TABLE users, line_items, audit");
        created(api.post("/api/postgres_databases", sluice.databaseJson("meta-db", metaDb)));

        selDb = sluice.database(
                "sel",
                "CREATE TABLE accounts (id int PRIMARY KEY, email text, secret text)",
                "ALTER TABLE accounts REPLICA IDENTITY FULL",
                "INSERT INTO accounts VALUES (1, 'old@x', 's3cr3t-backfilled')",
                "CREATE TABLE profiles (id int PRIMARY KEY, bio text, secret text)",
                "CREATE TABLE notes (id int PRIMARY KEY, body text, secret text)");
        created(api.post("/api/postgres_databases", sluice.databaseJson("sel-db", selDb)));
    }

    @AfterAll
    static void dropRole() {
        try {
            ServerFixture.PG.execute("postgres", "DROP ROLE IF EXISTS " + LOCKED_ROLE);
        } catch (IllegalStateException e) {
            // Still owns objects of a database the fixture drops later; harmless in a throwaway cluster.
        }
    }

    private static ApiClient.Reply created(ApiClient.Reply r) {
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r;
    }

    private static Map<String, JsonNode> byName(JsonNode data) {
        Map<String, JsonNode> out = new HashMap<>();
        data.forEach(
                t -> out.put(t.get("schema").asString() + "." + t.get("name").asString(), t));
        return out;
    }

    private static Map<String, JsonNode> columns(JsonNode table) {
        Map<String, JsonNode> out = new HashMap<>();
        table.get("columns").forEach(c -> out.put(c.get("name").asString(), c));
        return out;
    }

    @Test
    void databaseTables_showColumnsKeysIdentityPublicationAndRowEstimate() {
        ApiClient.Reply r = api.get("/api/postgres_databases/meta-db/tables");
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        Map<String, JsonNode> tables = byName(r.get("data"));
        assertThat(tables).containsKeys("public.users", "public.line_items", "public.audit", "public.outside");

        JsonNode users = tables.get("public.users");
        assertThat(users.get("replica_identity").asString()).isEqualTo("default");
        assertThat(users.get("published").asBoolean()).isTrue();
        assertThat(users.get("estimated_rows").asLong()).isEqualTo(100);
        List<String> order = new ArrayList<>();
        users.get("columns").forEach(c -> order.add(c.get("name").asString()));
        assertThat(order).containsExactly("id", "email", "name", "created_at");
        Map<String, JsonNode> uc = columns(users);
        assertThat(uc.get("id").get("type").asString()).isEqualTo("bigint");
        assertThat(uc.get("id").get("nullable").asBoolean()).isFalse();
        assertThat(uc.get("id").get("default").asString()).startsWith("nextval(");
        assertThat(uc.get("id").get("primary_key_position").asInt()).isEqualTo(1);
        assertThat(uc.get("email").get("type").asString()).isEqualTo("character varying(64)");
        assertThat(uc.get("email").get("default").isNull()).isTrue();
        assertThat(uc.get("email").get("primary_key_position").isNull()).isTrue();
        assertThat(uc.get("name").get("nullable").asBoolean()).isTrue();
        assertThat(uc.get("name").get("default").asString()).isEqualTo("'anon'::text");
        assertThat(uc.get("created_at").get("type").asString()).isEqualTo("timestamp with time zone");

        // A composite key: positions follow the key's order, not the table's.
        Map<String, JsonNode> li = columns(tables.get("public.line_items"));
        assertThat(li.get("line").get("primary_key_position").asInt()).isEqualTo(1);
        assertThat(li.get("order_id").get("primary_key_position").asInt()).isEqualTo(2);
        assertThat(li.get("qty").get("primary_key_position").isNull()).isTrue();

        assertThat(tables.get("public.audit").get("replica_identity").asString())
                .isEqualTo("full");
        assertThat(tables.get("public.outside").get("published").asBoolean()).isFalse();
        assertThat(tables.get("public.outside").get("replica_identity").asString())
                .isEqualTo("default");
    }

    @Test
    void unknownDatabase_is404() {
        ApiClient.Reply r = api.get("/api/postgres_databases/nope/tables");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.get("summary").asString()).contains("nope");
    }

    @Test
    void unreadableDatabase_is502NamingTheDatabaseAndTheReason() {
        String db = sluice.database("locked", "CREATE TABLE t (id int PRIMARY KEY)");
        ServerFixture.PG.execute("postgres", "CREATE ROLE " + LOCKED_ROLE + " LOGIN SUPERUSER REPLICATION");
        String json = sluice.databaseJson("locked-db", db).replace("\"postgres\"", "\"" + LOCKED_ROLE + "\"");
        created(api.post("/api/postgres_databases", json));
        ServerFixture.PG.execute("postgres", "ALTER ROLE " + LOCKED_ROLE + " NOLOGIN");

        ApiClient.Reply r = api.get("/api/postgres_databases/locked-db/tables");
        assertThat(r.status()).as(r.text()).isEqualTo(502);
        assertThat(r.get("summary").asString()).contains("locked-db").contains("not permitted to log in");
        assertThat(r.get("reason").asString()).contains("not permitted to log in");
    }

    private static List<JsonNode> messagesOf(String sink) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode m : receiver.acceptedMessages()) {
            if (m.at("/metadata/consumer/name").asString().equals(sink)) {
                out.add(m);
            }
        }
        return out;
    }

    private static JsonNode awaitMessage(String sink, String action, int id) {
        await().atMost(ServerFixture.WAIT).until(() -> find(sink, action, id) != null);
        return find(sink, action, id);
    }

    private static JsonNode find(String sink, String action, int id) {
        for (JsonNode m : messagesOf(sink)) {
            if (m.get("action").asString().equals(action)
                    && m.get("record").get("id").asInt() == id) {
                return m;
            }
        }
        return null;
    }

    private static Set<String> keys(JsonNode o) {
        return new TreeSet<>(o.propertyNames());
    }

    @Test
    void excludeColumns_dropTheColumnFromInsertsUpdatesDeletesAndBackfills() {
        created(api.post("/api/sinks", """
                {"name": "sel-ex", "database": "sel-db", "batch_size": 10,
                 "destination": {"type": "webhook", "http_endpoint": "%s"},
                 "tables": [{"name": "public.accounts", "exclude_columns": ["secret"]}]}""".formatted(receiver.url())));
        sluice.awaitSinkHealthy("sel-ex");
        created(api.post("/api/sinks/sel-ex/backfills", "{\"table\": \"public.accounts\"}"));
        JsonNode read = awaitMessage("sel-ex", "read", 1);
        assertThat(keys(read.get("record"))).containsExactly("email", "id");

        ServerFixture.PG.execute(
                selDb,
                "INSERT INTO accounts VALUES (2, 'a@x', 's3cr3t-2')",
                "UPDATE accounts SET email = 'b@x', secret = 's3cr3t-3' WHERE id = 2",
                "DELETE FROM accounts WHERE id = 2");
        JsonNode insert = awaitMessage("sel-ex", "insert", 2);
        assertThat(keys(insert.get("record"))).containsExactly("email", "id");
        JsonNode update = awaitMessage("sel-ex", "update", 2);
        assertThat(update.get("record").get("email").asString()).isEqualTo("b@x");
        // REPLICA IDENTITY FULL: old values come, but only of delivered columns.
        assertThat(keys(update.get("changes"))).containsExactly("email");
        assertThat(update.get("changes").get("email").asString()).isEqualTo("a@x");
        JsonNode delete = awaitMessage("sel-ex", "delete", 2);
        assertThat(keys(delete.get("record"))).containsExactly("email", "id");
        for (JsonNode m : messagesOf("sel-ex")) {
            assertThat(m.toString()).doesNotContain("secret").doesNotContain("s3cr3t");
        }

        // What the sink streams, with the columns it delivers.
        ApiClient.Reply tables = api.get("/api/sinks/sel-ex/tables");
        assertThat(tables.status()).as(tables.text()).isEqualTo(200);
        Map<String, JsonNode> byName = byName(tables.get("data"));
        assertThat(byName).containsOnlyKeys("public.accounts");
        JsonNode accounts = byName.get("public.accounts");
        assertThat(accounts.get("delivered_columns").toString()).isEqualTo("[\"id\",\"email\"]");
        assertThat(accounts.get("exclude_columns").toString()).isEqualTo("[\"secret\"]");
        assertThat(accounts.has("include_columns")).isFalse();
        assertThat(accounts.get("columns")).hasSize(3);

        // The sink's own GET and the exported yaml show the selection; the export plans to no change.
        assertThat(api.get("/api/sinks/sel-ex").get("tables").toString()).contains("\"exclude_columns\":[\"secret\"]");
        String exported = api.get("/api/config/export").get("yaml").asString();
        assertThat(exported).contains("exclude_columns");
        ApiClient.Reply plan = api.send("POST", "/api/config/plan", exported, "application/yaml");
        assertThat(plan.status()).as(plan.text()).isEqualTo(200);
        assertThat(plan.get("changes")).isEmpty();
    }

    @Test
    void includeColumns_setByPut_deliverOnlyThoseAndTheKey() {
        created(api.post("/api/sinks", """
                {"name": "sel-in", "database": "sel-db", "batch_size": 10,
                 "source": {"include_tables": ["public.profiles"]},
                 "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(receiver.url())));
        ApiClient.Reply put = api.put(
                "/api/sinks/sel-in/tables",
                "{\"tables\": [{\"table\": \"public.profiles\", \"include_columns\": [\"id\", \"bio\"]}]}");
        assertThat(put.status()).as(put.text()).isEqualTo(200);
        assertThat(put.get("tables").toString())
                .isEqualTo("[{\"table\":\"public.profiles\",\"include_columns\":[\"id\",\"bio\"]}]");
        assertThat(put.get("warnings")).isEmpty();
        // The source is untouched.
        assertThat(api.get("/api/sinks/sel-in")
                        .get("source")
                        .get("include_tables")
                        .toString())
                .isEqualTo("[\"public.profiles\"]");
        sluice.awaitSinkHealthy("sel-in");

        ServerFixture.PG.execute(selDb, "INSERT INTO profiles VALUES (7, 'hello', 's3cr3t-7')");
        JsonNode insert = awaitMessage("sel-in", "insert", 7);
        assertThat(keys(insert.get("record"))).containsExactly("bio", "id");
        JsonNode t = api.get("/api/sinks/sel-in/tables").get("data").get(0);
        assertThat(t.get("delivered_columns").toString()).isEqualTo("[\"id\",\"bio\"]");
        assertThat(t.get("include_columns").toString()).isEqualTo("[\"id\",\"bio\"]");

        // An empty list clears the selection: every column again.
        ApiClient.Reply cleared = api.put("/api/sinks/sel-in/tables", "{\"tables\": []}");
        assertThat(cleared.status()).as(cleared.text()).isEqualTo(200);
        ServerFixture.PG.execute(selDb, "INSERT INTO profiles VALUES (8, 'again', 'visible')");
        assertThat(keys(awaitMessage("sel-in", "insert", 8).get("record"))).containsExactly("bio", "id", "secret");
    }

    @Test
    void selectionsThatDropAKeyOrNameUnknownColumns_are422() {
        created(api.post("/api/sinks", """
                {"name": "sel-bad", "database": "sel-db", "status": "paused",
                 "source": {"include_tables": ["public.profiles"]},
                 "destination": {"type": "webhook", "http_endpoint": "%s"}}""".formatted(receiver.url())));
        ApiClient.Reply pk = api.put(
                "/api/sinks/sel-bad/tables",
                "{\"tables\": [{\"table\": \"public.profiles\", \"exclude_columns\": [\"id\"]}]}");
        assertThat(pk.status()).as(pk.text()).isEqualTo(422);
        assertThat(pk.get("validation_errors").get("tables[0].exclude_columns").toString())
                .contains("primary key column 'id'");

        ApiClient.Reply include = api.put(
                "/api/sinks/sel-bad/tables",
                "{\"tables\": [{\"table\": \"public.profiles\", \"include_columns\": [\"bio\"]}]}");
        assertThat(include.status()).as(include.text()).isEqualTo(422);
        assertThat(include.get("summary").asString()).contains("must include primary key column 'id'");

        ApiClient.Reply unknown = api.put(
                "/api/sinks/sel-bad/tables",
                "{\"tables\": [{\"table\": \"public.profiles\", \"exclude_columns\": [\"nope\"]}]}");
        assertThat(unknown.status()).as(unknown.text()).isEqualTo(422);
        assertThat(unknown.get("summary").asString()).contains("column 'nope' does not exist");

        ApiClient.Reply both = api.put("/api/sinks/sel-bad/tables", """
                {"tables": [{"table": "public.profiles", "include_columns": ["id"], "exclude_columns": ["bio"]}]}""");
        assertThat(both.status()).as(both.text()).isEqualTo(422);
        assertThat(both.get("summary").asString()).contains("not both");

        // The sink's own create and update check the same.
        ApiClient.Reply create = api.post("/api/sinks", """
                {"name": "sel-bad2", "database": "sel-db",
                 "destination": {"type": "webhook", "http_endpoint": "%s"},
                 "tables": [{"name": "public.accounts", "exclude_columns": ["id"]}]}""".formatted(receiver.url()));
        assertThat(create.status()).as(create.text()).isEqualTo(422);
        assertThat(create.get("summary").asString()).contains("primary key column 'id'");
        ApiClient.Reply update = api.patch(
                "/api/sinks/sel-bad", "{\"tables\": [{\"name\": \"public.profiles\", \"exclude_columns\": [\"id\"]}]}");
        assertThat(update.status()).as(update.text()).isEqualTo(422);
        assertThat(api.get("/api/sinks/sel-bad").get("tables")).isEmpty();
        assertThat(api.get("/api/sinks/nope/tables").status()).isEqualTo(404);
    }

    @Test
    void configPlanAndSinkTestConnection_checkTheSelectionAgainstTheLiveTables() {
        ApiClient.Reply plan = api.send("POST", "/api/config/plan", """
                sinks:
                  - name: sel-plan
                    database: sel-db
                    destination: {type: webhook, http_endpoint: "http://localhost:9/x"}
                    tables:
                      - name: public.profiles
                        exclude_columns: [id]
                """, "application/yaml");
        assertThat(plan.status()).as(plan.text()).isEqualTo(422);
        assertThat(plan.get("summary").asString())
                .contains("tables[0].exclude_columns")
                .contains("primary key column 'id'");

        // A column dropped after the selection was set: the sink's check says so.
        created(api.post("/api/sinks", """
                {"name": "sel-tc", "database": "sel-db", "status": "paused",
                 "destination": {"type": "webhook", "http_endpoint": "%s"},
                 "tables": [{"name": "public.notes", "exclude_columns": ["secret"]}]}""".formatted(receiver.url())));
        assertThat(api.post("/api/sinks/sel-tc/test_connection", null).status()).isEqualTo(200);
        ServerFixture.PG.execute(selDb, "ALTER TABLE notes DROP COLUMN secret");
        ApiClient.Reply check = api.post("/api/sinks/sel-tc/test_connection", null);
        assertThat(check.status()).as(check.text()).isEqualTo(422);
        assertThat(check.get("reason").asString()).contains("column 'secret' does not exist in public.notes");
    }
}
