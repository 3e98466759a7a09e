package dev.sluice.sink.pubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import dev.sluice.testkit.fakes.FakePubSub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What is specific to Pub/Sub, against {@link FakePubSub}: requests, attributes, auth, held-back groups, routing. */
class PubSubSinkIT {
    private static final String PROJECT = "sluice-sink-it";
    private static final TestAccount ACCOUNT = TestAccount.create("sink-it");

    private final PubSubProvider provider = new PubSubProvider();
    private final List<PubSubSink> sinks = new ArrayList<>();
    private FakePubSub pubsub;

    @BeforeEach
    void start() {
        pubsub = FakePubSub.start();
        ACCOUNT.registerWith(pubsub);
        pubsub.createTopic(PROJECT, "orders").createTopic(PROJECT, "audit");
    }

    @AfterEach
    void stop() {
        sinks.forEach(PubSubSink::close);
        pubsub.close();
    }

    @Test
    void deliver_publishesTheJsonWithSequinsAttributes_andTheGroupAsOrderingKey() throws Exception {
        SinkMessage m = TestMessages.insert("o-1", "first", 1000, 0, "o-1");

        deliver(sink(Map.of()), new Batch(List.of(m)));

        FakePubSub.Published p = pubsub.published(PROJECT, "orders").getFirst();
        assertThat(p.data()).isEqualTo(m.json());
        assertThat(p.orderingKey()).isEqualTo("o-1");
        assertThat(p.attributes())
                .containsEntry("type", "event")
                .containsEntry("action", "insert")
                .containsEntry("table_schema", "public")
                .containsEntry("table_name", "orders")
                .containsEntry("idempotency_key", m.idempotencyKey());
    }

    @Test
    void deliver_sendsOneRequestPerOrderingKey_eachInOrder() throws Exception {
        List<SinkMessage> messages = new ArrayList<>();
        for (int seq = 0; seq < 4; seq++) {
            for (String group : List.of("a", "b", "c")) {
                messages.add(TestMessages.sequenced(group, seq));
            }
        }
        messages.add(TestMessages.sequenced(null, 9));

        deliver(sink(Map.of()), new Batch(messages));

        assertThat(pubsub.publishCalls()).hasSize(4).allSatisfy(call -> {
            assertThat(call.orderingKeys()).hasSize(1);
            assertThat(call.status()).isEqualTo(200);
        });
        Map<String, List<Long>> seqs = new HashMap<>();
        for (FakePubSub.Published p : pubsub.published(PROJECT, "orders")) {
            seqs.computeIfAbsent(p.orderingKey(), k -> new ArrayList<>()).add(TestMessages.seq(p.text()));
        }
        assertThat(seqs)
                .containsEntry("a", List.of(0L, 1L, 2L, 3L))
                .containsEntry("b", List.of(0L, 1L, 2L, 3L))
                .containsEntry("c", List.of(0L, 1L, 2L, 3L))
                .containsEntry("", List.of(9L));
    }

    @Test
    void deliver_aFailedRequest_holdsBackTheGroupsLaterMessages() throws Exception {
        List<SinkMessage> messages = new ArrayList<>();
        for (int seq = 0; seq < 1003; seq++) {
            messages.add(TestMessages.sequenced("a", seq));
        }
        pubsub.failNextPublishes(1, 1, 503); // the first 1000 go, the last 3 find the service unavailable

        SinkException e = failure(sink(Map.of()), new Batch(messages));

        assertThat(e.isPartial()).isTrue();
        assertThat(e.getMessage()).contains("503 UNAVAILABLE");
        for (int i = 0; i < messages.size(); i++) {
            assertThat(e.toRetry(i)).as("message %d to retry", i).isEqualTo(i >= 1000);
            assertThat(e.rejected(i)).isFalse();
        }
        assertThat(pubsub.published(PROJECT, "orders")).hasSize(1000);
    }

    @Test
    void deliver_aRequestRefusedAsInvalid_isSentAgainOneByOne_andOnlyTheRefusedMessageIsRejected() throws Exception {
        List<SinkMessage> messages = List.of(
                TestMessages.sequenced("a", 0, new dev.sluice.core.Position(2000, 0), ""),
                TestMessages.sequenced("a", 1, new dev.sluice.core.Position(2001, 0), "not-in-schema"),
                TestMessages.sequenced("a", 2, new dev.sluice.core.Position(2002, 0), ""));
        pubsub.refuseData(data -> data.contains("not-in-schema"));

        SinkException e = failure(sink(Map.of()), new Batch(messages));

        assertThat(e.isPartial()).isTrue();
        assertThat(e.retriable()).isFalse();
        assertThat(e.rejected(1)).isTrue();
        assertThat(e.rejected(0) || e.rejected(2) || e.toRetry(0) || e.toRetry(1) || e.toRetry(2))
                .isFalse();
        assertThat(e.getMessage()).contains("400 INVALID_ARGUMENT").contains("schema validation");
        assertThat(pubsub.published(PROJECT, "orders").stream().map(p -> TestMessages.seq(p.text())))
                .containsExactly(0L, 2L);
    }

    @Test
    void deliver_throttled_failsTheBatchRetriably_thenGoesThrough() throws Exception {
        PubSubSink sink = sink(Map.of());
        Batch batch = TestMessages.batch("t", 3);
        pubsub.throttle(429);

        SinkException e = failure(sink, batch);
        assertThat(e.retriable()).isTrue();
        assertThat(e.isPartial()).isFalse();
        assertThat(e.getMessage())
                .contains("429 RESOURCE_EXHAUSTED")
                .contains("projects/" + PROJECT + "/topics/orders");

        pubsub.throttle(0);
        deliver(sink, batch);
        assertThat(pubsub.published(PROJECT, "orders")).hasSize(3);
    }

    @Test
    void deliver_keepsItsToken_andAsksForANewOneWhenRefused() throws Exception {
        PubSubSink sink = sink(Map.of());
        deliver(sink, oneGroup("k", 2, 4000));
        deliver(sink, oneGroup("l", 2, 4010));
        assertThat(pubsub.tokenRequests()).isEqualTo(1);

        pubsub.expireTokens();
        Batch refused = oneGroup("m", 2, 4020);
        SinkException e = failure(sink, refused);
        assertThat(e.retriable()).isTrue();
        assertThat(e.isPartial()).isFalse();
        assertThat(e.getMessage()).contains("401 UNAUTHENTICATED");

        deliver(sink, refused);
        assertThat(pubsub.tokenRequests()).isEqualTo(2);
        assertThat(pubsub.published(PROJECT, "orders")).hasSize(6);
    }

    @Test
    void deliver_onTheEmulator_sendsNoToken() throws Exception {
        pubsub.requireAuth(false);
        Map<String, Object> emulator = new HashMap<>();
        emulator.put("use_emulator", true);
        emulator.put("emulator_base_url", pubsub.url().toString());
        emulator.put("credentials", null);

        deliver(sink(emulator), TestMessages.batch("e", 2));

        assertThat(pubsub.published(PROJECT, "orders")).hasSize(2);
        assertThat(pubsub.tokenRequests()).isZero();
    }

    @Test
    void deliver_routedTopic_publishesThere_andAnInvalidOneFailsRetriably() throws Exception {
        PubSubSink sink = sink(Map.of());
        SinkMessage m = TestMessages.insert("r-1", "routed", 0);

        deliver(sink, new Batch(List.of(m.with(m.json(), Map.of("topic_id", "audit")))));
        assertThat(pubsub.published(PROJECT, "audit")).hasSize(1);
        assertThat(pubsub.published(PROJECT, "orders")).isEmpty();

        SinkException e = failure(sink, new Batch(List.of(m.with(m.json(), Map.of("topic_id", "x")))));
        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage()).startsWith("routing: topic_id \"x\"");
    }

    @Test
    void deliver_toAMissingTopic_failsRetriably_namingIt() throws Exception {
        SinkException e = failure(sink(Map.of("topic_id", "missing")), TestMessages.batch("n", 1));
        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage()).contains("404 NOT_FOUND").contains("topics/missing");
    }

    @Test
    void check_isOk_notFound_orUnauthorized_byTheServicesAnswer() throws Exception {
        assertThat(check(Map.of())).isEqualTo(CheckResult.OK);
        assertThat(check(Map.of("topic_id", "missing")).status()).isEqualTo(CheckResult.Status.NOT_FOUND);

        TestAccount unknown = TestAccount.create("unknown");
        CheckResult refused = check(Map.of("credentials", unknown.keyFile(pubsub.tokenUri())));
        assertThat(refused.status()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
        assertThat(refused.detail()).contains("invalid_grant").doesNotContain("PRIVATE");

        TestAccount viewerless = TestAccount.create("viewerless").registerWith(pubsub);
        pubsub.deny(viewerless.email());
        CheckResult denied = check(Map.of("credentials", viewerless.keyFile(pubsub.tokenUri())));
        assertThat(denied.status()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
        assertThat(denied.detail()).contains("403 PERMISSION_DENIED");
    }

    @Test
    void deliver_afterClose_failsRetriably() {
        PubSubSink sink = sink(Map.of());
        sink.close();
        assertThatThrownBy(() -> deliver(sink, TestMessages.batch("c", 1)))
                .hasCauseInstanceOf(SinkException.class)
                .hasMessageContaining("sink is closed");
    }

    // ---- helpers

    private ConfigValues values(Map<String, Object> overrides) {
        Map<String, Object> v = new HashMap<>();
        v.put("project_id", PROJECT);
        v.put("topic_id", "orders");
        v.put("credentials", ACCOUNT.keyFile(pubsub.tokenUri()));
        v.put("endpoint_url", pubsub.url().toString());
        v.put("request_timeout_ms", 5000L);
        v.putAll(overrides);
        v.values().removeIf(java.util.Objects::isNull);
        return ConfigValues.of(provider.schema(), v);
    }

    private PubSubSink sink(Map<String, Object> overrides) {
        PubSubSink sink = new PubSubSink(provider.configure(values(overrides)).orThrow());
        sinks.add(sink);
        return sink;
    }

    private CheckResult check(Map<String, Object> overrides) throws InterruptedException {
        return provider.check(provider.configure(values(overrides)).orThrow(), Duration.ofSeconds(3));
    }

    /** {@code n} messages of one group, so that they go in one request. */
    private static Batch oneGroup(String group, int n, long lsn) {
        List<SinkMessage> messages = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            messages.add(TestMessages.insert(group + "-" + i, "row", lsn + i, 0, group));
        }
        return new Batch(messages);
    }

    private static void deliver(PubSubSink sink, Batch batch) throws Exception {
        sink.deliver(batch).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static SinkException failure(PubSubSink sink, Batch batch) throws Exception {
        try {
            deliver(sink, batch);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SinkException s) {
                return s;
            }
            throw e;
        }
        throw new AssertionError("the delivery succeeded");
    }
}
