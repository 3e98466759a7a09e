package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WebhookReceiverIT {
    private final WebhookReceiver receiver = WebhookReceiver.start();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        http.close();
        receiver.close();
    }

    private int post(String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(receiver.url(path))
                .header("X-Test", "yes")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void listensOnLoopback() {
        assertThat(receiver.url()).isEqualTo(URI.create("http://127.0.0.1:" + receiver.port() + "/"));
        assertThat(receiver.url("/a/b")).isEqualTo(URI.create("http://127.0.0.1:" + receiver.port() + "/a/b"));
    }

    @Test
    void recordsRequestsAndFlattensDataArrays() throws Exception {
        post("/hook?x=1", "{\"data\":[{\"n\":1},{\"n\":2}]}");
        post("/hook", "{\"n\":3}");
        post("/hook", "not json");

        assertThat(receiver.messages()).extracting(m -> m.get("n").asInt()).containsExactly(1, 2, 3);
        WebhookReceiver.Request first = receiver.requests().get(0);
        assertThat(first.method()).isEqualTo("POST");
        assertThat(first.path()).isEqualTo("/hook");
        assertThat(first.query()).isEqualTo("x=1");
        assertThat(first.header("x-test")).hasValue("yes");
        assertThat(receiver.requests().get(2).json()).isNull();
    }

    @Test
    void answersQueuedStatusesThenDefault() throws Exception {
        receiver.respondWith(202).respondNext(500, 404);

        assertThat(post("/", "{}")).isEqualTo(500);
        assertThat(post("/", "{}")).isEqualTo(404);
        assertThat(post("/", "{}")).isEqualTo(202);
        assertThat(receiver.acceptedMessages()).hasSize(1);
    }

    @Test
    void unavailableAnswers503UntilAvailable() throws Exception {
        receiver.unavailable();
        assertThat(post("/", "{}")).isEqualTo(503);
        receiver.available();
        assertThat(post("/", "{}")).isEqualTo(200);
    }

    @Test
    void hangDelaysResponses() throws Exception {
        receiver.hang(Duration.ofMillis(300));
        long start = System.nanoTime();
        post("/", "{}");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void awaitMessages_failsWithWhatArrived() throws Exception {
        post("/", "{\"n\":1}");

        assertThat(receiver.awaitMessages(1, Duration.ofSeconds(1))).hasSize(1);
        assertThatThrownBy(() -> receiver.awaitMessages(2, Duration.ofMillis(100)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("expected 2 messages within 100 ms, got 1 requests with 1 messages");
    }
}
