package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code config/plan}, {@code config/apply} and {@code config/export} against a real server and source. */
class ApiConfigIT {
    static ApiServer server;
    static ApiClient api;
    static String db;

    @BeforeAll
    static void start() {
        server = ApiServer.start();
        api = server.client();
        db = ApiServer.PG.createDatabase("cfg");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String yaml(String sinkBatch, String extraSink) {
        return """
                databases:
                  - name: cfg-db
                    hostname: localhost
                    port: %d
                    database: %s
                    username: postgres
                    password: "pa$$word"
                    slot: {name: cfg_slot, create_if_not_exists: true}
                    publication: {name: cfg_pub, create_if_not_exists: true}
                http_endpoints:
                  - name: cfg-ep
                    url: https://example.com/in
                    encrypted_headers: {Authorization: "Bearer xyz"}
                sinks:
                  - name: cfg-sink
                    database: cfg-db
                    batch_size: %s
                    destination: {type: webhook, http_endpoint: cfg-ep}
                %s
                """.formatted(ApiServer.PG.port(), db, sinkBatch, extraSink);
    }

    private static List<String> changes(ApiClient.Reply r) {
        List<String> out = new ArrayList<>();
        for (JsonNode c : r.get("changes")) {
            out.add(c.get("action").asString() + " " + c.get("resource_type").asString() + " "
                    + c.get("name").asString()
                    + (c.has("changed_fields") ? " " + c.get("changed_fields") : ""));
        }
        return out;
    }

    @Test
    void planApplyExport_roundTrip() {
        ApiClient.Reply plan = api.send("POST", "/api/config/plan", yaml("10", ""), "application/yaml");
        assertThat(plan.status()).as(plan.text()).isEqualTo(200);
        assertThat(changes(plan))
                .containsExactly("create database cfg-db", "create http_endpoint cfg-ep", "create sink cfg-sink");
        assertThat(plan.get("applied").asBoolean()).isFalse();
        assertThat(api.get("/api/sinks/cfg-sink").status())
                .as("a plan changes nothing")
                .isEqualTo(404);

        ApiClient.Reply applied = api.send("POST", "/api/config/apply", yaml("10", ""), "text/yaml");
        assertThat(applied.status()).as(applied.text()).isEqualTo(200);
        assertThat(applied.get("applied").asBoolean()).isTrue();
        assertThat(api.get("/api/sinks/cfg-sink").get("batch_size").asInt()).isEqualTo(10);
        // '$$' in a file is one literal '$'.
        assertThat(api.get("/api/postgres_databases/cfg-db?show_sensitive=true")
                        .get("password")
                        .asString())
                .isEqualTo("pa$word");

        // The same file again: nothing to do. A changed one: an update naming the field.
        assertThat(changes(api.send("POST", "/api/config/plan", yaml("10", ""), "application/yaml")))
                .isEmpty();
        String json =
                ApiClient.JSON.createObjectNode().put("yaml", yaml("20", "")).toString();
        assertThat(changes(api.post("/api/config/plan", json)))
                .containsExactly("update sink cfg-sink [\"batch_size\"]");

        // Export, then apply the export: no change, and the masked secrets keep their stored values.
        ApiClient.Reply export = api.get("/api/config/export");
        assertThat(export.status()).isEqualTo(200);
        String exported = export.get("yaml").asString();
        assertThat(exported).contains("cfg-sink").doesNotContain("pa$word").doesNotContain("xyz");
        assertThat(changes(api.send("POST", "/api/config/plan", exported, "application/yaml")))
                .isEmpty();
        assertThat(api.send("POST", "/api/config/apply", exported, "application/yaml")
                        .status())
                .isEqualTo(200);
        assertThat(api.get("/api/postgres_databases/cfg-db?show_sensitive=true")
                        .get("password")
                        .asString())
                .isEqualTo("pa$word");
        assertThat(api.get("/api/destinations/http_endpoints/cfg-ep?show_sensitive=true")
                        .get("encrypted_headers")
                        .get("Authorization")
                        .asString())
                .isEqualTo("Bearer xyz");
    }

    @Test
    void sequinShapes_planHasNewAndOld_applyHasResources_tokensApply_exportTakesShowDashSensitive() {
        String dbName = ApiServer.PG.createDatabase("cfgseq");
        String file = """
                account:
                  name: acme
                users:
                  - email: admin@example.com
                    password: adminpass123
                api_tokens:
                  - name: seq-ci
                    token: seq-ci-token-0123456789
                databases:
                  - name: seq-db
                    hostname: localhost
                    port: %d
                    database: %s
                    username: postgres
                    password: "seq-secret"
                    slot: {name: seq_slot, create_if_not_exists: true}
                    publication: {name: seq_pub, create_if_not_exists: true}
                sinks:
                  - name: seq-sink
                    database: seq-db
                    batch_size: 10
                    message_kind: event
                    destination: {type: webhook, http_endpoint: "https://example.com/seq"}
                """.formatted(ApiServer.PG.port(), dbName);
        ApiClient.Reply plan = api.send("POST", "/api/config/plan", file, "application/yaml");
        assertThat(plan.status()).as(plan.text()).isEqualTo(200);
        JsonNode createDb = plan.get("changes").get(0);
        assertThat(createDb.get("resource_type").asString()).isEqualTo("database");
        assertThat(createDb.get("action").asString()).isEqualTo("create");
        assertThat(createDb.get("old").isNull()).isTrue();
        assertThat(createDb.get("new").get("name").asString()).isEqualTo("seq-db");
        assertThat(createDb.get("new").get("password").asString()).isEqualTo("************");
        assertThat(plan.get("actions").toString()).contains("\"resource_type\":\"api_token\"", "seq-ci");
        assertThat(plan.text()).doesNotContain("seq-secret").doesNotContain("seq-ci-token");
        assertThat(api.withToken("seq-ci-token-0123456789").get("/api/sinks").status())
                .as("a plan sets no token")
                .isEqualTo(401);

        ApiClient.Reply applied = api.send("POST", "/api/config/apply", file, "application/yaml");
        assertThat(applied.status()).as(applied.text()).isEqualTo(200);
        List<String> resources = new ArrayList<>();
        for (JsonNode r : applied.get("resources")) {
            assertThat(r.get("id").asString()).hasSize(36);
            resources.add(
                    r.get("resource_type").asString() + " " + r.get("name").asString());
        }
        assertThat(resources).containsExactly("database seq-db", "sink seq-sink");
        assertThat(applied.text()).doesNotContain("seq-secret");
        assertThat(api.withToken("seq-ci-token-0123456789").get("/api/sinks").status())
                .isEqualTo(200);

        ApiClient.Reply update =
                api.send("POST", "/api/config/plan", file.replace("batch_size: 10", "batch_size: 20"), "text/yaml");
        JsonNode change = update.get("changes").get(0);
        assertThat(change.get("action").asString()).isEqualTo("update");
        assertThat(change.get("old").get("batch_size").asInt()).isEqualTo(10);
        assertThat(change.get("new").get("batch_size").asInt()).isEqualTo(20);
        assertThat(change.get("new").get("id")).isEqualTo(change.get("old").get("id"));
        assertThat(change.get("old").get("id").asString())
                .isEqualTo(api.get("/api/sinks/seq-sink").get("id").asString());

        // Sequin's CLI spells it show-sensitive.
        assertThat(api.get("/api/config/export?show-sensitive=true").get("yaml").asString())
                .contains("seq-secret");
        assertThat(api.get("/api/config/export?show_sensitive=true").get("yaml").asString())
                .contains("seq-secret");
        assertThat(api.get("/api/config/export").get("yaml").asString()).doesNotContain("seq-secret");
        assertThat(api.get("/api/config/export?show-sensitive=maybe").status()).isEqualTo(422);

        String withRetention = file + "change_retentions: []\n";
        ApiClient.Reply retention = api.send("POST", "/api/config/plan", withRetention, "application/yaml");
        assertThat(retention.status()).isEqualTo(422);
        assertThat(retention
                        .get("validation_errors")
                        .get("change_retentions")
                        .get(0)
                        .asString())
                .contains("not supported yet");

        assertThat(api.delete("/api/sinks/seq-sink").status()).isEqualTo(200);
        assertThat(api.delete("/api/postgres_databases/seq-db").status()).isEqualTo(200);
        assertThat(api.delete("/api/api_keys/seq-ci").status()).isEqualTo(200);
    }

    @Test
    void functions_arePlannedAppliedAndExported_withTheSinksNamingThem() {
        String withFunctions = """
                functions:
                  - name: cfg-shape
                    description: drop the secret
                    type: transform
                    code: |-
                      function transform(action, record, changes, metadata) {
                        return { id: record.id };
                      }
                """
                + yaml("10", "    transform: cfg-shape\n")
                        // Its own resources, apart from the other tests'.
                        .replace("cfg-db", "fn-db")
                        .replace("cfg_slot", "fn_slot")
                        .replace("cfg_pub", "fn_pub")
                        .replace("cfg-ep", "fn-ep")
                        .replace("cfg-sink", "fn-sink");
        assertThat(changes(api.send("POST", "/api/config/plan", withFunctions, "application/yaml")))
                .contains("create function cfg-shape", "create sink fn-sink");
        ApiClient.Reply applied = api.send("POST", "/api/config/apply", withFunctions, "application/yaml");
        assertThat(applied.status()).as(applied.text()).isEqualTo(200);
        assertThat(api.get("/api/sinks/fn-sink").get("transform").asString()).isEqualTo("cfg-shape");

        String exported = api.get("/api/config/export").get("yaml").asString();
        assertThat(exported).contains("functions:", "name: \"cfg-shape\"", "transform: \"cfg-shape\"");
        // The export applies back unchanged.
        assertThat(changes(api.send("POST", "/api/config/plan", exported, "application/yaml")))
                .doesNotContain("create function cfg-shape", "update function cfg-shape", "update sink fn-sink");

        // A Sequin file's legacy section and type read the same.
        String legacy = withFunctions.replace("functions:", "transforms:").replace("type: transform", "type: function");
        assertThat(changes(api.send("POST", "/api/config/plan", legacy, "application/yaml")))
                .isEmpty();

        assertThat(api.delete("/api/sinks/fn-sink").status()).isEqualTo(200);
        assertThat(api.delete("/api/functions/cfg-shape").status()).isEqualTo(200);
        assertThat(api.delete("/api/destinations/http_endpoints/fn-ep").status())
                .isEqualTo(200);
        assertThat(api.delete("/api/postgres_databases/fn-db").status()).isEqualTo(200);
    }

    @Test
    void apply_isAllOrNothing_andNamesProblemsByLine() {
        String broken = """
                sinks:
                  - name: half-sink
                    database: nowhere
                    batch_size: 5000
                    destination: {type: webhook, http_endpoint: https://example.com}
                """;
        ApiClient.Reply r = api.send("POST", "/api/config/apply", broken, "application/yaml");
        assertThat(r.status()).as(r.text()).isEqualTo(422);
        assertThat(r.get("validation_errors").get("sinks[0].batch_size").get(0).asString())
                .startsWith("line 4:");
        assertThat(r.get("validation_errors").has("sinks[0].database")).isTrue();
        assertThat(api.get("/api/sinks/half-sink").status()).isEqualTo(404);

        ApiClient.Reply env = api.send(
                "POST", "/api/config/plan", "databases:\n  - name: x\n    url: ${SECRET_URL}\n", "application/yaml");
        assertThat(env.status())
                .as("the server's environment is not readable through ${VAR}")
                .isEqualTo(422);

        assertThat(api.send("POST", "/api/config/plan", "a: [", "application/yaml")
                        .status())
                .isEqualTo(422);
        assertThat(api.send("POST", "/api/config/plan", "{}", "application/octet-stream")
                        .status())
                .isEqualTo(400);
        assertThat(api.post("/api/config/plan", "{\"yaml\": 3}").status()).isEqualTo(422);
    }

    @Test
    void prune_deletesWhatTheFileDoesNotName() {
        String db2 = ApiServer.PG.createDatabase("cfgprune");
        String base = """
                databases:
                  - name: prune-db
                    hostname: localhost
                    port: %d
                    database: %s
                    username: postgres
                    slot: {name: prune_slot, create_if_not_exists: true}
                    publication: {name: prune_pub, create_if_not_exists: true}
                sinks:
                  - name: keep-me
                    database: prune-db
                    destination: {type: webhook, http_endpoint: "https://example.com/a"}
                """.formatted(ApiServer.PG.port(), db2);
        String extra = """
                  - name: prune-me
                    database: prune-db
                    destination: {type: webhook, http_endpoint: "https://example.com/b"}
                """;
        assertThat(api.send("POST", "/api/config/apply", base + extra, "application/yaml")
                        .status())
                .isEqualTo(200);
        // Without prune, a file that no longer names a sink keeps it.
        assertThat(changes(api.send("POST", "/api/config/plan", base, "application/yaml")))
                .isEmpty();
        // A file may hold just a sink that refers to a stored database.
        String onlySink = """
                sinks:
                  - name: lone-sink
                    database: prune-db
                    destination: {type: webhook, http_endpoint: "https://example.com/c"}
                """;
        assertThat(changes(api.send("POST", "/api/config/plan", onlySink, "application/yaml")))
                .containsExactly("create sink lone-sink");
        ApiClient.Reply pruned = api.send("POST", "/api/config/plan?prune=true", base, "application/yaml");
        assertThat(changes(pruned)).contains("delete sink prune-me");
        assertThat(changes(pruned)).doesNotContain("delete sink keep-me");
    }
}
