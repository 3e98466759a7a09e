package dev.sluice.server.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.server.fixture.ServerFixture;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/** A server with a tiny rate limit (1 request per second, bursts of 3): 429 with Retry-After, per token. */
class RateLimitIT {
    static final String SECOND_TOKEN = "sluice_second_token_0123456789";

    @RegisterExtension
    static final ServerFixture sluice = new ServerFixture();

    static RawApi first;
    static RawApi second;

    @BeforeAll
    static void start() {
        // Read once, at start; system properties stand in for the environment in this JVM.
        System.setProperty("SLUICE_API_RATE_LIMIT", "1");
        System.setProperty("SLUICE_API_RATE_BURST", "3");
        try {
            // The second token comes from the file, so that no request spends the first token's burst on it.
            sluice.start("api_tokens:\n  - name: second\n    token: " + SECOND_TOKEN + "\n");
        } finally {
            System.clearProperty("SLUICE_API_RATE_LIMIT");
            System.clearProperty("SLUICE_API_RATE_BURST");
        }
        first = new RawApi(sluice.server().port(), ServerFixture.TOKEN);
        second = first.withToken(SECOND_TOKEN);
    }

    @Test
    void aTokenOverItsBurst_gets429WithRetryAfter_whileAnotherTokenIsServed_andItRecovers() {
        List<Integer> statuses = new ArrayList<>();
        HttpResponse<String> limited = null;
        for (int i = 0; i < 10 && limited == null; i++) {
            HttpResponse<String> r = first.get("/api/functions");
            statuses.add(r.statusCode());
            if (r.statusCode() == 429) {
                limited = r;
            }
        }
        assertThat(limited).as("a 429 within 10 quick requests: " + statuses).isNotNull();
        assertThat(statuses.subList(0, 3)).as("the burst").containsOnly(200);

        assertThat(Integer.parseInt(RawApi.header(limited, "Retry-After"))).isBetween(1, 2);
        JsonNode body = RawApi.json(limited);
        assertThat(body.get("summary").asString())
                .startsWith("rate limit exceeded: this API token may send 1 requests per second (bursts of 3)")
                .containsPattern("retry after [12] s");
        assertThat(body.get("request_id").asString()).isEqualTo(RawApi.header(limited, "X-Request-Id"));

        // A refused create does nothing.
        HttpResponse<String> create =
                first.post("/api/functions", "{\"name\": \"limited-fn\", \"type\": \"path\", \"path\": \"record\"}");
        assertThat(create.statusCode()).isEqualTo(429);

        HttpResponse<String> other = second.get("/api/functions");
        assertThat(other.statusCode()).as(other.body()).isEqualTo(200);

        await("the first token is served again")
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> first.get("/api/functions").statusCode() == 200);
        await("the refused create left nothing")
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(300))
                .until(() -> first.get("/api/functions/limited-fn").statusCode(), s -> s == 404);
    }
}
