package dev.sluice.sink.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.FreePort;
import dev.sluice.testkit.TestMessages;
import dev.sluice.testkit.WebhookReceiver;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/** Runs the sink against a real HTTP server on localhost. */
class WebhookSinkIT {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private WebhookReceiver receiver;
    private final List<WebhookSink> sinks = new ArrayList<>();

    @BeforeEach
    void startReceiver() {
        receiver = WebhookReceiver.start();
    }

    @AfterEach
    void stop() {
        sinks.forEach(WebhookSink::close);
        receiver.close();
    }

    private WebhookSink sink(boolean batch) {
        return sink(new WebhookConfig(receiver.url("/hook"), Map.of(), batch));
    }

    private WebhookSink sink(WebhookConfig config) {
        WebhookSink sink = new WebhookSink(config);
        sinks.add(sink);
        return sink;
    }

    @Test
    void singleMessage_bodyIsExactlyTheMessageJson() throws Exception {
        SinkMessage message = TestMessages.insert("1", "Ada", 0);

        await(sink(false).deliver(new Batch(List.of(message))));

        WebhookReceiver.Request request = receiver.requests().get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/hook");
        assertThat(request.body()).isEqualTo(new String(message.json(), StandardCharsets.UTF_8));
        assertThat(request.json().get("record").get("name").asString()).isEqualTo("Ada");
    }

    @Test
    void batch_bodyWrapsMessagesInDataArrayInOrder() throws Exception {
        Batch batch = TestMessages.batch("r", 3);

        await(sink(true).deliver(batch));

        assertThat(receiver.requests()).hasSize(1);
        String expected = "{\"data\":[" + json(batch, 0) + "," + json(batch, 1) + "," + json(batch, 2) + "]}";
        assertThat(receiver.requests().get(0).body()).isEqualTo(expected);
        assertThat(ids(receiver.messages())).containsExactly("r0", "r1", "r2");
    }

    @Test
    void batch_wrapsEvenASingleMessage() throws Exception {
        Batch batch = TestMessages.batch("one", 1);

        await(sink(true).deliver(batch));

        assertThat(receiver.requests().get(0).body()).isEqualTo("{\"data\":[" + json(batch, 0) + "]}");
    }

    @Test
    void sendsJsonContentTypeAndConfiguredHeaders() throws Exception {
        WebhookSink sink = sink(new WebhookConfig(
                receiver.url("/hook"), Map.of("X-Api-Key", "k-123", "Authorization", "Bearer t0k"), true));

        await(sink.deliver(TestMessages.batch("h", 1)));

        WebhookReceiver.Request request = receiver.requests().get(0);
        assertThat(request.header("content-type")).hasValue("application/json");
        assertThat(request.header("X-API-KEY")).hasValue("k-123");
        assertThat(request.header("Authorization")).hasValue("Bearer t0k");
    }

    @Test
    void deliverTraced_tellsMethodUrlAndStatus_withoutCredentials() throws Exception {
        URI url = URI.create("http://bob:hunter2@127.0.0.1:" + receiver.port() + "/hook?token=s3cret");
        WebhookSink batched = sink(new WebhookConfig(url, Map.of("Authorization", "Bearer t0k"), true));
        WebhookSink single = sink(new WebhookConfig(receiver.url("/one"), Map.of(), false));

        dev.sluice.core.sink.Sink.Exchange one = batched.deliverTraced(TestMessages.batch("t", 2))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        dev.sluice.core.sink.Sink.Exchange each = single.deliverTraced(TestMessages.batch("e", 2))
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);

        assertThat(one.request())
                .isEqualTo("POST http://127.0.0.1:" + receiver.port() + "/hook?token=***")
                .doesNotContain("hunter2", "s3cret", "t0k");
        assertThat(one.response()).isEqualTo("200");
        assertThat(each.request())
                .startsWith("2 requests, the last: POST http://")
                .endsWith("/one");
        assertThat(receiver.requests()).hasSize(3);
    }

    @Test
    void userInfoInUrl_becomesBasicAuthAndStaysOutOfMessages() throws Exception {
        URI url = URI.create("http://bob:hunter2@127.0.0.1:" + receiver.port() + "/hook?token=s3cret");
        WebhookSink sink = sink(new WebhookConfig(url, Map.of(), true));
        receiver.respondNext(200, 500);

        await(sink.deliver(TestMessages.batch("u", 1)));
        SinkException failure = failure(sink.deliver(TestMessages.batch("u", 1)));

        String expected = Base64.getEncoder().encodeToString("bob:hunter2".getBytes(StandardCharsets.UTF_8));
        assertThat(receiver.requests().get(0).header("Authorization")).hasValue("Basic " + expected);
        assertThat(receiver.requests().get(0).query()).isEqualTo("token=s3cret");
        assertThat(failure.getMessage())
                .isEqualTo("HTTP 500 from http://127.0.0.1:" + receiver.port() + "/hook?token=***")
                .doesNotContain("hunter2", "s3cret");
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 404, 400, 429})
    void non2xx_failsRetriablyWithStatusUrlAndBody(int status) {
        receiver.respondWith(status, "  something\n went   wrong  ");

        SinkException failure = failure(sink(true).deliver(TestMessages.batch("f", 2)));

        assertThat(failure.retriable()).isTrue();
        assertThat(failure.getMessage())
                .isEqualTo("HTTP " + status + " from " + receiver.url("/hook") + ": something went wrong");
    }

    @Test
    void redirect_isNotFollowedAndFails() {
        receiver.respondWith(302);

        SinkException failure = failure(sink(true).deliver(TestMessages.batch("r", 1)));

        assertThat(failure.getMessage())
                .isEqualTo("HTTP 302 from " + receiver.url("/hook")
                        + " (redirects are not followed; Location: /redirected)");
        assertThat(receiver.requests())
                .extracting(WebhookReceiver.Request::path)
                .containsExactly("/hook");
    }

    @Test
    void anyTwoHundredStatus_isSuccess() throws Exception {
        receiver.respondNext(201, 202, 204);
        WebhookSink sink = sink(true);

        for (int i = 0; i < 3; i++) {
            await(sink.deliver(TestMessages.batch("s" + i, 1)));
        }

        assertThat(receiver.requests())
                .extracting(WebhookReceiver.Request::status)
                .containsExactly(201, 202, 204);
    }

    @Test
    void longErrorBody_isCutTo200Characters() {
        receiver.respondWith(500, "x".repeat(5000));

        SinkException failure = failure(sink(true).deliver(TestMessages.batch("l", 1)));

        String prefix = "HTTP 500 from " + receiver.url("/hook") + ": ";
        assertThat(failure.getMessage()).isEqualTo(prefix + "x".repeat(200) + "…");
    }

    @Test
    void hangingReceiver_failsAfterRequestTimeout() {
        receiver.hang(Duration.ofSeconds(30));
        WebhookSink sink = sink(new WebhookConfig(receiver.url("/hook"), Map.of(), true, Duration.ofMillis(300)));

        long start = System.nanoTime();
        SinkException failure = failure(sink.deliver(TestMessages.batch("t", 1)));

        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
        assertThat(failure.retriable()).isTrue();
        assertThat(failure.getMessage()).isEqualTo("no response from " + receiver.url("/hook") + " within 300 ms");
    }

    @Test
    void connectionRefused_failsCleanly() {
        URI url = URI.create("http://127.0.0.1:" + FreePort.find() + "/hook");
        WebhookSink sink = sink(new WebhookConfig(url, Map.of(), true, Duration.ofSeconds(2)));

        SinkException failure = failure(sink.deliver(TestMessages.batch("c", 1)));

        assertThat(failure.retriable()).isTrue();
        assertThat(failure.getMessage()).isEqualTo("cannot connect to " + url + ": connection refused");
        assertThat(failure.getCause()).isNotNull();
    }

    @Test
    void unknownHost_failsCleanly() {
        URI url = URI.create("http://no-such-host.invalid/hook");
        WebhookSink sink = sink(new WebhookConfig(url, Map.of(), true, Duration.ofSeconds(5)));

        SinkException failure = failure(sink.deliver(TestMessages.batch("c", 1)));

        assertThat(failure.retriable()).isTrue();
        assertThat(failure.getMessage()).isEqualTo("cannot resolve host 'no-such-host.invalid' of " + url);
    }

    @Test
    void unbatched_sendsOneRequestPerMessageInOrder() throws Exception {
        await(sink(false).deliver(TestMessages.batch("m", 3)));

        List<WebhookReceiver.Request> requests = receiver.requests();
        assertThat(requests).hasSize(3);
        assertThat(requests).allSatisfy(r -> assertThat(r.json().has("data")).isFalse());
        assertThat(ids(receiver.messages())).containsExactly("m0", "m1", "m2");
    }

    @Test
    void unbatched_stopsAtFirstFailure() {
        receiver.respondNext(200, 503);

        SinkException failure = failure(sink(false).deliver(TestMessages.batch("m", 3)));

        assertThat(failure.getMessage()).startsWith("HTTP 503 from");
        assertThat(ids(receiver.messages())).containsExactly("m0", "m1");
    }

    @Test
    void unavailableReceiver_failsUntilAvailableAgain() throws Exception {
        WebhookSink sink = sink(true);
        Batch batch = TestMessages.batch("a", 2);
        receiver.unavailable();

        assertThat(failure(sink.deliver(batch)).getMessage()).startsWith("HTTP 503 from");
        receiver.available();
        await(sink.deliver(batch));

        assertThat(ids(receiver.acceptedMessages())).containsExactly("a0", "a1");
    }

    @Test
    void concurrentDeliveries_allArrive() throws Exception {
        WebhookSink sink = sink(true);
        List<CompletableFuture<Void>> deliveries = new ArrayList<>();

        for (int i = 0; i < 40; i++) {
            deliveries.add(sink.deliver(TestMessages.batch("g" + i + "-", 3)).toCompletableFuture());
        }
        CompletableFuture.allOf(deliveries.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);

        List<JsonNode> messages = receiver.awaitMessages(120, WAIT);
        assertThat(receiver.requests()).hasSize(40);
        assertThat(ids(messages)).hasSize(120).doesNotHaveDuplicates();
    }

    @Test
    void closedSink_failsDeliveries() throws Exception {
        WebhookSink sink = sink(true);
        sink.close();

        SinkException failure = failure(sink.deliver(TestMessages.batch("x", 1)));

        assertThat(failure.getMessage()).isEqualTo("webhook sink for " + receiver.url("/hook") + " is closed");
        // A later delivery through an open sink arrives, and is all that arrived.
        await(sink(true).deliver(TestMessages.batch("marker", 1)));
        assertThat(ids(receiver.messages())).containsExactly("marker0");
    }

    @Test
    void close_abortsRequestsStillInFlightAfterGracePeriod() {
        receiver.hang(Duration.ofSeconds(30));
        WebhookSink sink = sink(true);
        CompletionStage<Void> inFlight = sink.deliver(TestMessages.batch("x", 1));
        receiver.awaitRequests(1, WAIT);

        long start = System.nanoTime();
        sink.close();

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        SinkException failure = failure(inFlight);
        assertThat(failure.retriable()).isTrue();
        assertThat(failure.getMessage()).startsWith("request to " + receiver.url("/hook") + " failed");
    }

    private static String json(Batch batch, int i) {
        return new String(batch.messages().get(i).json(), StandardCharsets.UTF_8);
    }

    private static List<String> ids(List<JsonNode> messages) {
        return messages.stream().map(m -> m.get("record").get("id").asString()).toList();
    }

    private static void await(CompletionStage<Void> stage) throws Exception {
        stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static SinkException failure(CompletionStage<Void> stage) {
        try {
            stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(SinkException.class);
            return (SinkException) e.getCause();
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("delivery neither failed nor succeeded in time", e);
        }
        throw new AssertionError("expected the delivery to fail");
    }
}
