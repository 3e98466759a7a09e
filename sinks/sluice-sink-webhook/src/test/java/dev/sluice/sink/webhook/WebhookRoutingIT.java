package dev.sluice.sink.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import dev.sluice.testkit.WebhookReceiver;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Routed batches (method, endpoint_path, headers) against a real HTTP server on localhost. */
class WebhookRoutingIT {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private WebhookReceiver receiver;
    private WebhookSink sink;

    @BeforeEach
    void start() {
        receiver = WebhookReceiver.start();
        // As the provider builds it: endpoint https://…/base with headers, http_endpoint_path /default.
        URI endpoint = receiver.url("/base");
        sink = new WebhookSink(new WebhookConfig(
                WebhookConfig.join(endpoint.toString(), "/default"),
                Map.of("X-Endpoint", "e", "Authorization", "Bearer endpoint"),
                true,
                Duration.ofSeconds(5),
                endpoint));
    }

    @AfterEach
    void stop() {
        sink.close();
        receiver.close();
    }

    @Test
    void routedBatches_goToTheirPaths_withTheRoutedMethodAndHeaders() throws Exception {
        Batch orders = routed(Map.of("endpoint_path", "/orders"), "o");
        Map<String, Object> headers = new LinkedHashMap<>();
        headers.put("X-Tenant", "7");
        headers.put("authorization", "Bearer routed");
        Batch users = routed(Map.of("method", "put", "endpoint_path", "/users?tenant=7", "headers", headers), "u");
        Batch plain = TestMessages.batch("p", 1);

        for (Batch b : List.of(orders, users, plain)) {
            await(sink.deliver(b));
        }

        List<WebhookReceiver.Request> requests = receiver.requests();
        assertThat(requests)
                .extracting(r -> r.method() + " " + r.path() + (r.query() == null ? "" : "?" + r.query()))
                .containsExactly("POST /base/orders", "PUT /base/users?tenant=7", "POST /base/default");
        assertThat(requests).extracting(r -> ids(r)).containsExactly(List.of("o0"), List.of("u0"), List.of("p0"));
        WebhookReceiver.Request put = requests.get(1);
        assertThat(put.header("X-Tenant")).hasValue("7");
        assertThat(put.header("Authorization"))
                .as("a routed header replaces the endpoint's")
                .hasValue("Bearer routed");
        assertThat(put.headers().get("Authorization")).hasSize(1);
        assertThat(put.header("X-Endpoint")).hasValue("e");
        assertThat(put.header("Content-Type")).hasValue("application/json");
        assertThat(requests.get(2).header("X-Tenant"))
                .as("routing holds for its batch only")
                .isEmpty();
        assertThat(requests.get(2).header("Authorization")).hasValue("Bearer endpoint");
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "HEAD", "DELETE", "OPTIONS", "PATCH"})
    void everyMethod_carriesTheBatchAsItsBody(String method) throws Exception {
        Batch batch = routed(Map.of("method", method.toLowerCase()), "m");

        await(sink.deliver(batch));

        WebhookReceiver.Request request = receiver.requests().getFirst();
        assertThat(request.method()).isEqualTo(method);
        assertThat(request.path()).isEqualTo("/base/default");
        assertThat(request.body())
                .isEqualTo(
                        "{\"data\":[" + new String(batch.messages().getFirst().json(), StandardCharsets.UTF_8) + "]}");
    }

    @Test
    void emptyEndpointPath_isTheEndpointsUrl_andAFailureNamesTheRoutedUrl() throws Exception {
        receiver.respondNext(200, 503);

        await(sink.deliver(routed(Map.of("endpoint_path", ""), "e")));
        SinkException failure = failure(sink.deliver(routed(Map.of("endpoint_path", "/down?token=s3cret"), "d")));

        assertThat(receiver.requests().getFirst().path()).isEqualTo("/base");
        assertThat(failure.getMessage()).isEqualTo("HTTP 503 from " + receiver.url("/base/down") + "?token=***");
    }

    static Stream<Arguments> invalidRoutings() {
        Map<String, Object> nullMethod = new LinkedHashMap<>();
        nullMethod.put("method", null);
        return Stream.of(
                Arguments.of(
                        Map.of("method", "FETCH"),
                        "routing: method \"FETCH\" is not a method Sluice sends (one of GET, POST, PUT, PATCH, DELETE,"
                                + " HEAD, OPTIONS)"),
                Arguments.of(
                        nullMethod,
                        "routing: method null is not a method Sluice sends (one of GET, POST, PUT, PATCH, DELETE, HEAD,"
                                + " OPTIONS)"),
                Arguments.of(
                        Map.of("endpoint_path", "orders"), "routing: endpoint_path \"orders\" must start with '/'"),
                Arguments.of(
                        Map.of("endpoint_path", 7L), "routing: endpoint_path 7 must be a string, a path like /orders"),
                Arguments.of(
                        Map.of("endpoint_path", "/" + "p".repeat(2000)),
                        "routing: endpoint_path \"/" + "p".repeat(98) + "… is 2001 characters long; at most 2000"),
                Arguments.of(
                        Map.of("headers", Map.of("Host", "evil")),
                        "routing: headers: header 'Host' is set by the HTTP client and cannot be configured"),
                Arguments.of(
                        Map.of("headers", Map.of("X-Token", "s3cret\r\nEvil: 1")),
                        "routing: headers: header 'X-Token' has an invalid character in its value"),
                Arguments.of(
                        Map.of("headers", Map.of("X-Count", 3L)),
                        "routing: headers: header 'X-Count' has a value that is not a string"),
                Arguments.of(
                        Map.of("headers", "Bearer s3cret"),
                        "routing: headers must be an object of header names to string values, got a string"));
    }

    @ParameterizedTest
    @MethodSource("invalidRoutings")
    void invalidRoutedValue_failsTheBatchRetriablyNamingTheKey_andSendsNothing(
            Map<String, Object> routing, String message) throws Exception {
        SinkException failure = failure(sink.deliver(routed(routing, "x")));

        assertThat(failure.retriable()).isTrue();
        assertThat(failure.getMessage()).isEqualTo(message).doesNotContain("s3cret");
        // The sink goes on: the next batch is the first request.
        await(sink.deliver(TestMessages.batch("next", 1)));
        assertThat(receiver.requests()).extracting(r -> ids(r)).containsExactly(List.of("next0"));
    }

    @Test
    void invalidRoutedPath_thatMakesNoUrl_namesTheKey() {
        SinkException failure = failure(sink.deliver(routed(Map.of("endpoint_path", "/a b"), "x")));

        assertThat(failure.getMessage()).startsWith("routing: endpoint_path \"/a b\" makes no valid URL: ");
    }

    private static Batch routed(Map<String, Object> routing, String prefix) {
        SinkMessage m = TestMessages.insert(prefix + "0", "name", 0);
        return new Batch(List.of(m.with(m.json(), routing)));
    }

    private static List<String> ids(WebhookReceiver.Request r) {
        return r.messages().stream()
                .map(m -> m.get("record").get("id").asString())
                .toList();
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
        } catch (Exception e) {
            throw new AssertionError("delivery neither failed nor succeeded in time", e);
        }
        throw new AssertionError("expected the delivery to fail");
    }
}
