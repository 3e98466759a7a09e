package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The served OpenAPI document against the routes ManagementApi registers, the responses a real server sends, and
 * docs/api.md: none of the three may drift from the others.
 */
class OpenApiIT {
    private static final List<String> METHODS = List.of("get", "post", "put", "patch", "delete");
    private static final Pattern PATH_PARAM = Pattern.compile("\\{([^}]+)}");

    static ApiServer server;
    static ApiClient api;
    static JsonNode doc;
    /** The create responses, checked in a test rather than in setup so that a mismatch names itself. */
    static final Map<String, ApiClient.Reply> created = new LinkedHashMap<>();

    @BeforeAll
    static void start() {
        server = ApiServer.start();
        api = server.client();
        ApiClient.Reply served = api.withToken(null).get("/api/openapi.json");
        assertThat(served.status()).as(served.text()).isEqualTo(200);
        doc = served.body();

        String db = ApiServer.PG.createDatabase("oapi");
        ApiServer.PG.execute(db, "CREATE TABLE items (id int PRIMARY KEY, label text)");
        created.put(
                "/api/postgres_databases",
                api.post("/api/postgres_databases", ApiServer.databaseJson("oa-db", db, "oa_slot")));
        created.put("/api/destinations/http_endpoints", api.post("/api/destinations/http_endpoints", """
                        {"name": "oa-ep", "url": "http://localhost:9/never", "headers": {"X-A": "1"},
                         "encrypted_headers": {"Authorization": "Bearer x"}}"""));
        created.put("/api/functions", api.post("/api/functions", """
                {"name": "oa-fn", "type": "path", "path": "record", "description": "the record"}"""));
        created.put("/api/sinks", api.post("/api/sinks", """
                {"name": "oa-sink", "database": "oa-db", "source": {"include_tables": ["public.items"]},
                 "transform": "oa-fn",
                 "tables": [{"name": "public.items", "group_column_names": ["id"]}], "max_retry_count": 3,
                 "destination": {"type": "webhook", "http_endpoint": "oa-ep", "http_endpoint_path": "/x"}}"""));
        created.put("/api/api_keys", api.post("/api/api_keys", "{\"name\": \"oa-key\"}"));
        String pgUrl = "postgres://postgres@localhost:" + ApiServer.PG.port() + "/" + db + "?sslmode=disable";
        created.put("/api/jobs", api.post("/api/jobs", """
                {"schema_version": "1.0", "command": "validate", "source_url": "%s", "target_url": "%s"}""".formatted(pgUrl, pgUrl)));
        created.put("/api/webhooks", api.post("/api/webhooks", """
                {"name": "oa-hook", "url": "http://localhost:9/hooks", "events": ["sink.failing"],
                 "sink": "oa-sink", "lag_threshold_seconds": 60}"""));
        // A disabled sink of every other type, so that the sink list checks each type's generated schema.
        int n = 0;
        for (String destination : List.of(
                "{\"type\": \"sequin_stream\"}",
                "{\"type\": \"kafka\", \"hosts\": \"localhost:9\", \"topic\": \"t\", \"username\": \"u\","
                        + " \"password\": \"p\", \"sasl_mechanism\": \"PLAIN\"}",
                "{\"type\": \"sqs\", \"queue_url\": \"http://localhost:9/000000000000/q.fifo\", \"region\":"
                        + " \"us-east-1\", \"endpoint_url\": \"http://localhost:9\", \"access_key_id\": \"AKID\","
                        + " \"secret_access_key\": \"s\", \"use_task_role\": false}",
                "{\"type\": \"kinesis\", \"stream_arn\": \"arn:aws:kinesis:us-east-1:000000000000:stream/s\","
                        + " \"endpoint_url\": \"http://localhost:9\"}")) {
            ApiClient.Reply other = api.post(
                    "/api/sinks",
                    "{\"name\": \"oa-other-" + n++ + "\", \"database\": \"oa-db\", \"status\": \"disabled\","
                            + " \"destination\": " + destination + "}");
            assertThat(other.status()).as(other.text()).isEqualTo(201);
            assertMatches(other, "POST", "/api/sinks");
        }
        // oa-sink cannot deliver: the backfill stays active.
        created.put("/api/sinks/{id_or_name}/backfills", api.post("/api/sinks/oa-sink/backfills", "{}"));
        // oa-ep refuses connections: a change to items fails and is stored, so the messages list has a row.
        ApiServer.PG.execute(db, "INSERT INTO items VALUES (1, 'stored')");
        org.awaitility.Awaitility.await()
                .atMost(java.time.Duration.ofSeconds(30))
                .until(() -> !api.get("/api/sinks/oa-sink/messages").get("data").isEmpty());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void document_isOpenApi31Json_servedWithoutToken() throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(
                                        URI.create("http://localhost:" + server.server.port() + "/api/openapi.json"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(doc.get("openapi").asString()).startsWith("3.1.");
        assertThat(doc.at("/info/title").asString()).isNotBlank();
        assertThat(doc.at("/components/securitySchemes/bearerAuth/scheme").asString())
                .isEqualTo("bearer");
        assertThat(doc.get("security").get(0).has("bearerAuth")).isTrue();
    }

    @Test
    void documentedRoutes_areExactlyTheRegisteredOnes() {
        Set<String> registered = new TreeSet<>();
        for (ManagementApi.Route r : new ManagementApi(null, null, null, null, null).routes()) {
            registered.add(r.method() + " " + r.path());
        }
        Set<String> documented = new TreeSet<>(documentedRoutes());
        documented.remove("GET /health");
        documented.remove("GET /metrics");
        assertThat(documented).isEqualTo(registered);
        assertThat(documentedRoutes()).contains("GET /health", "GET /metrics");
    }

    @Test
    void onlyOpenApiHealthAndMetrics_skipTheToken_andEveryOtherRouteDocuments401() {
        Set<String> open = new TreeSet<>();
        forEachOperation((method, path, op) -> {
            if (op.has("security") && op.get("security").isEmpty()) {
                open.add(method + " " + path);
            } else {
                assertThat(op.at("/responses/401").isMissingNode())
                        .as(method + " " + path)
                        .isFalse();
            }
        });
        assertThat(open).containsExactlyInAnyOrder("GET /api/openapi.json", "GET /health", "GET /metrics");
    }

    @Test
    void everyPathParameter_isDeclaredAndEveryDeclaredOneIsInThePath() {
        forEachOperation((method, path, op) -> {
            Set<String> inTemplate = new TreeSet<>();
            Matcher m = PATH_PARAM.matcher(path);
            while (m.find()) {
                inTemplate.add(m.group(1));
            }
            Set<String> declared = new TreeSet<>();
            List<JsonNode> params = new ArrayList<>();
            doc.get("paths").get(path).path("parameters").forEach(params::add);
            op.path("parameters").forEach(params::add);
            for (JsonNode p : params) {
                JsonNode param = resolve(p);
                if (param.get("in").asString().equals("path")) {
                    assertThat(param.path("required").asBoolean(false))
                            .as(method + " " + path)
                            .isTrue();
                    declared.add(param.get("name").asString());
                }
            }
            assertThat(declared).as(method + " " + path).isEqualTo(inTemplate);
        });
    }

    @Test
    void createResponses_matchTheirSchemas() {
        created.forEach((path, reply) -> {
            assertThat(reply.status()).as(path + ": " + reply).isEqualTo(201);
            assertMatches(reply, "POST", path);
        });
        assertThat(created.get("/api/api_keys").get("token").asString()).startsWith("sluice_");
    }

    @Test
    void everyGetRoute_onCreatedResources_returnsOnlyDocumentedFields() {
        Map<String, String> names = Map.of(
                "/api/postgres_databases/", "oa-db",
                "/api/sinks/", "oa-sink",
                "/api/destinations/http_endpoints/", "oa-ep",
                "/api/functions/", "oa-fn",
                "/api/webhooks/", "oa-hook");
        int checked = 0;
        for (ManagementApi.Route r : new ManagementApi(null, null, null, null, null).routes()) {
            if (!r.method().equals("GET") || r.path().endsWith("/receive")) {
                continue; // receive hands out messages of a sequin_stream sink: SequinStreamIT checks its shape
            }
            String url = r.path();
            for (var e : names.entrySet()) {
                url = url.replace(e.getKey() + "{id_or_name}", e.getKey() + e.getValue());
            }
            url = url.replace(
                            "{backfill_id}",
                            created.get("/api/sinks/{id_or_name}/backfills")
                                    .get("id")
                                    .asString())
                    .replace("{job_id}", created.get("/api/jobs").get("job_id").asString());
            assertThat(url).as(r.path()).doesNotContain("{");
            ApiClient.Reply reply = api.get(url);
            assertThat(reply.status()).as(url + ": " + reply).isEqualTo(200);
            assertMatches(reply, "GET", r.path());
            if (reply.body().has("data")) {
                assertThat(reply.get("data").isEmpty()).as(url).isFalse();
                ApiClient.Reply page = api.get(url + "?limit=1&show_sensitive=false");
                assertThat(page.body().has("next_cursor")).as(url).isTrue();
                assertMatches(page, "GET", r.path());
            }
            checked++;
        }
        assertThat(checked).isGreaterThanOrEqualTo(9);
        assertMatches(api.get("/health"), "GET", "/health");
    }

    @Test
    void aResponseSentBackAsAnUpdate_isAcceptedAndChangesNothing() {
        // docs/api.md promises this: read-only fields are ignored and masked secrets keep their values.
        for (String path : List.of(
                "/api/postgres_databases/oa-db", "/api/destinations/http_endpoints/oa-ep", "/api/sinks/oa-sink")) {
            ApiClient.Reply before = api.get(path);
            ApiClient.Reply put = api.put(path, before.text());
            assertThat(put.status()).as(path + ": " + put).isEqualTo(200);
            assertMatches(put, "PUT", path.substring(0, path.lastIndexOf('/')) + "/{id_or_name}");
            JsonNode expected = before.body().deepCopy();
            JsonNode actual = put.body().deepCopy();
            for (JsonNode n : List.of(expected, actual)) {
                // active_backfills too: a backfill made by an earlier test may complete between the two calls.
                ((tools.jackson.databind.node.ObjectNode) n)
                        .remove(List.of("health", "status_info", "active_backfills"));
            }
            assertThat(actual).as(path).isEqualTo(expected);
        }
        ApiClient.Reply secret = api.get("/api/postgres_databases/oa-db?show_sensitive=true");
        assertThat(secret.get("password").isNull()).isTrue();
        ApiClient.Reply headers = api.get("/api/destinations/http_endpoints/oa-ep?show_sensitive=true");
        assertThat(headers.get("encrypted_headers").get("Authorization").asString())
                .isEqualTo("Bearer x");
    }

    @Test
    void actionsAndConfig_returnDocumentedShapes() {
        ApiClient.Reply test = api.post("/api/postgres_databases/oa-db/test_connection", null);
        assertThat(test.status()).as(test.text()).isEqualTo(200);
        assertMatches(test, "POST", "/api/postgres_databases/{id_or_name}/test_connection");
        ApiClient.Reply tables = api.post("/api/postgres_databases/oa-db/refresh_tables", null);
        assertThat(tables.status()).as(tables.text()).isEqualTo(200);
        assertMatches(tables, "POST", "/api/postgres_databases/{id_or_name}/refresh_tables");

        ApiClient.Reply export = api.get("/api/config/export");
        // A submitted document is validated on its own: it names the database and endpoint its sink uses.
        String yaml = export.get("yaml").asString();
        assertThat(yaml).contains("batch_size: 1\n");
        yaml = yaml.replace("batch_size: 1\n", "batch_size: 7\n");
        ApiClient.Reply plan = api.send("POST", "/api/config/plan", yaml, "application/yaml");
        assertThat(plan.status()).as(plan.text()).isEqualTo(200);
        assertThat(plan.get("changes").get(0).has("changed_fields")).isTrue();
        assertMatches(plan, "POST", "/api/config/plan");
        ApiClient.Reply planJson = api.post(
                "/api/config/plan", "{\"yaml\": " + ApiClient.JSON.writeValueAsString(yaml) + ", \"prune\": true}");
        assertThat(planJson.status()).as(planJson.text()).isEqualTo(200);
        assertMatches(planJson, "POST", "/api/config/plan");
        // HOME is set in the server's environment, and still not read.
        ApiClient.Reply env = api.send(
                "POST", "/api/config/plan", yaml.replace("batch_size: 7", "batch_size: ${HOME}"), "application/yaml");
        assertThat(env.status()).as(env.text()).isEqualTo(422);
        assertThat(env.get("summary").asString()).contains("HOME is not set");
        assertMatches(env, "POST", "/api/config/plan");
        ApiClient.Reply apply = api.send("POST", "/api/config/apply", "databases: []\n", "text/yaml");
        assertThat(apply.status()).as(apply.text()).isEqualTo(200);
        assertMatches(apply, "POST", "/api/config/apply");
    }

    @Test
    void errors_useDocumentedStatusesAndShape() {
        assertMatches(api.withToken(null).get("/api/sinks"), "GET", "/api/sinks");
        assertMatches(api.get("/api/sinks/nope"), "GET", "/api/sinks/{id_or_name}");
        assertMatches(api.get("/api/sinks?limit=0"), "GET", "/api/sinks");
        assertMatches(api.post("/api/sinks", "{not json"), "POST", "/api/sinks");
        assertMatches(api.post("/api/sinks", "{\"name\": \"x\", \"bogus\": 1}"), "POST", "/api/sinks");
        assertMatches(api.post("/api/api_keys", "{\"name\": \"oa-key\"}"), "POST", "/api/api_keys");
        assertMatches(
                api.delete("/api/destinations/http_endpoints/oa-ep"),
                "DELETE",
                "/api/destinations/http_endpoints/{id_or_name}");
        assertMatches(
                api.patch("/api/sinks/oa-sink", "{\"name\": \"" + "x".repeat(1_100_000) + "\"}"),
                "PATCH",
                "/api/sinks/{id_or_name}");
        assertMatches(
                api.send("POST", "/api/config/apply", "sinks: [", "application/yaml"), "POST", "/api/config/apply");
        String backfills = "/api/sinks/{id_or_name}/backfills";
        assertMatches(api.post("/api/sinks/oa-sink/backfills", "{}"), "POST", backfills);
        assertMatches(api.post("/api/sinks/oa-sink/backfills", "{\"table\": \"nope\"}"), "POST", backfills);
        assertMatches(api.get("/api/sinks/oa-sink/backfills/nope"), "GET", backfills + "/{backfill_id}");
        assertMatches(
                api.patch(
                        "/api/sinks/oa-sink/backfills/"
                                + created.get(backfills).get("id").asString(),
                        "{\"state\": 1}"),
                "PATCH",
                backfills + "/{backfill_id}");
    }

    @Test
    void webhookActions_returnDocumentedShapes() {
        ApiClient.Reply test = api.post("/api/webhooks/oa-hook/test", null);
        assertThat(test.status()).as(test.text()).isEqualTo(200);
        assertMatches(test, "POST", "/api/webhooks/{id_or_name}/test");
        ApiClient.Reply rotated = api.post("/api/webhooks/oa-hook/rotate_secret", null);
        assertThat(rotated.status()).as(rotated.text()).isEqualTo(200);
        assertMatches(rotated, "POST", "/api/webhooks/{id_or_name}/rotate_secret");
        ApiClient.Reply patched = api.patch("/api/webhooks/oa-hook", "{\"enabled\": true}");
        assertThat(patched.status()).as(patched.text()).isEqualTo(200);
        assertMatches(patched, "PATCH", "/api/webhooks/{id_or_name}");
        assertMatches(api.post("/api/webhooks", "{\"name\": \"oa-bad\"}"), "POST", "/api/webhooks");
        assertThat(api.post("/api/webhooks", "{\"name\": \"oa-gone\", \"url\": \"http://h/\", \"events\": [\"*\"]}")
                        .status())
                .isEqualTo(201);
        ApiClient.Reply gone = api.delete("/api/webhooks/oa-gone");
        assertThat(gone.status()).as(gone.text()).isEqualTo(200);
        assertMatches(gone, "DELETE", "/api/webhooks/{id_or_name}");
    }

    @Test
    void deletes_returnDocumentedShape() {
        assertThat(api.post(
                                "/api/destinations/http_endpoints",
                                "{\"name\": \"oa-gone\", \"url\": \"http://localhost:9\"}")
                        .status())
                .isEqualTo(201);
        ApiClient.Reply ep = api.delete("/api/destinations/http_endpoints/oa-gone");
        assertThat(ep.status()).as(ep.text()).isEqualTo(200);
        assertMatches(ep, "DELETE", "/api/destinations/http_endpoints/{id_or_name}");
        assertThat(api.post("/api/functions", "{\"name\": \"oa-gone\", \"type\": \"path\", \"path\": \"action\"}")
                        .status())
                .isEqualTo(201);
        ApiClient.Reply fn = api.delete("/api/functions/oa-gone");
        assertThat(fn.status()).as(fn.text()).isEqualTo(200);
        assertMatches(fn, "DELETE", "/api/functions/{id_or_name}");
        assertThat(api.post("/api/api_keys", "{\"name\": \"oa-gone\"}").status())
                .isEqualTo(201);
        ApiClient.Reply bf = api.post("/api/sinks/oa-sink/backfills", "{}");
        if (bf.status() == 409) { // the first one still runs: cancel it (its id stays listable)
            String first =
                    created.get("/api/sinks/{id_or_name}/backfills").get("id").asString();
            ApiClient.Reply cancel = api.put("/api/sinks/oa-sink/backfills/" + first, "{\"state\": \"cancelled\"}");
            assertThat(cancel.status()).as(cancel.text()).isEqualTo(200);
            assertMatches(cancel, "PUT", "/api/sinks/{id_or_name}/backfills/{backfill_id}");
            bf = api.post("/api/sinks/oa-sink/backfills", "{}");
        }
        assertThat(bf.status()).as(bf.text()).isEqualTo(201);
        ApiClient.Reply bfGone =
                api.delete("/api/sinks/oa-sink/backfills/" + bf.get("id").asString());
        assertThat(bfGone.status()).as(bfGone.text()).isEqualTo(200);
        assertMatches(bfGone, "DELETE", "/api/sinks/{id_or_name}/backfills/{backfill_id}");
        ApiClient.Reply key = api.delete("/api/api_keys/oa-gone");
        assertThat(key.status()).as(key.text()).isEqualTo(200);
        assertMatches(key, "DELETE", "/api/api_keys/{id_or_name}");
    }

    @Test
    void apiDoc_namesEveryDocumentedRoute() throws IOException {
        String md = Files.readString(Path.of("../docs/api.md"));
        for (String route : documentedRoutes()) {
            assertThat(md).as("docs/api.md must mention " + route).contains(route);
        }
    }

    // ---- the document --------------------------------------------------------------------------------------

    interface OperationVisitor {
        void visit(String method, String path, JsonNode operation);
    }

    private static void forEachOperation(OperationVisitor v) {
        for (var p : doc.get("paths").properties()) {
            for (String m : METHODS) {
                if (p.getValue().has(m)) {
                    v.visit(
                            m.toUpperCase(java.util.Locale.ROOT),
                            p.getKey(),
                            p.getValue().get(m));
                }
            }
        }
    }

    private static List<String> documentedRoutes() {
        List<String> out = new ArrayList<>();
        forEachOperation((method, path, op) -> out.add(method + " " + path));
        return out;
    }

    private static JsonNode resolve(JsonNode node) {
        while (node.has("$ref")) {
            String ref = node.get("$ref").asString();
            assertThat(ref).startsWith("#/");
            node = doc.at(ref.substring(1));
            assertThat(node.isMissingNode()).as(ref).isFalse();
        }
        return node;
    }

    /** The reply's status is documented for the operation, and its body fits the documented JSON schema. */
    private static void assertMatches(ApiClient.Reply reply, String method, String path) {
        JsonNode op = doc.get("paths").get(path).get(method.toLowerCase(java.util.Locale.ROOT));
        assertThat(op).as(method + " " + path).isNotNull();
        String what = method + " " + path + " -> " + reply.status();
        JsonNode response = op.get("responses").get(String.valueOf(reply.status()));
        if (response == null) {
            fail(what + " is not documented: " + clip(reply.text()));
        }
        JsonNode schema = resolve(response).at("/content/application~1json/schema");
        assertThat(schema.isMissingNode()).as(what).isFalse();
        check(reply.body(), schema, what + " $");
    }

    /** A small JSON Schema check: type, const, enum, required, declared properties, items, allOf and oneOf. */
    private static void check(JsonNode value, JsonNode schemaRef, String where) {
        JsonNode schema = resolve(schemaRef);
        schema.path("allOf").forEach(s -> check(value, s, where));
        if (schema.has("oneOf")) {
            List<String> matched = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            for (JsonNode alternative : schema.get("oneOf")) {
                String name = alternative.has("$ref") ? alternative.get("$ref").asString() : alternative.toString();
                try {
                    check(value, alternative, where);
                    matched.add(name);
                } catch (AssertionError e) {
                    failures.add(name + ": " + e.getMessage());
                }
            }
            assertThat(matched)
                    .as(where + " matches exactly one of oneOf; failures: " + failures)
                    .hasSize(1);
        }
        if (schema.has("type")) {
            List<String> types = new ArrayList<>();
            if (schema.get("type").isArray()) {
                schema.get("type").forEach(t -> types.add(t.asString()));
            } else {
                types.add(schema.get("type").asString());
            }
            assertThat(types).as(where + " type of " + value).contains(typeOf(value));
        }
        if (schema.has("const")) {
            assertThat(value).as(where).isEqualTo(schema.get("const"));
        }
        if (schema.has("enum")) {
            assertThat(schema.get("enum").values()).as(where).contains(value);
        }
        if (value.isObject() && schema.has("properties")) {
            JsonNode props = schema.get("properties");
            for (JsonNode r : schema.path("required")) {
                assertThat(value.has(r.asString()))
                        .as(where + " requires " + r.asString())
                        .isTrue();
            }
            for (var e : value.properties()) {
                if (!props.has(e.getKey())) {
                    fail(where + " has undocumented field '" + e.getKey() + "'");
                }
                check(e.getValue(), props.get(e.getKey()), where + "." + e.getKey());
            }
        } else if (value.isObject()
                && schema.get("additionalProperties") instanceof JsonNode extra
                && extra.isObject()) {
            for (var e : value.properties()) {
                check(e.getValue(), extra, where + "." + e.getKey());
            }
        }
        if (value.isArray() && schema.has("items")) {
            int i = 0;
            for (JsonNode item : value) {
                check(item, schema.get("items"), where + "[" + i++ + "]");
            }
        }
    }

    private static String typeOf(JsonNode v) {
        if (v.isIntegralNumber()) {
            return "integer";
        }
        return switch (v.getNodeType()) {
            case STRING -> "string";
            case BOOLEAN -> "boolean";
            case NUMBER -> "number";
            case NULL -> "null";
            case ARRAY -> "array";
            case OBJECT -> "object";
            default -> v.getNodeType().name();
        };
    }

    private static String clip(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }
}
