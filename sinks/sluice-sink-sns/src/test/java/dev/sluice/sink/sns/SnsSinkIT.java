package dev.sluice.sink.sns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpServer;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.sns.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sns.model.PublishBatchRequest;
import software.amazon.awssdk.services.sns.model.PublishBatchRequestEntry;
import software.amazon.awssdk.services.sns.model.PublishBatchResponse;

/**
 * Against fauxqs in a child process, each test with its own topics. SNS's answers that fauxqs never gives (entries
 * failed in a successful call, throttling, auth errors) are made by an interceptor on the real calls, or by a local
 * HTTP server answering SNS's error XML.
 */
class SnsSinkIT {
    /** Generous: these tests check what a check finds, not how fast, and CI machines can be busy. */
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);

    private static final AtomicInteger TOPICS = new AtomicInteger();
    private static Fauxqs emulator;
    private final List<SnsSink> sinks = new ArrayList<>();

    @BeforeAll
    static void startEmulator() {
        emulator = Fauxqs.start();
    }

    @AfterAll
    static void stopEmulator() {
        if (emulator != null) {
            emulator.close();
        }
    }

    @AfterEach
    void closeSinks() {
        sinks.forEach(SnsSink::close);
    }

    @Test
    void deliver_standardTopic_publishesEachMessageJsonAsTheMessage() {
        String topic = createTopic(false);
        List<SinkMessage> messages = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            messages.add(TestMessages.insert("id" + i, "naïve – ünïcode " + i, 1000, i, null));
        }

        sink(topic).deliver(new Batch(messages)).toCompletableFuture().join();

        assertThat(emulator.received(topic))
                .extracting(Fauxqs.Received::body)
                .containsExactlyInAnyOrderElementsOf(
                        messages.stream().map(TestMessages::body).toList());
        assertThat(emulator.received(topic))
                .allSatisfy(r -> assertThat(r.groupId()).isNull());
    }

    @Test
    void deliver_fifo_setsGroupAndDeduplicationIds_andSnsDropsARedelivery() {
        String topic = createTopic(true);
        SnsSink sink = sink(topic);
        String longKey = "k".repeat(200);
        SinkMessage plain = TestMessages.insert("1", "a", 1000, 0, null);
        SinkMessage grouped = TestMessages.insert("2", "b", 1000, 1, "row-2", longKey);
        Batch batch = new Batch(List.of(plain, grouped));

        sink.deliver(batch).toCompletableFuture().join();
        sink.deliver(batch).toCompletableFuture().join(); // a redelivery: deduplicated

        assertThat(emulator.received(topic))
                .containsExactly(
                        new Fauxqs.Received(TestMessages.body(plain), "public.orders", plain.idempotencyKey()),
                        new Fauxqs.Received(TestMessages.body(grouped), "row-2", SnsSink.snsId(longKey)));
        assertThat(SnsSink.snsId(longKey)).hasSize(64);
    }

    @Test
    void deliver_splitsCallsAtTenEntriesAnd256KiB_andRejectsAnOversizedMessageAlone() {
        String topic = createTopic(false);
        FailEntries recorder = new FailEntries(topic, (call, id) -> null);
        SnsSink sink = sink(topic, recorder);
        List<SinkMessage> messages = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            messages.add(TestMessages.insert("id" + i, "n", 1000, i, null));
        }
        for (int i = 0; i < 5; i++) { // 5 x 100 KiB: at most 2 per call
            messages.add(TestMessages.sized("big" + i, 100 * 1024, 1001, i));
        }
        messages.add(TestMessages.sized("huge", SnsSink.MAX_CALL_BYTES + 1, 1002, 0));

        SinkException e = failure(sink.deliver(new Batch(messages)));

        assertThat(recorder.sent).extracting(List::size).containsExactly(10, 10, 5, 2, 1);
        assertThat(e.isPartial()).isTrue();
        assertThat(e.rejected(28)).isTrue();
        assertThat(e.getMessage()).contains("is 262145 bytes, over SNS's limit of 262144 bytes");
        assertThat(emulator.received(topic)).hasSize(28);
    }

    @Test
    void deliver_failedEntries_sendsAgainOnlyThoseNotAtFault_andRejectsSenderFaults() {
        String topic = createTopic(false);
        FailEntries failures = new FailEntries(topic, (call, id) -> switch (id) {
            case "1" -> call == 1 ? error(id, "InternalError", false) : null;
            case "2" -> error(id, "InvalidParameter", true);
            default -> null;
        });
        SnsSink sink = sink(topic, failures);
        List<SinkMessage> messages = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            messages.add(TestMessages.insert("id" + i, "n", 1000, i, null));
        }

        SinkException e = failure(sink.deliver(new Batch(messages)));

        assertThat(failures.sent).containsExactly(List.of("0", "1", "2", "3"), List.of("1"));
        assertThat(e.isPartial()).isTrue();
        assertThat(e.rejected(2)).isTrue();
        assertThat(List.of(0, 1, 3))
                .allSatisfy(i -> assertThat(e.toRetry(i) || e.rejected(i)).isFalse());
        assertThat(e.getMessage()).contains("InternalError").contains("0 of 4 messages to retry, 1 rejected");
        assertThat(emulator.received(topic))
                .extracting(Fauxqs.Received::body)
                .containsExactlyInAnyOrder(
                        TestMessages.body(messages.get(0)),
                        TestMessages.body(messages.get(1)),
                        TestMessages.body(messages.get(3)));
    }

    @Test
    void deliver_fifo_anEntryStillFailing_isLeftToRetry_withItsGroupsLaterMessages() {
        String topic = createTopic(true);
        FailEntries failures =
                new FailEntries(topic, (call, id) -> id.equals("1") ? error(id, "InternalError", false) : null);
        SnsSink sink = sink(topic, failures);
        List<SinkMessage> messages = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String group = i == 0 || i == 1 || i == 2 || i == 10 ? "g" : "h";
            messages.add(TestMessages.insert("id" + i, "n", 1000, i, group));
        }

        SinkException e = failure(sink.deliver(new Batch(messages)));

        assertThat(failures.sent)
                .containsExactly(
                        List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
                        List.of("1"),
                        List.of("1"),
                        List.of("11"));
        assertThat(e.retriable()).isTrue();
        assertThat(e.toRetry(1)).isTrue();
        assertThat(e.toRetry(10))
                .as("held back behind its group's failed message")
                .isTrue();
        assertThat(e.getMessage()).contains("2 of 12 messages to retry, 0 rejected");
        assertThat(emulator.received(topic))
                .hasSize(10)
                .noneMatch(r -> r.body().equals(TestMessages.body(messages.get(1))));
    }

    @Test
    void deliver_routedBatch_goesToTheRoutedTopic_andAnInvalidOneFailsRetriably() {
        String configured = createTopic(true);
        String second = createTopic(true);
        String standard = createTopic(false);
        SnsSink sink = sink(configured);
        SinkMessage routed = TestMessages.insert("r1", "routed", 1000, 0, "row-1");
        SinkMessage plain = TestMessages.insert("p1", "plain", 1000, 1, null);

        sink.deliver(routed(Map.of("topic_arn", Fauxqs.arn(second)), routed))
                .toCompletableFuture()
                .join();
        sink.deliver(new Batch(List.of(plain))).toCompletableFuture().join();
        SinkException wrongType = failure(sink.deliver(routed(Map.of("topic_arn", Fauxqs.arn(standard)), plain)));
        SinkException notAString = failure(sink.deliver(routed(Map.of("topic_arn", 42), plain)));

        assertThat(emulator.received(second))
                .containsExactly(new Fauxqs.Received(TestMessages.body(routed), "row-1", routed.idempotencyKey()));
        assertThat(emulator.received(configured))
                .extracting(Fauxqs.Received::body)
                .containsExactly(TestMessages.body(plain));
        assertThat(wrongType.retriable()).isTrue();
        assertThat(wrongType.getMessage())
                .isEqualTo("routing: topic_arn \"" + Fauxqs.arn(standard) + "\" is not a FIFO topic (its name does"
                        + " not end in .fifo), but the sink's topic is (is_fifo: true); route to FIFO topics");
        assertThat(notAString.getMessage()).startsWith("routing: topic_arn 42 must be a string");
        assertThat(emulator.received(standard)).isEmpty();
    }

    @Test
    void check_existingTopic_isOk_andAMissingOne_isNotFound() {
        String topic = createTopic(false);
        SnsProvider provider = new SnsProvider();

        assertThat(provider.check(config(Fauxqs.arn(topic)), CHECK_TIMEOUT)).isEqualTo(CheckResult.OK);
        CheckResult missing = provider.check(config(Fauxqs.arn("nope")), CHECK_TIMEOUT);
        assertThat(missing.status()).isEqualTo(CheckResult.Status.NOT_FOUND);
        assertThat(missing.detail()).startsWith("SNS topic " + Fauxqs.arn("nope") + ": topic does not exist");
    }

    @Test
    void check_unknownAccessKeyAndAuthorizationError_areUnauthorized() {
        String arn = Fauxqs.arn(createTopic(false));
        SnsConfig unknownKey = SnsConfig.of(
                arn, null, "AKIDUNKNOWN", "sns-secret-0b3c", null, emulator.endpoint(), Duration.ofSeconds(5));
        CheckResult result = new SnsProvider().check(unknownKey, CHECK_TIMEOUT);
        assertThat(result.status()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
        assertThat(result.detail())
                .contains("invalid credentials (InvalidClientTokenId (HTTP 403)")
                .doesNotContain("sns-secret-0b3c");
        SnsSink sink = new SnsSink(unknownKey);
        sinks.add(sink);
        SinkException e = failure(sink.deliver(TestMessages.batch("k", 2)));
        assertThat(e.retriable()).isTrue();
        assertThat(e.getMessage()).contains("InvalidClientTokenId").doesNotContain("sns-secret-0b3c");
        try (ErrorAnswers sns = new ErrorAnswers(403, "AuthorizationError", "not authorized to GetTopicAttributes")) {
            CheckResult denied = new SnsProvider().check(config(arn, sns.endpoint()), CHECK_TIMEOUT);
            assertThat(denied.status()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
            assertThat(denied.detail()).contains("access denied; the credentials need sns:GetTopicAttributes");
        }
    }

    @Test
    void deliver_throttled_failsTheWholeBatchRetriably() {
        try (ErrorAnswers sns = new ErrorAnswers(429, "Throttled", "Rate exceeded")) {
            SnsSink sink = new SnsSink(config(Fauxqs.arn("orders"), sns.endpoint()));
            sinks.add(sink);

            SinkException e = failure(sink.deliver(TestMessages.batch("t", 3)));

            assertThat(e.retriable()).isTrue();
            assertThat(e.isPartial()).isFalse();
            assertThat(e.getMessage())
                    .startsWith("SNS topic " + Fauxqs.arn("orders") + ": Throttled (HTTP 429): Rate exceeded");
        }
    }

    // ---- helpers ----

    private static SnsConfig config(String arn) {
        return config(arn, emulator.endpoint());
    }

    private static SnsConfig config(String arn, String endpoint) {
        return SnsConfig.of(arn, null, Fauxqs.ACCESS_KEY_ID, "sns-secret-0b3c", null, endpoint, Duration.ofSeconds(5));
    }

    private SnsSink sink(String topic, ExecutionInterceptor... interceptors) {
        SnsConfig config = config(Fauxqs.arn(topic));
        SnsSink sink = new SnsSink(config, SnsSink.client(config, config.requestTimeout(), List.of(interceptors)));
        sinks.add(sink);
        return sink;
    }

    private static String createTopic(boolean fifo) {
        String name = "t" + TOPICS.incrementAndGet() + (fifo ? ".fifo" : "");
        emulator.createTopic(name);
        return name;
    }

    private static BatchResultErrorEntry error(String id, String code, boolean senderFault) {
        return BatchResultErrorEntry.builder()
                .id(id)
                .code(code)
                .message(code + " of entry " + id)
                .senderFault(senderFault)
                .build();
    }

    private static Batch routed(Map<String, Object> routing, SinkMessage... messages) {
        List<SinkMessage> out = new ArrayList<>();
        for (SinkMessage m : messages) {
            out.add(m.with(m.json(), routing));
        }
        return new Batch(out);
    }

    private static SinkException failure(CompletionStage<Void> stage) {
        CompletionException e = catchThrowableOfType(
                CompletionException.class, () -> stage.toCompletableFuture().join());
        assertThat(e).isNotNull();
        assertThat(e.getCause()).isInstanceOf(SinkException.class);
        return (SinkException) e.getCause();
    }

    /**
     * Answers {@code PublishBatch} as SNS does when it fails some entries: those the rule fails (by call number, from
     * 1, and entry id) are left out of the request fauxqs gets and listed under {@code Failed} in the answer. A call
     * whose entries all fail goes to an unsubscribed topic of the same type instead, so nothing of it arrives. Records
     * the entry ids of each call as the sink sent it.
     */
    private static final class FailEntries implements ExecutionInterceptor {
        private static final ExecutionAttribute<List<BatchResultErrorEntry>> FAILED =
                new ExecutionAttribute<>("sns-test-failed-entries");
        private static final ExecutionAttribute<Boolean> ALL_FAILED = new ExecutionAttribute<>("sns-test-all-failed");

        final List<List<String>> sent = new CopyOnWriteArrayList<>();
        private final BiFunction<Integer, String, @Nullable BatchResultErrorEntry> rule;
        private final String voidTopicArn;
        private final AtomicInteger calls = new AtomicInteger();

        FailEntries(String topic, BiFunction<Integer, String, @Nullable BatchResultErrorEntry> rule) {
            this.rule = rule;
            this.voidTopicArn = emulator.admin()
                    .createTopic(
                            r -> r.name("void" + TOPICS.incrementAndGet() + (topic.endsWith(".fifo") ? ".fifo" : ""))
                                    .attributes(topic.endsWith(".fifo") ? Map.of("FifoTopic", "true") : Map.of()))
                    .join()
                    .topicArn();
        }

        @Override
        public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
            if (!(context.request() instanceof PublishBatchRequest request)) {
                return context.request();
            }
            int call = calls.incrementAndGet();
            List<String> ids = new ArrayList<>();
            List<BatchResultErrorEntry> failed = new ArrayList<>();
            List<PublishBatchRequestEntry> kept = new ArrayList<>();
            for (PublishBatchRequestEntry entry : request.publishBatchRequestEntries()) {
                ids.add(entry.id());
                BatchResultErrorEntry error = rule.apply(call, entry.id());
                if (error == null) {
                    kept.add(entry);
                } else {
                    failed.add(error);
                }
            }
            sent.add(ids);
            attributes.putAttribute(FAILED, failed);
            if (kept.isEmpty()) {
                attributes.putAttribute(ALL_FAILED, true);
                return request.toBuilder().topicArn(voidTopicArn).build();
            }
            return request.toBuilder().publishBatchRequestEntries(kept).build();
        }

        @Override
        public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
            if (!(context.response() instanceof PublishBatchResponse response)) {
                return context.response();
            }
            List<BatchResultErrorEntry> failed = new ArrayList<>(response.failed());
            failed.addAll(attributes.getAttribute(FAILED));
            PublishBatchResponse.Builder b = response.toBuilder().failed(failed);
            if (Boolean.TRUE.equals(attributes.getAttribute(ALL_FAILED))) {
                b.successful(List.of());
            }
            return b.build();
        }
    }

    /** An HTTP server on 127.0.0.1 answering every request with one SNS error, as SNS's query protocol writes it. */
    private static final class ErrorAnswers implements AutoCloseable {
        private final HttpServer server;

        ErrorAnswers(int status, String code, String message) {
            byte[] body = ("<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender"
                            + "</Type><Code>" + code + "</Code><Message>" + message + "</Message></Error>"
                            + "<RequestId>8d6f0d9e-0000-4000-8000-000000000000</RequestId></ErrorResponse>")
                    .getBytes(StandardCharsets.UTF_8);
            try {
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            server.createContext("/", exchange -> {
                exchange.getRequestBody().readAllBytes();
                exchange.getResponseHeaders().add("Content-Type", "text/xml");
                exchange.sendResponseHeaders(status, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
        }

        String endpoint() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
