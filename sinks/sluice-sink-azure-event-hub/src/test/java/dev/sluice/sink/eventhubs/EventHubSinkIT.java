package dev.sluice.sink.eventhubs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.ConfigValues;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import dev.sluice.testkit.fakes.FakeEventHubs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** What is specific to Event Hubs, against {@link FakeEventHubs}: events, partition keys, SAS, failures, routing. */
class EventHubSinkIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String KEY = "eventhubs-sink-it-secret-41c0";

    private final EventHubProvider provider = new EventHubProvider();
    private final List<EventHubSink> sinks = new ArrayList<>();
    private FakeEventHubs hubs;

    @BeforeEach
    void start() {
        hubs = FakeEventHubs.start()
                .addPolicy("manager", KEY, Set.of("Manage", "Send", "Listen"))
                .addPolicy("sender", KEY, Set.of("Send"))
                .createEventHub("orders", 4)
                .createEventHub("audit", 2);
    }

    @AfterEach
    void stop() {
        sinks.forEach(EventHubSink::close);
        hubs.close();
    }

    @Test
    void deliver_sendsSequinsBody_withUserProperties_andTheGroupAsPartitionKey() throws Exception {
        SinkMessage m = TestMessages.insert("o-1", "first", 1000, 0, "o-1");

        deliver(sink(Map.of()), new Batch(List.of(m)));

        FakeEventHubs.Event e = hubs.events("orders").getFirst();
        JsonNode body = JSON.readTree(e.body());
        assertThat(body.get("data")).isEqualTo(JSON.readTree(m.json()));
        assertThat(body.get("attributes").get("type").asString()).isEqualTo("event");
        assertThat(body.get("attributes").get("idempotency_key").asString()).isEqualTo(m.idempotencyKey());
        assertThat(e.partitionKey()).isEqualTo("o-1");
        assertThat(e.userProperties())
                .containsEntry("type", "event")
                .containsEntry("action", "insert")
                .containsEntry("table_schema", "public")
                .containsEntry("table_name", "orders")
                .containsEntry("idempotency_key", m.idempotencyKey());
    }

    @Test
    void deliver_sendsOneRequestPerGroup_eachGroupInOnePartitionInOrder() throws Exception {
        List<SinkMessage> messages = new ArrayList<>();
        for (int seq = 0; seq < 4; seq++) {
            for (String group : List.of("a", "b", "c")) {
                messages.add(TestMessages.sequenced(group, seq));
            }
        }
        messages.add(TestMessages.sequenced(null, 9));

        deliver(sink(Map.of()), new Batch(messages));

        assertThat(hubs.sendCalls())
                .hasSize(4)
                .allSatisfy(c -> assertThat(c.status()).isEqualTo(201));
        assertThat(hubs.sendCalls().stream().map(FakeEventHubs.SendCall::partitionKey))
                .containsExactlyInAnyOrder("a", "b", "c", null);
        Map<String, List<Long>> seqs = new HashMap<>();
        for (List<FakeEventHubs.Event> partition : hubs.partitions("orders")) {
            for (FakeEventHubs.Event e : partition) {
                String data = JSON.readTree(e.body()).get("data").toString();
                seqs.computeIfAbsent(TestMessages.group(data), k -> new ArrayList<>())
                        .add(TestMessages.seq(data));
            }
        }
        assertThat(seqs)
                .containsEntry("a", List.of(0L, 1L, 2L, 3L))
                .containsEntry("b", List.of(0L, 1L, 2L, 3L))
                .containsEntry("c", List.of(0L, 1L, 2L, 3L))
                .containsEntry("none", List.of(9L));
    }

    @Test
    void deliver_aFailedRequest_holdsBackTheGroupsLaterMessages() throws Exception {
        List<SinkMessage> messages = new ArrayList<>();
        for (int seq = 0; seq < 6; seq++) {
            messages.add(TestMessages.sequenced("a", seq));
        }
        int perRequest = 2;
        int bytes = Events.ENVELOPE_BYTES + perRequest * (Events.entry(messages.getFirst()).length + 1);
        hubs.failNextSends(1, 1, 503); // the first request goes, the second finds the service busy

        SinkException e = failure(sink(Map.of("max_batch_bytes", (long) bytes)), new Batch(messages));

        assertThat(e.isPartial()).isTrue();
        assertThat(e.getMessage()).contains("503");
        for (int i = 0; i < messages.size(); i++) {
            assertThat(e.toRetry(i)).as("message %d to retry", i).isEqualTo(i >= perRequest);
        }
        assertThat(hubs.events("orders")).hasSize(perRequest);
    }

    @Test
    void deliver_aRequestOverTheHubsLimit_isSentAgainOneByOne_andOnlyAnEventOverItAloneIsRejected() throws Exception {
        // The sink believes the Standard tier's 1 MiB; the hub is smaller (Basic's 256 KiB, here 8 KiB).
        hubs.maxBatchBytes(8 * 1024);
        List<SinkMessage> messages = List.of(
                TestMessages.sequenced("a", 0, new dev.sluice.core.Position(3000, 0), "x".repeat(3000)),
                TestMessages.sequenced("a", 1, new dev.sluice.core.Position(3001, 0), "x".repeat(3000)),
                TestMessages.sequenced("a", 2, new dev.sluice.core.Position(3002, 0), "x".repeat(9000)),
                TestMessages.sequenced("a", 3, new dev.sluice.core.Position(3003, 0), "x".repeat(3000)));

        SinkException e = failure(sink(Map.of()), new Batch(messages));

        assertThat(e.isPartial()).isTrue();
        assertThat(e.retriable()).isFalse();
        assertThat(e.rejected(2)).isTrue();
        assertThat(e.getMessage()).contains("413");
        for (int i : List.of(0, 1, 3)) {
            assertThat(e.rejected(i) || e.toRetry(i))
                    .as("message %d delivered", i)
                    .isFalse();
        }
        assertThat(hubs.events("orders").stream()
                        .map(ev -> TestMessages.seq(
                                JSON.readTree(ev.body()).get("data").toString())))
                .containsExactly(0L, 1L, 3L);
    }

    @Test
    void deliver_throttled_failsTheBatchRetriably_thenGoesThrough() throws Exception {
        EventHubSink sink = sink(Map.of());
        Batch batch = TestMessages.batch("t", 3);
        hubs.throttle(503);

        SinkException e = failure(sink, batch);
        assertThat(e.retriable()).isTrue();
        assertThat(e.isPartial()).isFalse();
        assertThat(e.getMessage()).contains("503: ServerBusy").contains("Event Hubs sluice-test/orders");

        hubs.throttle(0);
        deliver(sink, batch);
        assertThat(hubs.events("orders")).hasSize(3);
    }

    @Test
    void deliver_withASendOnlyPolicy_works_andAWrongKeyFailsRetriably() throws Exception {
        deliver(sink(Map.of("shared_access_key_name", "sender")), TestMessages.batch("s", 2));
        assertThat(hubs.events("orders")).hasSize(2);

        SinkException e = failure(sink(Map.of("shared_access_key", "wrong")), TestMessages.batch("w", 1));
        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage()).contains("401").contains("InvalidSignature").doesNotContain("wrong");
    }

    @Test
    void deliver_routedEventHub_sendsThere_andAnInvalidOneFailsRetriably() throws Exception {
        EventHubSink sink = sink(Map.of());
        SinkMessage m = TestMessages.insert("r-1", "routed", 0);

        deliver(sink, new Batch(List.of(m.with(m.json(), Map.of("event_hub_name", "audit")))));
        assertThat(hubs.events("audit")).hasSize(1);
        assertThat(hubs.events("orders")).isEmpty();

        SinkException e = failure(sink, new Batch(List.of(m.with(m.json(), Map.of("event_hub_name", "a b")))));
        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage()).startsWith("routing: event_hub_name \"a b\"");
    }

    @Test
    void deliver_toAMissingEventHub_failsRetriably_namingIt() throws Exception {
        SinkException e = failure(sink(Map.of("event_hub_name", "missing")), TestMessages.batch("n", 1));
        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage()).contains("404").contains("missing");
    }

    @Test
    void check_isOk_notFound_orUnauthorized_byTheServicesAnswer() throws Exception {
        assertThat(check(Map.of())).isEqualTo(CheckResult.OK);
        assertThat(check(Map.of("event_hub_name", "missing")).status()).isEqualTo(CheckResult.Status.NOT_FOUND);
        CheckResult wrongKey = check(Map.of("shared_access_key", "wrong-key-77"));
        assertThat(wrongKey.status()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
        assertThat(wrongKey.detail()).contains("InvalidSignature").doesNotContain("wrong-key-77");
        // Reading the description needs Manage: a Send-only policy is refused there.
        assertThat(check(Map.of("shared_access_key_name", "sender")).status())
                .isEqualTo(CheckResult.Status.UNAUTHORIZED);
    }

    // ---- helpers

    private ConfigValues values(Map<String, Object> overrides) {
        Map<String, Object> v = new HashMap<>();
        v.put("namespace", "sluice-test");
        v.put("event_hub_name", "orders");
        v.put("shared_access_key_name", "manager");
        v.put("shared_access_key", KEY);
        v.put("endpoint_url", hubs.url().toString());
        v.put("request_timeout_ms", 5000L);
        v.putAll(overrides);
        return ConfigValues.of(provider.schema(), v);
    }

    private EventHubSink sink(Map<String, Object> overrides) {
        EventHubSink sink =
                new EventHubSink(provider.configure(values(overrides)).orThrow());
        sinks.add(sink);
        return sink;
    }

    private CheckResult check(Map<String, Object> overrides) throws InterruptedException {
        return provider.check(provider.configure(values(overrides)).orThrow(), Duration.ofSeconds(3));
    }

    private static void deliver(EventHubSink sink, Batch batch) throws Exception {
        sink.deliver(batch).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static SinkException failure(EventHubSink sink, Batch batch) throws Exception {
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
