package dev.sluice.sink.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.core.sink.SinkException;
import dev.sluice.testkit.TestMessages;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The webhook sink's HTTP/1.1 transport against a server whose bytes the test writes: response framings, interim
 * responses, keep-alive reuse, connections the peer closed while idle, malformed responses, and the request exactly as
 * it goes on the wire.
 */
class WebhookTransportIT {
    private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    private RawHttpServer server;
    private WebhookSink sink;

    @AfterEach
    void stop() throws Exception {
        if (sink != null) {
            sink.close();
        }
        server.close();
    }

    private WebhookSink sink(String pathAndQuery, Map<String, String> headers) {
        sink = new WebhookSink(new WebhookConfig(server.url(pathAndQuery), headers, true, Duration.ofSeconds(5)));
        return sink;
    }

    private void deliver(int batches) throws Exception {
        for (int i = 0; i < batches; i++) {
            sink.deliver(TestMessages.batch("b" + i + "-", 2))
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        }
    }

    private SinkException failure() throws Exception {
        try {
            sink.deliver(TestMessages.batch("f", 1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return (SinkException) e.getCause();
        }
        throw new AssertionError("expected the delivery to fail");
    }

    @Test
    void routedHead_carriesTheBody_andItsResponseHasNoBodyWhateverContentLengthSays() throws Exception {
        // A HEAD response announces the length a GET would get, and sends nothing: then the next answer follows.
        server = RawHttpServer.start(
                n -> RawHttpServer.Answer.keepAlive(n == 0 ? "HTTP/1.1 200 OK\r\nContent-Length: 9999\r\n\r\n" : OK));
        sink("/in", Map.of());
        Map<String, Object> head = Map.of("method", "head", "endpoint_path", "/probe?x=1");
        var batch = TestMessages.batch("h", 1);
        var routed = new dev.sluice.core.sink.Batch(List.of(
                batch.messages().getFirst().with(batch.messages().getFirst().json(), head)));

        sink.deliver(routed).toCompletableFuture().get(10, TimeUnit.SECONDS);
        deliver(1);

        List<RawHttpServer.Received> received = server.received();
        assertThat(received.get(0).requestLine()).isEqualTo("HEAD /in/probe?x=1 HTTP/1.1");
        assertThat(received.get(0).body()).startsWith("{\"data\":[{");
        assertThat(received.get(0).headers("Content-Length"))
                .containsExactly("Content-Length: " + received.get(0).body().getBytes(StandardCharsets.UTF_8).length);
        assertThat(received.get(1).requestLine()).isEqualTo("POST /in HTTP/1.1");
        assertThat(server.connections()).as("the connection stayed in step").isEqualTo(1);
    }

    @Test
    void requestOnTheWire_hasHostLengthHeadersAndBodyExactly() throws Exception {
        server = RawHttpServer.start(n -> RawHttpServer.Answer.keepAlive(OK));
        sink("/in/hook?a=1&b=x%20y", Map.of("content-type", "application/vnd.test+json", "X-Key", "k"));

        deliver(1);

        RawHttpServer.Received request = server.received().get(0);
        assertThat(request.requestLine()).isEqualTo("POST /in/hook?a=1&b=x%20y HTTP/1.1");
        assertThat(request.headers("Host"))
                .containsExactly("Host: 127.0.0.1:" + server.url("/").getPort());
        // A configured header replaces the default of the same name (names ignore case): sent once.
        assertThat(request.headers("Content-Type")).containsExactly("content-type: application/vnd.test+json");
        assertThat(request.headers("X-Key")).containsExactly("X-Key: k");
        assertThat(request.headers("User-Agent")).containsExactly("User-Agent: sluice-webhook");
        assertThat(request.headers("Content-Length"))
                .containsExactly("Content-Length: " + request.body().getBytes(StandardCharsets.UTF_8).length);
        assertThat(request.body()).startsWith("{\"data\":[{").endsWith("}]}");
    }

    @Test
    void keepAlive_reusesOneConnection() throws Exception {
        server = RawHttpServer.start(n -> RawHttpServer.Answer.keepAlive(OK));
        sink("/hook", Map.of());

        deliver(5);

        assertThat(server.received()).hasSize(5);
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void chunkedResponses_areReadWholeAndTheConnectionReused() throws Exception {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
        server = RawHttpServer.start(n -> RawHttpServer.Answer.keepAlive(chunked));
        sink("/hook", Map.of());

        deliver(3);

        assertThat(server.received()).hasSize(3);
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void chunkedErrorBody_isShownInTheFailure() throws Exception {
        server = RawHttpServer.start(n -> RawHttpServer.Answer.keepAlive(
                "HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ntry \r\n5\r\nlater\r\n0\r\n\r\n"));
        sink("/hook", Map.of());

        SinkException failure = failure();

        assertThat(failure.retriable()).isTrue();
        assertThat(failure.getMessage()).isEqualTo("HTTP 503 from " + server.url("/hook") + ": try later");
    }

    @Test
    void bodyUntilTheConnectionCloses_isReadAndANewConnectionOpened() throws Exception {
        server = RawHttpServer.start(n -> RawHttpServer.Answer.thenClose("HTTP/1.0 200 OK\r\n\r\nall of it"));
        sink("/hook", Map.of());

        deliver(3);

        assertThat(server.received()).hasSize(3);
        assertThat(server.connections()).isEqualTo(3);
    }

    @Test
    void interimResponses_areSkipped() throws Exception {
        server = RawHttpServer.start(n -> RawHttpServer.Answer.keepAlive(
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" + OK));
        sink("/hook", Map.of());

        deliver(2);

        assertThat(server.received()).hasSize(2);
        assertThat(server.connections()).isEqualTo(1);
    }

    @Test
    void connectionClosedByThePeerWhileIdle_requestIsSentAgainOnANewOne() throws Exception {
        // Keep-alive is implied (HTTP/1.1, no "Connection: close"), yet the server closes after each response, as a
        // server whose idle timeout passed between two deliveries does.
        server = RawHttpServer.start(n -> RawHttpServer.Answer.thenClose(OK));
        sink("/hook", Map.of());

        deliver(4);

        assertThat(server.received()).hasSize(4);
        assertThat(server.connections()).isEqualTo(4);
    }

    @Test
    void connectionCloseHeader_isHonoured() throws Exception {
        server = RawHttpServer.start(n ->
                RawHttpServer.Answer.thenClose("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
        sink("/hook", Map.of());

        deliver(3);

        assertThat(server.received()).hasSize(3);
        assertThat(server.connections()).isEqualTo(3);
    }

    @Test
    void malformedResponse_failsRetriablyAndSaysWhat() throws Exception {
        server = RawHttpServer.start(n -> RawHttpServer.Answer.thenClose("SMTP ready\r\n\r\n"));
        sink("/hook", Map.of());

        SinkException failure = failure();

        assertThat(failure.retriable()).isTrue();
        assertThat(failure.getMessage())
                .isEqualTo("request to " + server.url("/hook") + " failed: malformed HTTP status line: SMTP ready");
    }

    @Test
    void responseCutInTheMiddleOfTheBody_failsAndTheNextDeliveryUsesANewConnection() throws Exception {
        server = RawHttpServer.start(n -> n == 0
                ? RawHttpServer.Answer.thenClose("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
                : RawHttpServer.Answer.keepAlive(OK));
        sink("/hook", Map.of());

        assertThat(failure().getMessage()).contains("connection closed in the middle of the response body");
        deliver(1);

        assertThat(server.connections()).isEqualTo(2);
    }

    @Test
    void hungPeer_holdsNoMorePlatformThreadsThanTheFewPooledOnes() throws Exception {
        // Accepts and reads every request, never answers.
        server = RawHttpServer.start(n -> RawHttpServer.Answer.keepAlive(""));
        sink = new WebhookSink(new WebhookConfig(server.url("/hook"), Map.of(), true, Duration.ofSeconds(30)));
        List<CompletableFuture<Void>> inFlight = new ArrayList<>();

        for (int i = 0; i < 20; i++) {
            inFlight.add(sink.deliver(TestMessages.batch("h" + i + "-", 1)).toCompletableFuture());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> server.received().size() == 20);

        // Thread.getAllStackTraces lists platform threads only: the requests beyond the pooled few wait on virtual
        // ones.
        long platformWorkers = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("webhook-sink-"))
                .count();
        assertThat(platformWorkers).isBetween(1L, 4L);
        assertThat(inFlight).noneMatch(CompletableFuture::isDone);
        sink.close();
        assertThat(inFlight).allMatch(CompletableFuture::isCompletedExceptionally);
    }
}
