package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/** {@code Idempotency-Key} on POST: one creation per key, the first response replayed, misuse refused. */
class IdempotencyIT {
    static final String SECOND_TOKEN = "sluice_second_token_0123456789";

    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static RawApi api;

    @BeforeAll
    static void start() {
        sluice.start("api_tokens:\n  - name: second\n    token: " + SECOND_TOKEN + "\n");
        api = new RawApi(sluice.server().port(), ServerFixture.TOKEN);
    }

    private static String function(String name) {
        return "{\"name\": \"" + name + "\", \"type\": \"path\", \"path\": \"record\"}";
    }

    private static int count(String name) {
        JsonNode list = RawApi.json(api.get("/api/functions?limit=1000")).get("data");
        int n = 0;
        for (JsonNode f : list) {
            n += f.get("name").asString().equals(name) ? 1 : 0;
        }
        return n;
    }

    @Test
    void theSameKeyTwice_createsOnce_andReplaysTheFirstResponse() {
        HttpResponse<String> first = api.post("/api/functions", function("idem-once"), "Idempotency-Key", "k-once");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        assertThat(RawApi.header(first, "Idempotent-Replayed")).isNull();

        HttpResponse<String> again = api.post("/api/functions", function("idem-once"), "Idempotency-Key", "k-once");
        assertThat(again.statusCode()).isEqualTo(201);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(RawApi.header(again, "Idempotent-Replayed")).isEqualTo("true");
        assertThat(RawApi.header(again, "Content-Type")).startsWith("application/json");
        // A replay is a request of its own.
        assertThat(RawApi.header(again, "X-Request-Id")).isNotEqualTo(RawApi.header(first, "X-Request-Id"));
        assertThat(count("idem-once")).isEqualTo(1);

        // Without a key, the same request runs again (and finds the name taken).
        assertThat(api.post("/api/functions", function("idem-once")).statusCode())
                .isEqualTo(422);
    }

    @Test
    void twoKeys_createTwoResources() {
        HttpResponse<String> a = api.post("/api/functions", function("idem-two-a"), "Idempotency-Key", "k-two-a");
        HttpResponse<String> b = api.post("/api/functions", function("idem-two-b"), "Idempotency-Key", "k-two-b");
        assertThat(a.statusCode()).isEqualTo(201);
        assertThat(b.statusCode()).isEqualTo(201);
        assertThat(RawApi.header(b, "Idempotent-Replayed")).isNull();
        assertThat(RawApi.json(a).get("id")).isNotEqualTo(RawApi.json(b).get("id"));
        assertThat(count("idem-two-a") + count("idem-two-b")).isEqualTo(2);
    }

    @Test
    void theSameKeyWithAnotherBodyOrPath_is422_andCreatesNothing() {
        assertThat(api.post("/api/functions", function("idem-body"), "Idempotency-Key", "k-body")
                        .statusCode())
                .isEqualTo(201);

        HttpResponse<String> otherBody =
                api.post("/api/functions", function("idem-body-2"), "Idempotency-Key", "k-body");
        assertThat(otherBody.statusCode()).as(otherBody.body()).isEqualTo(422);
        JsonNode error = RawApi.json(otherBody);
        assertThat(error.get("summary").asString())
                .isEqualTo("Idempotency-Key 'k-body' was used with a different request (this route with another"
                        + " body) within the last PT24H; send a new key for a new request");
        assertThat(error.at("/validation_errors/Idempotency-Key/0").asString())
                .startsWith("was used with a different request");
        assertThat(error.get("request_id").asString()).isEqualTo(RawApi.header(otherBody, "X-Request-Id"));
        assertThat(count("idem-body-2")).isZero();

        HttpResponse<String> otherPath =
                api.post("/api/api_keys", "{\"name\": \"idem-key\"}", "Idempotency-Key", "k-body");
        assertThat(otherPath.statusCode()).isEqualTo(422);
        assertThat(RawApi.json(otherPath).get("summary").asString())
                .contains("was used with a different request (POST /api/functions)");
        assertThat(api.get("/api/api_keys").body()).doesNotContain("idem-key");
    }

    @Test
    void aClientError_isKeptAndReplayed_butKeysArePerToken() {
        String bad = "{\"name\": \"idem-bad\", \"type\": \"nonsense\"}";
        HttpResponse<String> first = api.post("/api/functions", bad, "Idempotency-Key", "k-bad");
        assertThat(first.statusCode()).isEqualTo(422);
        HttpResponse<String> again = api.post("/api/functions", bad, "Idempotency-Key", "k-bad");
        assertThat(again.statusCode()).isEqualTo(422);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(RawApi.header(again, "Idempotent-Replayed")).isEqualTo("true");

        // The other token's key of the same name is its own: the request runs.
        HttpResponse<String> other =
                api.withToken(SECOND_TOKEN).post("/api/functions", bad, "Idempotency-Key", "k-bad");
        assertThat(other.statusCode()).isEqualTo(422);
        assertThat(RawApi.header(other, "Idempotent-Replayed")).isNull();
    }

    @Test
    void aKeyThatIsNotPrintableAsciiOrTooLong_is400NamingTheHeader() {
        HttpResponse<String> tooLong =
                api.post("/api/functions", function("idem-long"), "Idempotency-Key", "k".repeat(256));
        assertThat(tooLong.statusCode()).isEqualTo(400);
        assertThat(RawApi.json(tooLong).get("summary").asString())
                .startsWith("the Idempotency-Key header must be 1 to 255 printable ASCII characters");
        assertThat(count("idem-long")).isZero();
        assertThat(api.post("/api/functions", function("idem-255"), "Idempotency-Key", "k".repeat(255))
                        .statusCode())
                .isEqualTo(201);
        // Other methods ignore the header.
        assertThat(api.get("/api/functions", "Idempotency-Key", "k".repeat(256)).statusCode())
                .isEqualTo(200);
    }

    @Test
    void aKeyWhoseFirstRequestStillRuns_is409() throws Exception {
        // A request in flight on another node holds the claim: a row without a response yet.
        try (Connection c = ServerFixture.PG.connect(sluice.metaDb());
                PreparedStatement ps = c.prepareStatement("INSERT INTO sluice.idempotency_keys (token_id,"
                        + " idempotency_key, method, path, request_sha256, created_at, expires_at)"
                        + " SELECT id, 'k-running', 'POST', '/api/functions', sha256(convert_to(?, 'UTF8')), now(),"
                        + " now() + interval '1 day' FROM sluice.api_keys WHERE name = 'env'")) {
            ps.setString(1, function("idem-running"));
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
        HttpResponse<String> r = api.post("/api/functions", function("idem-running"), "Idempotency-Key", "k-running");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
        assertThat(RawApi.json(r).get("summary").asString())
                .isEqualTo("a request with Idempotency-Key 'k-running' is still running; retry once it has finished"
                        + " to get its response");
        assertThat(count("idem-running")).isZero();
    }

    @Test
    void aKeptResponseWithASecret_isSealedAtRest() throws Exception {
        HttpResponse<String> created =
                api.post("/api/api_keys", "{\"name\": \"idem-sealed\"}", "Idempotency-Key", "k-sealed");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String token = RawApi.json(created).get("token").asString();
        HttpResponse<String> again =
                api.post("/api/api_keys", "{\"name\": \"idem-sealed\"}", "Idempotency-Key", "k-sealed");
        assertThat(again.body()).isEqualTo(created.body());
        assertThat(RawApi.header(again, "Idempotent-Replayed")).isEqualTo("true");
        try (Connection c = ServerFixture.PG.connect(sluice.metaDb());
                PreparedStatement ps = c.prepareStatement(
                        "SELECT sealed_body FROM sluice.idempotency_keys WHERE idempotency_key = 'k-sealed'");
                ResultSet rs = ps.executeQuery()) {
            assertThat(rs.next()).isTrue();
            String stored = rs.getString(1);
            assertThat(stored).startsWith("v1:").doesNotContain(token).doesNotContain("idem-sealed");
        }
    }

    @Test
    void aKeptResponse_isReplayedAfterARestart() {
        HttpResponse<String> first =
                api.post("/api/functions", function("idem-restart"), "Idempotency-Key", "k-restart");
        assertThat(first.statusCode()).isEqualTo(201);
        sluice.restart();
        api = new RawApi(sluice.server().port(), ServerFixture.TOKEN);
        HttpResponse<String> again =
                api.post("/api/functions", function("idem-restart"), "Idempotency-Key", "k-restart");
        assertThat(again.statusCode()).isEqualTo(201);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(RawApi.header(again, "Idempotent-Replayed")).isEqualTo("true");
        assertThat(count("idem-restart")).isEqualTo(1);
    }

    @Test
    void anExpiredKey_isFreeAgain() {
        try (ServerFixture shortLived = new ServerFixture()) {
            System.setProperty("SLUICE_API_IDEMPOTENCY_TTL", "PT3S");
            try {
                shortLived.start();
            } finally {
                System.clearProperty("SLUICE_API_IDEMPOTENCY_TTL");
            }
            RawApi client = new RawApi(shortLived.server().port(), ServerFixture.TOKEN);
            assertThat(client.post("/api/functions", function("exp-a"), "Idempotency-Key", "k-exp")
                            .statusCode())
                    .isEqualTo(201);
            assertThat(client.post("/api/functions", function("exp-b"), "Idempotency-Key", "k-exp")
                            .statusCode())
                    .isEqualTo(422);
            HttpResponse<String> reused = await("the key expires")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(250))
                    .until(
                            () -> client.post("/api/functions", function("exp-b"), "Idempotency-Key", "k-exp"),
                            r -> r.statusCode() != 422);
            assertThat(reused.statusCode()).as(reused.body()).isEqualTo(201);
            assertThat(RawApi.header(reused, "Idempotent-Replayed")).isNull();
        }
    }
}
