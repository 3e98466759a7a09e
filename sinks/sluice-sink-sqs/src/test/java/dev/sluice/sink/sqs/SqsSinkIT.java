package dev.sluice.sink.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/** Against ElasticMQ in this JVM: standard and FIFO queues created per test. */
class SqsSinkIT {
    /** Generous: these tests check what a check finds, not how fast, and CI machines can be busy. */
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);

    private static final AtomicInteger QUEUES = new AtomicInteger();

    // One server for the class (a restart test replaces it on the same port); each test makes its own queues.
    private static SQSRestServer server;
    private static int port;
    private static SqsAsyncClient admin;
    private final List<SqsSink> sinks = new ArrayList<>();

    @BeforeAll
    static void startServer() {
        server = SQSRestServerBuilder.withInterface("127.0.0.1")
                .withDynamicPort()
                .start();
        port = server.waitUntilStarted().localAddress().getPort();
        admin = SqsSink.client(
                new SqsConfig(
                        URI.create(endpoint() + "/000000000000/x"),
                        "us-east-1",
                        "x",
                        "y",
                        false,
                        URI.create(endpoint()),
                        Duration.ofSeconds(10)),
                Duration.ofSeconds(10));
    }

    @AfterAll
    static void stopServer() {
        admin.close();
        server.stopAndWait();
    }

    @AfterEach
    void closeSinks() {
        sinks.forEach(SqsSink::close);
    }

    @Test
    void deliver_standardQueue_sendsEachMessageJsonAsBody() {
        URI queue = createQueue(false);
        List<SinkMessage> messages = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            messages.add(TestMessages.insert("id" + i, "naïve – ünïcode " + i, 1000, i, null));
        }

        sink(queue, false).deliver(new Batch(messages)).toCompletableFuture().join();

        assertThat(receiveAll(queue, 25).stream().map(Message::body))
                .containsExactlyInAnyOrderElementsOf(
                        messages.stream().map(TestMessages::body).toList());
    }

    @Test
    void deliver_fifo_usesIdempotencyKeyAsDeduplicationIdHashedWhenTooLong() {
        URI queue = createQueue(true);
        SqsSink sink = sink(queue, true);
        String longKey = "k".repeat(200);
        SinkMessage plain = TestMessages.insert("1", "a", 1000, 0, null);
        SinkMessage hashed = TestMessages.insert("2", "b", 1000, 1, null, longKey);
        Batch batch = new Batch(List.of(plain, hashed));

        sink.deliver(batch).toCompletableFuture().join();
        sink.deliver(batch).toCompletableFuture().join(); // a redelivery: SQS drops it
        // A later message of the same group: FIFO, so once it is read, a copy queued before it would have been too.
        SinkMessage marker = TestMessages.insert("3", "marker", 1000, 2, null);
        sink.deliver(new Batch(List.of(marker))).toCompletableFuture().join();

        List<Message> received = receiveAll(queue, 3);
        assertThat(received).extracting(Message::body).last().isEqualTo(TestMessages.body(marker));
        received = received.subList(0, received.size() - 1);
        assertThat(received).hasSize(2);
        assertThat(received.get(0).attributes())
                .containsEntry(MessageSystemAttributeName.MESSAGE_DEDUPLICATION_ID, plain.idempotencyKey())
                .containsEntry(MessageSystemAttributeName.MESSAGE_GROUP_ID, "public.orders");
        assertThat(received.get(1).attributes().get(MessageSystemAttributeName.MESSAGE_DEDUPLICATION_ID))
                .isEqualTo(SqsSink.sqsId(longKey))
                .hasSize(64);
    }

    @Test
    void deliver_splitsCallsAtTenEntriesAnd256KiB() {
        URI queue = createQueue(false);
        List<List<Integer>> calls = new CopyOnWriteArrayList<>();
        ExecutionInterceptor recorder = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof SendMessageBatchRequest r) {
                    calls.add(r.entries().stream()
                            .map(SendMessageBatchRequestEntry::messageBody)
                            .map(String::length)
                            .toList());
                }
            }
        };
        SqsConfig config = config(queue, false);
        SqsSink sink = new SqsSink(config, SqsSink.client(config, config.requestTimeout(), List.of(recorder)));
        sinks.add(sink);
        List<SinkMessage> messages = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            messages.add(TestMessages.insert("id" + i, "n", 1000, i, null));
        }
        for (int i = 0; i < 5; i++) { // 5 x 100 KiB: at most 2 per call
            messages.add(TestMessages.sized("big" + i, 100 * 1024, 1001, i));
        }

        sink.deliver(new Batch(messages)).toCompletableFuture().join();

        assertThat(calls).extracting(List::size).containsExactly(10, 10, 5, 2, 1);
        assertThat(calls)
                .allSatisfy(
                        c -> assertThat(c.stream().mapToInt(Integer::intValue).sum())
                                .isLessThanOrEqualTo(SqsSink.MAX_CALL_BYTES));
        assertThat(receiveAll(queue, 28)).hasSize(28);
    }

    @Test
    void deliver_routedBatch_goesToTheRoutedQueue_andOthersToTheConfiguredOne() {
        URI configured = createQueue(false);
        URI second = createQueue(false);
        SqsSink sink = sink(configured, false);
        SinkMessage routed = TestMessages.insert("r1", "routed", 1000, 0, null);
        SinkMessage plain = TestMessages.insert("p1", "plain", 1000, 1, null);

        sink.deliver(routed(Map.of("queue_url", second.toString()), routed))
                .toCompletableFuture()
                .join();
        sink.deliver(new Batch(List.of(plain))).toCompletableFuture().join();

        assertThat(receiveAll(second, 1)).extracting(Message::body).containsExactly(TestMessages.body(routed));
        assertThat(receiveAll(configured, 1)).extracting(Message::body).containsExactly(TestMessages.body(plain));
    }

    @Test
    void deliver_fifo_routedToASecondFifoQueue_keepsGroupAndDeduplicationIds() {
        URI configured = createQueue(true);
        URI second = createQueue(true);
        SqsSink sink = sink(configured, true);
        SinkMessage m0 = TestMessages.insert("1", "a", 1000, 0, "row-1");
        SinkMessage m1 = TestMessages.insert("1", "b", 1000, 1, "row-1");

        sink.deliver(routed(Map.of("queue_url", second.toString()), m0, m1))
                .toCompletableFuture()
                .join();

        List<Message> received = receiveAll(second, 2);
        assertThat(received).extracting(Message::body).containsExactly(TestMessages.body(m0), TestMessages.body(m1));
        assertThat(received.getFirst().attributes())
                .containsEntry(MessageSystemAttributeName.MESSAGE_GROUP_ID, "row-1")
                .containsEntry(MessageSystemAttributeName.MESSAGE_DEDUPLICATION_ID, m0.idempotencyKey());
        assertThat(receiveAll(configured, 0)).isEmpty();
    }

    @Test
    void deliver_invalidRoutedQueueUrl_failsTheBatchRetriablyNamingTheKey() {
        URI configured = createQueue(true);
        URI standard = createQueue(false);
        SqsSink sink = sink(configured, true);
        SinkMessage m = TestMessages.insert("1", "a", 1000, 0, null);

        SinkException wrongType = failure(sink.deliver(routed(Map.of("queue_url", standard.toString()), m)));
        SinkException notAUrl = failure(sink.deliver(routed(Map.of("queue_url", "orders"), m)));

        assertThat(wrongType.retriable()).isTrue();
        assertThat(wrongType.getMessage())
                .isEqualTo("routing: queue_url \"" + standard + "\" is not a FIFO queue (its name does not end in"
                        + " .fifo), but the sink's queue is (is_fifo: true); route to FIFO queues");
        assertThat(notAUrl.getMessage())
                .isEqualTo("routing: queue_url \"orders\" must start with https:// or http://, got 'orders'");
        assertThat(receiveAll(standard, 0)).isEmpty();
    }

    @Test
    void check_reportsMissingQueue() {
        URI missing = URI.create(endpoint() + "/000000000000/nope");
        CheckResult result = new SqsProvider().check(config(missing, false), CHECK_TIMEOUT);

        assertThat(result.status()).isEqualTo(CheckResult.Status.NOT_FOUND);
        assertThat(result.detail()).startsWith("SQS queue " + missing + ": queue does not exist");
    }

    // ---- helpers ----

    private static String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    private SqsConfig config(URI queue, boolean fifo) {
        return new SqsConfig(
                queue, "us-east-1", "x", "secret-value", fifo, URI.create(endpoint()), Duration.ofSeconds(5));
    }

    private SqsSink sink(URI queue, boolean fifo) {
        SqsSink sink = new SqsSink(config(queue, fifo));
        sinks.add(sink);
        return sink;
    }

    private URI createQueue(boolean fifo) {
        return createQueue("q" + QUEUES.incrementAndGet() + (fifo ? ".fifo" : ""), fifo);
    }

    private URI createQueue(String name, boolean fifo) {
        Map<QueueAttributeName, String> attributes = fifo ? Map.of(QueueAttributeName.FIFO_QUEUE, "true") : Map.of();
        return URI.create(admin.createQueue(r -> r.queueName(name).attributes(attributes))
                .join()
                .queueUrl());
    }

    /** Receives (and deletes) until {@code expected} messages arrived or the queue stays empty. */
    private List<Message> receiveAll(URI queue, int expected) {
        List<Message> all = new ArrayList<>();
        int emptyPolls = 0;
        while (all.size() < expected || (expected == 0 && emptyPolls == 0)) {
            List<Message> got = admin.receiveMessage(r -> r.queueUrl(queue.toString())
                            .maxNumberOfMessages(10)
                            .waitTimeSeconds(1)
                            .messageSystemAttributeNames(MessageSystemAttributeName.ALL))
                    .join()
                    .messages();
            if (got.isEmpty() && ++emptyPolls >= 3) {
                break;
            }
            for (Message m : got) {
                all.add(m);
                admin.deleteMessage(r -> r.queueUrl(queue.toString()).receiptHandle(m.receiptHandle()))
                        .join();
            }
        }
        return all;
    }

    private static Batch routed(Map<String, Object> routing, SinkMessage... messages) {
        List<SinkMessage> out = new ArrayList<>();
        for (SinkMessage m : messages) {
            out.add(m.with(m.json(), routing));
        }
        return new Batch(out);
    }

    private static SinkException failure(java.util.concurrent.CompletionStage<Void> stage) {
        CompletionException e = catchThrowableOfType(
                CompletionException.class, () -> stage.toCompletableFuture().join());
        assertThat(e).isNotNull();
        assertThat(e.getCause()).isInstanceOf(SinkException.class);
        return (SinkException) e.getCause();
    }
}
