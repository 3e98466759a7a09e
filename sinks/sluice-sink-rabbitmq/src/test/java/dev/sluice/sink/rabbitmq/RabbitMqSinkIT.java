package dev.sluice.sink.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.Sink;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What is RabbitMQ's own: message properties and Sequin's routing key, routed exchange, key, headers and message id,
 * unroutable messages, a missing exchange, virtual-host permissions, nacks from a full queue, and the broker's own
 * message size limit.
 */
class RabbitMqSinkIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static RabbitBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = RabbitBroker.shared();
    }

    private static RabbitMqConfig config(String exchange) {
        return config(exchange, "/", RabbitMqConfig.DEFAULT_MAX_MESSAGE_BYTES);
    }

    private static RabbitMqConfig config(String exchange, String vhost, int maxMessageBytes) {
        return new RabbitMqConfig(
                "127.0.0.1",
                broker.port(),
                RabbitBroker.USER,
                RabbitBroker.PASSWORD,
                vhost,
                false,
                exchange,
                maxMessageBytes,
                TIMEOUT);
    }

    /** A durable topic exchange {@code name} and a queue of the same name bound by {@code #}, with the arguments. */
    private static void declare(String name, Map<String, Object> queueArguments) throws Exception {
        try (Connection c = broker.admin()) {
            Channel ch = c.createChannel();
            ch.exchangeDeclare(name, "topic", true);
            ch.queueDeclare(name, true, false, false, queueArguments);
            ch.queueBind(name, name, "#");
        }
    }

    private static List<GetResponse> drain(String queue) throws Exception {
        List<GetResponse> out = new ArrayList<>();
        try (Connection c = broker.admin()) {
            Channel ch = c.createChannel();
            GetResponse r;
            while ((r = ch.basicGet(queue, true)) != null) {
                out.add(r);
            }
        }
        return out;
    }

    @Test
    void messages_arePersistentJson_withTheIdempotencyKeyAsMessageId_andSequinsRoutingKey() throws Exception {
        declare("props", Map.of());
        SinkMessage m = TestMessages.insert("o-1", "Ada", 1000, 4, "o-1");
        try (RabbitMqSink sink = new RabbitMqSink(config("props"))) {
            Sink.Exchange trace = sink.deliverTraced(new Batch(List.of(m)))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            assertThat(trace.request())
                    .isEqualTo("basic.publish amqp://127.0.0.1:" + broker.port()
                            + " vhost '/' exchange 'props' routing_key 'sequin.shop.public.orders.insert'");
            assertThat(trace.response()).isEqualTo("basic.ack for 1 of 1");
        }
        List<GetResponse> got = drain("props");
        assertThat(got).hasSize(1);
        GetResponse r = got.getFirst();
        assertThat(r.getEnvelope().getExchange()).isEqualTo("props");
        assertThat(r.getEnvelope().getRoutingKey()).isEqualTo("sequin.shop.public.orders.insert");
        assertThat(r.getProps().getContentType()).isEqualTo("application/json");
        assertThat(r.getProps().getDeliveryMode()).isEqualTo(2);
        assertThat(r.getProps().getMessageId()).isEqualTo(m.idempotencyKey());
        assertThat(r.getProps().getHeaders()).isNull();
        assertThat(new String(r.getBody(), StandardCharsets.UTF_8)).isEqualTo(TestMessages.body(m));
    }

    @Test
    void transformedMessage_keepsSequinsRoutingKey_fromTheChangesOwnMetadata() throws Exception {
        declare("transformed", Map.of());
        SinkMessage m = TestMessages.insert("o-2", "Ada", 1000, 5, "o-2");
        SinkMessage transformed = m.with("{\"id\":\"o-2\"}".getBytes(StandardCharsets.UTF_8), null);
        try (RabbitMqSink sink = new RabbitMqSink(config("transformed"))) {
            sink.deliver(new Batch(List.of(transformed))).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        GetResponse r = drain("transformed").getFirst();
        assertThat(r.getEnvelope().getRoutingKey()).isEqualTo("sequin.shop.public.orders.insert");
        assertThat(new String(r.getBody(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"o-2\"}");
    }

    @Test
    void routedBatch_goesWhereItsRoutingSays_andOthersWhereTheSinkSays() throws Exception {
        declare("routing-a", Map.of());
        declare("routing-b", Map.of());
        SinkMessage plain = TestMessages.insert("p-1", "plain", 1000, 0, "p-1");
        SinkMessage routed = TestMessages.insert("r-1", "routed", 1000, 1, "r-1");
        Map<String, Object> toB = Map.of(
                "exchange", "routing-b",
                "routing_key", "orders.created",
                "headers", Map.of("tenant", "acme", "attempt", 2L),
                "message_id", "custom-id");
        try (RabbitMqSink sink = new RabbitMqSink(config("routing-a"))) {
            sink.deliver(new Batch(List.of(routed.with(routed.json(), toB))))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            sink.deliver(new Batch(List.of(plain))).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        GetResponse b = drain("routing-b").getFirst();
        assertThat(b.getEnvelope().getRoutingKey()).isEqualTo("orders.created");
        assertThat(b.getProps().getMessageId()).isEqualTo("custom-id");
        assertThat(b.getProps().getHeaders()).containsEntry("attempt", 2L);
        assertThat(String.valueOf(b.getProps().getHeaders().get("tenant"))).isEqualTo("acme");
        List<GetResponse> a = drain("routing-a");
        assertThat(a)
                .singleElement()
                .satisfies(r -> assertThat(r.getProps().getMessageId()).isEqualTo(plain.idempotencyKey()));
    }

    @Test
    void unroutableMessages_areDroppedByTheBroker_asInSequin_andCountAsDelivered() throws Exception {
        try (Connection c = broker.admin()) {
            c.createChannel().exchangeDeclare("unbound", "topic", true);
        }
        try (RabbitMqSink sink = new RabbitMqSink(config("unbound"))) {
            sink.deliver(TestMessages.batch("u", 3)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void missingExchange_isNotFound_andItsBatchIsLeftToRetry_whileTheSinkGoesOn() throws Exception {
        RabbitMqConfig c = config("no-such-exchange");
        CheckResult result = new RabbitMqProvider().check(c, TIMEOUT);
        assertThat(result.status()).as(result.detail()).isEqualTo(CheckResult.Status.NOT_FOUND);
        assertThat(result.detail()).contains("no-such-exchange").doesNotContain(RabbitBroker.PASSWORD);
        declare("after-missing", Map.of());
        try (RabbitMqSink sink = new RabbitMqSink(c)) {
            SinkException failure = failure(sink.deliver(TestMessages.batch("m", 2)));
            assertThat(failure.retriable()).isTrue();
            assertThat(failure.isPartial()).isFalse();
            assertThat(failure.getMessage()).contains("NOT_FOUND", "declare the exchange");
            assertThat(failure.getMessage()).doesNotContain(RabbitBroker.PASSWORD);
            Map<String, Object> elsewhere = Map.of("exchange", "after-missing");
            SinkMessage m = TestMessages.insert("x", "y", 0);
            sink.deliver(new Batch(List.of(m.with(m.json(), elsewhere))))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        }
        assertThat(drain("after-missing")).hasSize(1);
    }

    @Test
    void virtualHostWithoutPermission_orMissing_isUnauthorized() {
        for (String vhost : List.of(RabbitBroker.OTHER_VHOST, "no-such-vhost")) {
            CheckResult result =
                    new RabbitMqProvider().check(config("x", vhost, RabbitMqConfig.DEFAULT_MAX_MESSAGE_BYTES), TIMEOUT);
            assertThat(result.status()).as(result.detail()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
            assertThat(result.detail()).contains("virtual_host");
        }
    }

    @Test
    void nackedMessages_areLeftToRetry_withTheLaterOnesOfTheirGroups() throws Exception {
        declare("full", Map.of("x-max-length", 2, "x-overflow", "reject-publish"));
        List<SinkMessage> batch = List.of(
                TestMessages.sequenced("a", 0),
                TestMessages.sequenced("a", 1),
                TestMessages.sequenced("b", 0),
                TestMessages.sequenced("a", 2));
        try (RabbitMqSink sink = new RabbitMqSink(config("full"))) {
            SinkException failure = failure(sink.deliver(new Batch(batch)));
            assertThat(failure.isPartial()).isTrue();
            assertThat(failure.toRetry(0) || failure.toRetry(1)).isFalse();
            assertThat(failure.toRetry(2) && failure.toRetry(3)).isTrue();
            assertThat(failure.getMessage()).contains("nacked");
        }
        assertThat(drain("full"))
                .extracting(r -> r.getProps().getMessageId())
                .containsExactly(batch.get(0).idempotencyKey(), batch.get(1).idempotencyKey());
    }

    @Test
    void overTheBrokersOwnSizeLimit_theChannelCloses_andTheBatchRetriesQuotingTheBroker() throws Exception {
        declare("big", Map.of());
        int over = RabbitBroker.MAX_MESSAGE_SIZE + 1024;
        try (RabbitMqSink sink = new RabbitMqSink(config("big", "/", 4 * RabbitBroker.MAX_MESSAGE_SIZE))) {
            SinkException failure =
                    failure(sink.deliver(new Batch(List.of(TestMessages.sized("big-1", over, 1000, 0)))));
            assertThat(failure.retriable()).isTrue();
            assertThat(failure.getMessage()).contains("PRECONDITION_FAILED");
            sink.deliver(TestMessages.batch("after", 2)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        assertThat(drain("big")).hasSize(2);
    }

    @Test
    void brokerBlockingPublishers_failsTheBatchRetriablyAfterTheTimeout_sayingWhy() throws Exception {
        declare("alarm", Map.of());
        broker.ctl("set_vm_memory_high_watermark", "absolute", "1");
        try (RabbitMqSink sink = new RabbitMqSink(config("alarm"))) {
            SinkException failure = failure(sink.deliver(TestMessages.batch("blocked", 3)));
            assertThat(failure.retriable()).isTrue();
            assertThat(failure.getMessage()).contains("request_timeout_ms (3000 ms)", "blocks publishers");
        } finally {
            broker.ctl("set_vm_memory_high_watermark", "0.4");
        }
        try (RabbitMqSink sink = new RabbitMqSink(config("alarm"))) {
            sink.deliver(TestMessages.batch("unblocked", 2))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    private static SinkException failure(CompletionStage<Void> stage) {
        ExecutionException e = assertThrows(
                ExecutionException.class, () -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(SinkException.class);
        return (SinkException) e.getCause();
    }
}
