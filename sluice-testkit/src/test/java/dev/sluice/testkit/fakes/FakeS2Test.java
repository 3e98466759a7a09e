package dev.sluice.testkit.fakes;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fake answers as S2's API reference says: statuses, error codes, limits, atomic appends. */
class FakeS2Test {
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static FakeS2 s2;

    @BeforeAll
    static void start() {
        s2 = FakeS2.start();
        s2.createBasin("test-basin", false);
        s2.createBasin("auto-basin", true);
        s2.createStream("test-basin", "events");
        s2.addToken("all");
        s2.addToken("auto-only", "auto-basin");
    }

    @AfterAll
    static void stop() {
        s2.close();
    }

    private static HttpResponse<String> call(
            String method, String path, String basin, String token, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s2.endpoint() + path))
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .header("S2-Basin", basin)
                .header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> append(
            String basin, String stream, String token, String body, String... headers) throws Exception {
        return call("POST", "/streams/" + stream + "/records", basin, token, body, headers);
    }

    @Test
    void append_assignsConsecutiveSequenceNumbers_andTheTailFollows() throws Exception {
        HttpResponse<String> r = append(
                "test-basin",
                "events",
                "all",
                "{\"records\":[{\"body\":\"a\"},{\"body\":\"b\",\"headers\":[[\"k\",\"v\"]]}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"start\":{\"seq_num\":0", "\"end\":{\"seq_num\":2");
        assertThat(s2.records("test-basin", "events"))
                .extracting(FakeS2.Record::body)
                .containsExactly("a", "b");
        assertThat(s2.records("test-basin", "events").get(1).headers()).containsExactly(java.util.List.of("k", "v"));
        HttpResponse<String> tail = call("GET", "/streams/events/records/tail", "test-basin", "all", null);
        assertThat(tail.statusCode()).isEqualTo(200);
        assertThat(tail.body()).contains("\"tail\":{\"seq_num\":2");
    }

    @Test
    void authAndMissingResources_answerWithS2sStatusesAndCodes() throws Exception {
        String one = "{\"records\":[{\"body\":\"x\"}]}";
        assertThat(append("test-basin", "events", null, one).statusCode()).isEqualTo(401);
        HttpResponse<String> bad = append("test-basin", "events", "nope", one);
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(bad.body()).contains("\"code\":\"authn\"");
        assertThat(append("test-basin", "events", "auto-only", one).body()).contains("\"code\":\"permission_denied\"");
        assertThat(append("no-such-basin", "events", "all", one).body()).contains("\"code\":\"basin_not_found\"");
        HttpResponse<String> noStream = append("test-basin", "missing", "all", one);
        assertThat(noStream.statusCode()).isEqualTo(404);
        assertThat(noStream.body()).contains("\"code\":\"stream_not_found\"");
        assertThat(append("auto-basin", "created", "all", one).statusCode())
                .as("create on append")
                .isEqualTo(200);
    }

    @Test
    void limitsAndMalformedRequests_areRefused_andNothingIsAppended() throws Exception {
        s2.createStream("test-basin", "limits");
        StringBuilder many = new StringBuilder("{\"records\":[");
        for (int i = 0; i < 1001; i++) {
            many.append(i == 0 ? "" : ",").append("{\"body\":\"x\"}");
        }
        many.append("]}");
        assertThat(append("test-basin", "limits", "all", many.toString()).statusCode())
                .isEqualTo(422);
        String big = "{\"records\":[{\"body\":\"" + "x".repeat(FakeS2.MAX_METERED_BYTES - 8) + "\"},{\"body\":\"y\"}]}";
        assertThat(append("test-basin", "limits", "all", big).body()).contains("\"code\":\"invalid\"");
        assertThat(append("test-basin", "limits", "all", "{\"records\":").body())
                .contains("\"code\":\"bad_json\"");
        assertThat(append("test-basin", "limits", "all", "{\"records\":[{}]}", "s2-format", "hex")
                        .body())
                .contains("\"code\":\"bad_header\"");
        assertThat(append("test-basin", "limits", "all", "{\"records\":[{\"body\":\"x\"}],\"match_seq_num\":5}")
                        .statusCode())
                .isEqualTo(412);
        assertThat(s2.records("test-basin", "limits")).isEmpty();
        String b64 = Base64.getEncoder().encodeToString("hé".getBytes(StandardCharsets.UTF_8));
        assertThat(append(
                                "test-basin",
                                "limits",
                                "all",
                                "{\"records\":[{\"body\":\"" + b64 + "\"}]}",
                                "s2-format",
                                "base64")
                        .statusCode())
                .isEqualTo(200);
        assertThat(s2.records("test-basin", "limits").getFirst().body()).isEqualTo("hé");
    }

    @Test
    void queuedFaults_answerInOrder_thenAppendsGoThrough() throws Exception {
        s2.createStream("test-basin", "faults");
        s2.passNextAppends(1);
        s2.failNextAppends(1, 429, "rate_limited");
        String one = "{\"records\":[{\"body\":\"x\"}]}";
        assertThat(append("test-basin", "faults", "all", one).statusCode()).isEqualTo(200);
        HttpResponse<String> throttled = append("test-basin", "faults", "all", one);
        assertThat(throttled.statusCode()).isEqualTo(429);
        assertThat(throttled.body()).contains("\"code\":\"rate_limited\"");
        assertThat(append("test-basin", "faults", "all", one).statusCode()).isEqualTo(200);
        assertThat(s2.records("test-basin", "faults")).hasSize(2);
    }
}
