package dev.sluice.server.notify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.server.api.ApiClient;
import dev.sluice.server.fixture.ServerFixture;
import dev.sluice.testkit.WebhookReceiver;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * {@code /api/webhooks} on a live server: create, read, update, delete and their validation errors, the secret shown
 * once and sealed at rest, rotation, and {@code test} deliveries verified independently, failed ones included.
 */
class WebhooksApiIT {
    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static ApiClient api;
    static WebhookReceiver hooks;

    @BeforeAll
    static void start() {
        System.setProperty("SLUICE_WEBHOOKS_TIMEOUT", "PT3S");
        sluice.start();
        api = sluice.api();
        hooks = sluice.newReceiver();
    }

    @AfterAll
    static void clear() {
        System.clearProperty("SLUICE_WEBHOOKS_TIMEOUT");
    }

    private static ApiClient.Reply create(String name, String url, String extra) {
        return api.post("/api/webhooks", """
                {"name": "%s", "url": "%s", "events": ["sink.failing", "sink.recovered"]%s}""".formatted(name, url, extra));
    }

    /** The signature as a receiver computes it, with nothing from the server's code. */
    static String hmac(String t, String body, String secret) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal((t + "." + body).getBytes(StandardCharsets.UTF_8)));
    }

    /** Checks the request's Sluice-Signature against {@code secret}; returns its timestamp. */
    static long assertSigned(WebhookReceiver.Request r, String secret) throws Exception {
        String header = r.header("Sluice-Signature").orElseThrow();
        assertThat(header).matches("t=\\d+,v1=[0-9a-f]{64}");
        String t = header.substring(2, header.indexOf(','));
        String v1 = header.substring(header.indexOf("v1=") + 3);
        assertThat(v1).as("HMAC-SHA256 of t.body").isEqualTo(hmac(t, r.body(), secret));
        long age = Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(t));
        assertThat(age).isLessThan(60);
        return Long.parseLong(t);
    }

    @Test
    void create_showsTheSecretOnce_andStoresItSealed() throws Exception {
        ApiClient.Reply created = create("shown-once", hooks.url("/once").toString(), "");
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String id = created.get("id").asString();
        String secret = created.get("secret").asString();
        assertThat(id).matches("wh_[0-9a-f]{32}");
        assertThat(secret).matches("whsec_[A-Za-z0-9_-]{43}");
        assertThat(created.body().propertyNames())
                .containsExactly(
                        "id",
                        "name",
                        "url",
                        "events",
                        "sink",
                        "database",
                        "lag_threshold_bytes",
                        "lag_threshold_seconds",
                        "enabled",
                        "last_delivery",
                        "inserted_at",
                        "updated_at",
                        "secret");
        assertThat(created.get("enabled").asBoolean()).isTrue();
        assertThat(created.get("last_delivery").isNull()).isTrue();

        for (String path : List.of("/api/webhooks/" + id, "/api/webhooks/shown-once")) {
            ApiClient.Reply got = api.get(path);
            assertThat(got.status()).as(got.text()).isEqualTo(200);
            assertThat(got.body().has("secret")).isFalse();
            assertThat(got.text()).doesNotContain(secret);
        }
        ApiClient.Reply list = api.get("/api/webhooks");
        assertThat(list.text()).contains(id).doesNotContain(secret);
        ApiClient.Reply page = api.get("/api/webhooks?limit=1");
        assertThat(page.get("data")).hasSize(1);
        assertThat(page.body().has("next_cursor")).isTrue();

        try (Connection c = ServerFixture.PG.connect(sluice.metaDb());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT row_to_json(w)::text, secret_sealed FROM sluice.webhooks w"
                        + " WHERE name = 'shown-once'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).doesNotContain(secret).doesNotContain(secret.substring(6));
            assertThat(rs.getString(2)).startsWith("v1:");
        }
    }

    @Test
    void invalidSubscriptions_get422WithEveryFieldsError() {
        ApiClient.Reply bad = api.post("/api/webhooks", """
                {"url": "ftp://example.com/x", "events": ["sink.failing", "nope"], "sink": "no-such-sink",
                 "lag_threshold_bytes": -1, "enabled": "yes", "colour": "red"}""");
        assertThat(bad.status()).as(bad.text()).isEqualTo(422);
        assertThat(bad.get("validation_errors").propertyNames())
                .containsExactlyInAnyOrder("name", "url", "events", "sink", "lag_threshold_bytes", "enabled", "colour");
        assertThat(bad.get("validation_errors").get("events").get(0).asString())
                .contains("'nope'")
                .contains("sink.health_changed");

        assertThat(api.post("/api/webhooks", "{\"name\": \"x\", \"url\": \"http://h/\", \"events\": []}")
                        .get("validation_errors")
                        .has("events"))
                .isTrue();
        assertThat(api.post(
                                "/api/webhooks",
                                "{\"name\": \"x\", \"url\": \"http://h/\", \"events\": [\"*\", \"job.failed\"]}")
                        .get("validation_errors")
                        .has("events"))
                .isTrue();
        ApiClient.Reply secret = create("with-secret", "http://h/", ", \"secret\": \"whsec_mine\"");
        assertThat(secret.status()).isEqualTo(422);
        assertThat(secret.get("validation_errors").get("secret").get(0).asString())
                .contains("rotate_secret");

        assertThat(create("taken", "http://h/", "").status()).isEqualTo(201);
        ApiClient.Reply taken = create("taken", "http://h/", "");
        assertThat(taken.status()).isEqualTo(422);
        assertThat(taken.get("validation_errors").has("name")).isTrue();
        assertThat(api.post("/api/webhooks", "{not json").status()).isEqualTo(400);
        assertThat(api.withToken(null).get("/api/webhooks").status()).isEqualTo(401);
        assertThat(api.get("/api/webhooks/wh_00000000000000000000000000000000").status())
                .isEqualTo(404);
    }

    @Test
    void update_changesGivenFields_andAResponseSentBackChangesNothing() {
        assertThat(create("to-update", "http://h/", "").status()).isEqualTo(201);
        ApiClient.Reply patched = api.patch("/api/webhooks/to-update", """
                {"events": ["*"], "enabled": false, "lag_threshold_seconds": 60}""");
        assertThat(patched.status()).as(patched.text()).isEqualTo(200);
        assertThat(patched.get("events").toString()).isEqualTo("[\"*\"]");
        assertThat(patched.get("enabled").asBoolean()).isFalse();
        assertThat(patched.get("lag_threshold_seconds").asLong()).isEqualTo(60);
        assertThat(patched.get("url").asString()).isEqualTo("http://h/");
        assertThat(patched.body().has("secret")).isFalse();

        ApiClient.Reply again = api.put("/api/webhooks/to-update", patched.text());
        assertThat(again.status()).as(again.text()).isEqualTo(200);
        JsonNode before = patched.body().deepCopy();
        JsonNode after = again.body().deepCopy();
        ((tools.jackson.databind.node.ObjectNode) before).remove("updated_at");
        ((tools.jackson.databind.node.ObjectNode) after).remove("updated_at");
        assertThat(after).isEqualTo(before);

        ApiClient.Reply badUrl = api.put("/api/webhooks/to-update", "{\"url\": \"not a url\"}");
        assertThat(badUrl.status()).isEqualTo(422);
        assertThat(create("other-name", "http://h/", "").status()).isEqualTo(201);
        ApiClient.Reply clash = api.patch("/api/webhooks/to-update", "{\"name\": \"other-name\"}");
        assertThat(clash.status()).as(clash.text()).isEqualTo(422);
        assertThat(clash.get("validation_errors").has("name")).isTrue();

        ApiClient.Reply deleted = api.delete("/api/webhooks/to-update");
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.get("deleted").asBoolean()).isTrue();
        assertThat(api.get("/api/webhooks/to-update").status()).isEqualTo(404);
    }

    @Test
    void test_deliversASignedEvent_andRotationChangesTheKey() throws Exception {
        ApiClient.Reply created = create("tested", hooks.url("/tested").toString(), "");
        String id = created.get("id").asString();
        String secret = created.get("secret").asString();

        ApiClient.Reply test = api.post("/api/webhooks/" + id + "/test", null);
        assertThat(test.status()).as(test.text()).isEqualTo(200);
        assertThat(test.get("delivered").asBoolean()).isTrue();
        assertThat(test.get("status").asInt()).isEqualTo(200);
        assertThat(test.get("error").isNull()).isTrue();
        assertThat(test.get("duration_ms").asLong()).isNotNegative();

        WebhookReceiver.Request r = received("/tested").getLast();
        assertSigned(r, secret);
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.header("Content-Type").orElseThrow()).startsWith("application/json");
        assertThat(r.header("User-Agent").orElseThrow()).startsWith("Sluice-Webhooks/");
        assertThat(r.header("Sluice-Event-Type")).contains("webhook.test");
        assertThat(r.json().get("type").asString()).isEqualTo("webhook.test");
        assertThat(r.header("Sluice-Event-Id")).contains(r.json().get("id").asString());
        assertThat(r.json().get("id").asString()).startsWith("evt_");
        assertThat(r.json().get("data").get("webhook_id").asString()).isEqualTo(id);
        java.time.Instant.parse(r.json().get("created_at").asString());

        JsonNode last = api.get("/api/webhooks/" + id).get("last_delivery");
        assertThat(last.get("event").asString()).isEqualTo("webhook.test");
        assertThat(last.get("status").asInt()).isEqualTo(200);
        assertThat(last.get("error").isNull()).isTrue();

        ApiClient.Reply rotated = api.post("/api/webhooks/tested/rotate_secret", null);
        assertThat(rotated.status()).as(rotated.text()).isEqualTo(200);
        String fresh = rotated.get("secret").asString();
        assertThat(fresh).startsWith("whsec_").isNotEqualTo(secret);
        assertThat(api.get("/api/webhooks/tested").body().has("secret")).isFalse();
        assertThat(api.post("/api/webhooks/tested/test", null).get("delivered").asBoolean())
                .isTrue();
        assertSigned(received("/tested").getLast(), fresh);
    }

    @Test
    void test_reportsAFailingOrAbsentEndpoint_inItsAnswerAndLastDelivery() {
        WebhookReceiver failing = sluice.newReceiver().respondWith(500);
        assertThat(create("fails", failing.url().toString(), "").status()).isEqualTo(201);
        ApiClient.Reply test = api.post("/api/webhooks/fails/test", null);
        assertThat(test.status()).as(test.text()).isEqualTo(200);
        assertThat(test.get("delivered").asBoolean()).isFalse();
        assertThat(test.get("status").asInt()).isEqualTo(500);
        assertThat(test.get("error").asString()).contains("500");
        JsonNode last = api.get("/api/webhooks/fails").get("last_delivery");
        assertThat(last.get("status").asInt()).isEqualTo(500);
        assertThat(last.get("error").asString()).contains("500");

        WebhookReceiver gone = WebhookReceiver.start();
        String url = gone.url().toString();
        gone.close();
        assertThat(create("nobody", url, "").status()).isEqualTo(201);
        ApiClient.Reply nobody = api.post("/api/webhooks/nobody/test", null);
        assertThat(nobody.status()).as(nobody.text()).isEqualTo(200);
        assertThat(nobody.get("delivered").asBoolean()).isFalse();
        assertThat(nobody.get("status").isNull()).isTrue();
        assertThat(nobody.get("error").asString()).contains("cannot connect");
        JsonNode last2 = api.get("/api/webhooks/nobody").get("last_delivery");
        assertThat(last2.get("status").isNull()).isTrue();
        assertThat(last2.get("error").asString()).contains("cannot connect");
    }

    private static List<WebhookReceiver.Request> received(String path) {
        return hooks.requests().stream().filter(r -> r.path().equals(path)).toList();
    }
}
