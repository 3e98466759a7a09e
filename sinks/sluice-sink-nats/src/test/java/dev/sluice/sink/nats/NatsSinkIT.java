package dev.sluice.sink.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkContext;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What is NATS' own, against a real nats-server ({@link NatsServer}): the subject and headers at the peer, plain
 * subjects (no stream) confirmed by PING/PONG, JetStream de-duplication by {@code Nats-Msg-Id}, routing, nkey
 * authentication, a user's publish permissions, a stream's own size limit.
 */
class NatsSinkIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static final NatsServer nats = new NatsServer();

    @BeforeAll
    static void start() throws Exception {
        nats.start();
    }

    @AfterAll
    static void stop() throws Exception {
        nats.close();
    }

    private static NatsConfig config(String user, String password) {
        return new NatsConfig("127.0.0.1", nats.port(), user, password, null, null, false, TIMEOUT);
    }

    private static NatsSink started(NatsConfig config) {
        NatsSink sink = new NatsSink(config);
        sink.start(new SinkContext("nats-it", "nats-it"));
        return sink;
    }

    private static void deliver(NatsSink sink, SinkMessage... messages) throws Exception {
        sink.deliver(new Batch(List.of(messages))).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void plainSubject_getsSequinsDefaultSubject_theJson_andNatsMsgId() throws Exception {
        SinkMessage m1 = TestMessages.insert("o-1", "Ada", 1000, 0, "o-1");
        SinkMessage m2 = TestMessages.insert("o-2", "Bob", 1000, 1, "o-2");
        try (Connection c = nats.client();
                NatsSink sink = started(config(NatsServer.USER, NatsServer.PASSWORD))) {
            Subscription sub = c.subscribe("sequin.>");
            c.flush(TIMEOUT);
            deliver(sink, m1, m2);
            List<Message> got = next(sub, 2);
            assertThat(got).extracting(Message::getSubject).containsOnly("sequin.shop.public.orders.insert");
            assertThat(got)
                    .extracting(g -> g.getHeaders().getFirst("Nats-Msg-Id"))
                    .containsExactly(m1.idempotencyKey(), m2.idempotencyKey());
            assertThat(new String(got.getFirst().getData(), StandardCharsets.UTF_8))
                    .isEqualTo(TestMessages.body(m1));
        }
    }

    @Test
    void streamSubject_dropsARedeliveredCopy_byNatsMsgId() throws Exception {
        try (Connection c = nats.client();
                NatsSink sink = started(config(NatsServer.USER, NatsServer.PASSWORD))) {
            JetStreamManagement jsm = c.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder()
                    .name("DEDUPE")
                    .subjects("dedupe.>")
                    .storageType(StorageType.Memory)
                    .build());
            Map<String, Object> route = Map.of("subject", "dedupe.orders");
            Batch batch = new Batch(List.of(
                    routed(TestMessages.insert("d-1", "x", 1000, 0, "d-1"), route),
                    routed(TestMessages.insert("d-2", "x", 1000, 1, "d-2"), route)));
            sink.deliver(batch).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertThat(sink.deliverTraced(batch).toCompletableFuture().get(30, TimeUnit.SECONDS))
                    .as("a redelivery")
                    .isEqualTo(new Sink.Exchange("PUB dedupe.orders (2 messages)", "PubAck"));
            assertThat(jsm.getStreamInfo("DEDUPE").getStreamState().getMsgCount())
                    .isEqualTo(2);
        }
    }

    @Test
    void routedSubjectAndHeaders_areUsed_andNatsMsgIdStays() throws Exception {
        SinkMessage m = TestMessages.insert("r-1", "routed", 1000, 0, "r-1");
        Map<String, Object> route =
                Map.of("subject", "routed.orders", "headers", Map.of("X-Tenant", "acme", "X-Tags", List.of("a", "b")));
        try (Connection c = nats.client();
                NatsSink sink = started(config(NatsServer.USER, NatsServer.PASSWORD))) {
            Subscription sub = c.subscribe("routed.>");
            c.flush(TIMEOUT);
            Sink.Exchange exchange = sink.deliverTraced(new Batch(List.of(routed(m, route))))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            assertThat(exchange).isEqualTo(new Sink.Exchange("PUB routed.orders (1 message)", "PONG"));
            Message got = next(sub, 1).getFirst();
            assertThat(got.getSubject()).isEqualTo("routed.orders");
            assertThat(got.getHeaders().getFirst("X-Tenant")).isEqualTo("acme");
            assertThat(got.getHeaders().get("X-Tags")).containsExactly("a", "b");
            assertThat(got.getHeaders().getFirst("Nats-Msg-Id")).isEqualTo(m.idempotencyKey());
        }
    }

    @Test
    void invalidRouting_failsTheBatchRetriably_namingTheKey_neverAHeaderValue() {
        SinkMessage m = TestMessages.insert("i-1", "x", 1000, 0, "i-1");
        try (NatsSink sink = new NatsSink(config(NatsServer.USER, NatsServer.PASSWORD))) {
            SinkException wildcard = failure(sink.deliver(new Batch(List.of(routed(m, Map.of("subject", "a.*"))))));
            assertThat(wildcard.retriable()).isTrue();
            assertThat(wildcard.getMessage())
                    .isEqualTo("routing: subject \"a.*\" must contain only letters, digits, dots, hyphens and"
                            + " underscores");
            SinkException header = failure(sink.deliver(new Batch(
                    List.of(routed(m, Map.of("headers", Map.of("X-Key", "secret-v\r\nX: y")))))));
            assertThat(header.getMessage())
                    .startsWith("routing: headers null must give header 'X-Key' values without CR or LF")
                    .doesNotContain("secret-v");
        }
    }

    @Test
    void nkeyUser_connectsWithItsSeedAlone() throws Exception {
        NatsConfig c = new NatsConfig("127.0.0.1", nats.port(), null, null, null, nats.nkeySeed(), false, TIMEOUT);
        assertThat(new NatsProvider().check(c, TIMEOUT)).isEqualTo(CheckResult.OK);
        try (Connection client = nats.client();
                NatsSink sink = started(c)) {
            Subscription sub = client.subscribe("sequin.>");
            client.flush(TIMEOUT);
            deliver(sink, TestMessages.insert("n-1", "nkey", 1000, 0, "n-1"));
            assertThat(next(sub, 1)).hasSize(1);
        }
    }

    @Test
    void badPassword_isUnauthorized_andStartingFailsRetriablyWithoutTheSecret() {
        NatsConfig bad = config(NatsServer.USER, "wrong-password-77");
        CheckResult result = new NatsProvider().check(bad, TIMEOUT);
        assertThat(result.status()).as(result.detail()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
        assertThat(result.detail())
                .contains("authentication refused", "Authorization Violation")
                .doesNotContain("wrong-password-77");
        try (NatsSink sink = new NatsSink(bad)) {
            SinkException e = Assertions.assertThrows(
                    SinkException.class, () -> sink.start(new SinkContext("nats-it", "nats-it")));
            assertThat(e.retriable()).isTrue();
            assertThat(e.getMessage()).contains("authentication refused").doesNotContain("wrong-password-77");
        }
    }

    @Test
    void subjectTheUserMayNotPublishTo_failsItsMessagesToRetry_namingIt() throws Exception {
        SinkMessage denied = TestMessages.insert("p-1", "x", 1000, 0, "p-1");
        SinkMessage allowed = TestMessages.insert("p-2", "x", 1000, 1, "p-2");
        try (Connection c = nats.client();
                NatsSink sink = started(config(NatsServer.LIMITED_USER, NatsServer.LIMITED_PASSWORD))) {
            Subscription sub = c.subscribe("allowed.>");
            c.flush(TIMEOUT);
            SinkException e = failure(sink.deliver(new Batch(List.of(
                    routed(denied, Map.of("subject", "denied.orders")),
                    routed(allowed, Map.of("subject", "denied.orders"))))));
            assertThat(e.retriable()).isTrue();
            assertThat(e.getMessage()).contains("refused to take subject 'denied.orders'");
            deliver(sink, routed(allowed, Map.of("subject", "allowed.orders")));
            assertThat(next(sub, 1)).extracting(Message::getSubject).containsExactly("allowed.orders");
        }
    }

    @Test
    void userWhoMayNotUseJetStreamsApi_publishesPlainly() throws Exception {
        try (Connection c = nats.client();
                NatsSink sink = started(config("nojs", NatsServer.NO_JETSTREAM_PASSWORD))) {
            Subscription sub = c.subscribe("allowed.>");
            c.flush(TIMEOUT);
            long start = System.nanoTime();
            deliver(sink, routed(TestMessages.insert("j-1", "x", 1000, 0, "j-1"), Map.of("subject", "allowed.nojs")));
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .as("no wait for a JetStream answer that cannot come")
                    .isLessThan(TIMEOUT);
            assertThat(next(sub, 1)).extracting(Message::getSubject).containsExactly("allowed.nojs");
        }
    }

    @Test
    void messageOverTheStreamsOwnLimit_isRejected_whileTheOthersGo() throws Exception {
        try (Connection c = nats.client();
                NatsSink sink = started(config(NatsServer.USER, NatsServer.PASSWORD))) {
            JetStreamManagement jsm = c.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder()
                    .name("SMALL")
                    .subjects("small.>")
                    .maximumMessageSize(2000)
                    .storageType(StorageType.Memory)
                    .build());
            Map<String, Object> route = Map.of("subject", "small.orders");
            SinkException e = failure(sink.deliver(new Batch(List.of(
                    routed(TestMessages.insert("s-1", "x", 1000, 0, "s-1"), route),
                    routed(TestMessages.sized("s-2", 5000, 1000, 1), route),
                    routed(TestMessages.insert("s-3", "x", 1000, 2, "s-3"), route)))));
            assertThat(e.rejected(1)).isTrue();
            assertThat(e.toRetry(0) || e.toRetry(2)).isFalse();
            assertThat(e.getMessage()).contains("refused by the stream", "10054");
            assertThat(jsm.getStreamInfo("SMALL").getStreamState().getMsgCount())
                    .isEqualTo(2);
        }
    }

    @Test
    void failedMessageOfAGroup_holdsBackItsLaterOnes_unpublished_whileOtherGroupsGo() throws Exception {
        try (Connection c = nats.client();
                NatsSink sink = started(config(NatsServer.USER, NatsServer.PASSWORD))) {
            JetStreamManagement jsm = c.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder()
                    .name("FULL")
                    .subjects("full.>")
                    .maxMessages(1)
                    .discardPolicy(DiscardPolicy.New) // a second message is refused: retriable (the stream may drain)
                    .storageType(StorageType.Memory)
                    .build());
            Subscription seen = c.subscribe("full.>"); // sees what is published, stored or not
            c.flush(TIMEOUT);
            Map<String, Object> route = Map.of("subject", "full.orders");
            SinkException e = failure(sink.deliver(new Batch(List.of(
                    routed(TestMessages.insert("h", "x", 1000, 0, "h"), route),
                    routed(TestMessages.insert("g", "first", 1000, 1, "g"), route),
                    routed(TestMessages.insert("g", "second", 1000, 2, "g"), route)))));
            assertThat(e.toRetry(0)).as("h was stored").isFalse();
            assertThat(e.toRetry(1) && e.toRetry(2))
                    .as("g's both left to retry")
                    .isTrue();
            assertThat(e.getMessage()).contains("no PubAck", "10077");
            List<Message> published = next(seen, 2);
            assertThat(seen.nextMessage(Duration.ofMillis(300)))
                    .as("g's second message was not published after its first failed")
                    .isNull();
            assertThat(published)
                    .extracting(m -> new String(m.getData(), StandardCharsets.UTF_8))
                    .noneMatch(json -> json.contains("second"));
        }
    }

    @Test
    void transformedMessage_goesToItsDefaultSubject_withTheTransformedPayload() throws Exception {
        SinkMessage m = TestMessages.insert("t-1", "x", 1000, 0, "t-1");
        SinkMessage transformed = m.with("{\"id\":\"t-1\"}".getBytes(StandardCharsets.UTF_8), null);
        try (Connection c = nats.client();
                NatsSink sink = started(config(NatsServer.USER, NatsServer.PASSWORD))) {
            Subscription sub = c.subscribe("sequin.>");
            c.flush(TIMEOUT);
            deliver(sink, transformed);
            Message got = next(sub, 1).getFirst();
            assertThat(got.getSubject()).isEqualTo("sequin.shop.public.orders.insert");
            assertThat(new String(got.getData(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"t-1\"}");
        }
    }

    @Test
    void messageWithoutADatabaseName_waitsForARoutedSubject() {
        SinkMessage m = TestMessages.insert("t-1", "x", 1000, 0, "t-1");
        SinkMessage bare = new SinkMessage(
                m.position(),
                m.table(),
                m.action(),
                m.committedAt(),
                "{\"id\":\"t-1\"}".getBytes(StandardCharsets.UTF_8),
                m.groupId(),
                m.idempotencyKey());
        try (NatsSink sink = started(config(NatsServer.USER, NatsServer.PASSWORD))) {
            SinkException e = failure(sink.deliver(new Batch(List.of(bare))));
            assertThat(e.retriable()).isTrue();
            assertThat(e.getMessage()).contains("no default subject", "routing function");
        }
    }

    private static SinkMessage routed(SinkMessage m, Map<String, Object> routing) {
        return m.with(m.json(), routing);
    }

    private static List<Message> next(Subscription sub, int n) throws InterruptedException {
        List<Message> got = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Message m = sub.nextMessage(Duration.ofMillis(100));
            if (m != null) {
                got.add(m);
            }
            return got.size() >= n;
        });
        return got;
    }

    private static SinkException failure(CompletionStage<Void> stage) {
        ExecutionException e = Assertions.assertThrows(
                ExecutionException.class, () -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(SinkException.class);
        return (SinkException) e.getCause();
    }
}
