package dev.sluice.sink.kinesis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;
import software.amazon.awssdk.services.kinesis.model.Record;

/** Against the kinesis-local emulator in a child process; each test makes its own stream. */
class KinesisSinkIT {
    /** Generous: these tests check what a check finds, not how fast, and CI machines can be busy. */
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);

    private static final AtomicInteger STREAMS = new AtomicInteger();
    private static KinesisLocal emulator;
    private final List<KinesisSink> sinks = new ArrayList<>();

    @BeforeAll
    static void startEmulator() {
        emulator = KinesisLocal.start();
    }

    @AfterAll
    static void stopEmulator() {
        if (emulator != null) {
            emulator.close();
        }
    }

    @AfterEach
    void closeSinks() {
        sinks.forEach(KinesisSink::close);
    }

    @Test
    void deliver_usesTableAsKeyWithoutGroupAndHashesKeysOver256Bytes() {
        String arn = createStream(1);
        String longKey = "k".repeat(257);
        String wideKey = "é".repeat(128); // 256 UTF-8 bytes: kept
        List<SinkMessage> messages = List.of(
                TestMessages.insert("1", "a", 1000, 0, null),
                TestMessages.insert("2", "b", 1000, 1, longKey),
                TestMessages.insert("3", "c", 1000, 2, wideKey));

        sink(arn).deliver(new Batch(messages)).toCompletableFuture().join();

        Map<String, List<String>> received = flatten(readAll(arn));
        assertThat(received.keySet())
                .containsExactlyInAnyOrder("public.orders", KinesisSink.partitionKey(longKey), wideKey);
        assertThat(KinesisSink.partitionKey(longKey)).hasSize(64).matches("[0-9a-f]+");
        assertThat(received.get(KinesisSink.partitionKey(longKey))).containsExactly(TestMessages.body(messages.get(1)));
    }

    @Test
    void deliver_splitsCallsAt500RecordsAnd5MiB() {
        String arn = createStream(1);
        List<Integer> calls = new CopyOnWriteArrayList<>();
        ExecutionInterceptor recorder = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof PutRecordsRequest r) {
                    calls.add(r.records().size());
                }
            }
        };
        KinesisConfig config = config(arn);
        KinesisSink sink =
                new KinesisSink(config, KinesisSink.client(config, config.requestTimeout(), List.of(recorder)));
        sinks.add(sink);
        List<SinkMessage> messages = new ArrayList<>();
        for (int i = 0; i < 1100; i++) {
            messages.add(TestMessages.insert("id" + i, "n", 1000, i, "g" + (i % 7)));
        }
        for (int i = 0; i < 6; i++) { // 6 x 900 KiB: 5 per call
            messages.add(TestMessages.sized("big" + i, 900 * 1024, 1001, i));
        }

        sink.deliver(new Batch(messages)).toCompletableFuture().join();

        // Reading 5 MiB back from the emulator takes long; the other tests check what arrives.
        assertThat(calls).containsExactly(500, 500, 100 + 5, 1);
    }

    @Test
    void deliver_failedRecord_isPutAgainWithTheLaterRecordsOfItsKey() {
        String arn = createStream(1);
        // The first attempt drops b1 from the request and reports it as throttled.
        RecordFaults faults = new RecordFaults(e -> e.data().asUtf8String().contains("\"b1\""), 1);
        KinesisSink sink = faultySink(arn, faults);
        List<SinkMessage> messages = List.of(
                TestMessages.insert("a0", "x", 1000, 0, "a"),
                TestMessages.insert("b0", "x", 1000, 1, "b"),
                TestMessages.insert("b1", "x", 1000, 2, "b"),
                TestMessages.insert("a1", "x", 1000, 3, "a"),
                TestMessages.insert("b2", "x", 1000, 4, "b"));

        sink.deliver(new Batch(messages)).toCompletableFuture().join();

        Map<String, List<String>> received = flatten(readAll(arn));
        List<String> b = List.of(
                TestMessages.body(messages.get(1)),
                TestMessages.body(messages.get(2)),
                TestMessages.body(messages.get(4)));
        // b2 went through on the first attempt and again after b1: b's last writes are in order.
        assertThat(received.get("b")).containsExactly(b.get(0), b.get(2), b.get(1), b.get(2));
        assertThat(lastOccurrences(received.get("b"))).isEqualTo(b);
        assertThat(received.get("a"))
                .containsExactly(TestMessages.body(messages.get(0)), TestMessages.body(messages.get(3)));
    }

    @Test
    void deliver_recordFailingEveryAttempt_isLeftToRetryWithItsKeysLaterRecords() {
        String arn = createStream(1);
        RecordFaults faults = new RecordFaults(e -> e.partitionKey().equals("b"), Integer.MAX_VALUE);
        KinesisSink sink = faultySink(arn, faults);
        List<SinkMessage> messages = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            messages.add(TestMessages.insert("m" + i, "x", 1000, i, i % 2 == 0 ? "a" : "b"));
        }

        SinkException e = failure(sink.deliver(new Batch(messages)));

        assertThat(e.isPartial()).isTrue();
        assertThat(e.retriable()).isTrue();
        for (int i = 0; i < 6; i++) {
            assertThat(e.toRetry(i)).as("message %d to retry", i).isEqualTo(i % 2 == 1);
        }
        assertThat(e.getMessage())
                .contains("ProvisionedThroughputExceededException")
                .contains("3 of 6");
        assertThat(flatten(readAll(arn))).containsOnlyKeys("a", RecordFaults.FILLER);
    }

    @Test
    void deliver_routedBatch_goesToTheRoutedStream_andOthersToTheConfiguredOne() {
        String configured = createStream(1);
        String second = createStream(1);
        KinesisSink sink = sink(configured);
        SinkMessage r0 = TestMessages.insert("r0", "x", 1000, 0, "r");
        SinkMessage r1 = TestMessages.insert("r1", "x", 1000, 1, "r");
        SinkMessage plain = TestMessages.insert("p0", "x", 1000, 2, "p");
        Map<String, Object> toSecond = Map.of("stream_arn", second);

        sink.deliver(new Batch(List.of(r0.with(r0.json(), toSecond), r1.with(r1.json(), toSecond))))
                .toCompletableFuture()
                .join();
        sink.deliver(new Batch(List.of(plain))).toCompletableFuture().join();

        assertThat(flatten(readAll(second)))
                .containsExactly(Map.entry("r", List.of(TestMessages.body(r0), TestMessages.body(r1))));
        assertThat(flatten(readAll(configured))).containsExactly(Map.entry("p", List.of(TestMessages.body(plain))));
    }

    @Test
    void deliver_invalidRoutedStreamArn_failsTheBatchRetriablyNamingTheKey() {
        String configured = createStream(1);
        KinesisSink sink = sink(configured);
        SinkMessage m = TestMessages.insert("m0", "x", 1000, 0, "m");
        String otherRegion = "arn:aws:kinesis:eu-west-1:000000000000:stream/elsewhere";

        SinkException notAnArn =
                failure(sink.deliver(new Batch(List.of(m.with(m.json(), Map.of("stream_arn", "s2"))))));
        SinkException region =
                failure(sink.deliver(new Batch(List.of(m.with(m.json(), Map.of("stream_arn", otherRegion))))));

        assertThat(notAnArn.retriable()).isTrue();
        assertThat(notAnArn.getMessage())
                .isEqualTo("routing: stream_arn \"s2\" 's2' is not a Kinesis stream ARN; use the form"
                        + " arn:aws:kinesis:<region>:<12-digit account>:stream/<name>");
        assertThat(region.getMessage())
                .isEqualTo("routing: stream_arn \"" + otherRegion + "\" is in region 'eu-west-1', but the sink signs"
                        + " its requests for region 'us-east-1'; route to streams of that region");
        assertThat(readAll(configured)).isEmpty();
    }

    @Test
    void check_reportsMissingStream() {
        String arn = arn("nope");
        CheckResult result = new KinesisProvider().check(config(arn), CHECK_TIMEOUT);

        assertThat(result.status()).isEqualTo(CheckResult.Status.NOT_FOUND);
        assertThat(result.detail()).startsWith("Kinesis stream " + arn + ": stream does not exist");
    }

    // ---- helpers ----

    private static String arn(String name) {
        return KinesisLocal.arn(name);
    }

    private static KinesisConfig config(String arn) {
        return new KinesisConfig(
                arn, "us-east-1", "x", "secret-value", URI.create(emulator.endpoint()), Duration.ofSeconds(10));
    }

    private KinesisSink sink(String arn) {
        KinesisSink sink = new KinesisSink(config(arn));
        sinks.add(sink);
        return sink;
    }

    private KinesisSink faultySink(String arn, RecordFaults faults) {
        KinesisConfig config = config(arn);
        KinesisSink sink =
                new KinesisSink(config, KinesisSink.client(config, config.requestTimeout(), List.of(faults)));
        sinks.add(sink);
        return sink;
    }

    private static String createStream(int shards) {
        return createStream("s" + STREAMS.incrementAndGet(), shards);
    }

    private static String createStream(String name, int shards) {
        return emulator.createStream(name, shards);
    }

    /** Every record of every shard: shard id to partition key to data, in shard order. */
    private static Map<String, Map<String, List<String>>> readAll(String arn) {
        Map<String, Map<String, List<String>>> out = new LinkedHashMap<>();
        emulator.records(arn).forEach((shard, records) -> {
            Map<String, List<String>> keys = new LinkedHashMap<>();
            for (Record record : records) {
                keys.computeIfAbsent(record.partitionKey(), k -> new ArrayList<>())
                        .add(record.data().asString(StandardCharsets.UTF_8));
            }
            if (!keys.isEmpty()) {
                out.put(shard, keys);
            }
        });
        return out;
    }

    private static Map<String, List<String>> flatten(Map<String, Map<String, List<String>>> byShard) {
        Map<String, List<String>> all = new LinkedHashMap<>();
        byShard.values().forEach(all::putAll);
        return all;
    }

    /** The list with each element at its last occurrence only: what a consumer keeping the latest write sees. */
    private static List<String> lastOccurrences(List<String> list) {
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        for (String s : list) {
            seen.remove(s);
            seen.add(s);
        }
        return List.copyOf(seen);
    }

    private static SinkException failure(CompletionStage<Void> stage) {
        CompletionException e = catchThrowableOfType(
                CompletionException.class, () -> stage.toCompletableFuture().join());
        assertThat(e).isNotNull();
        assertThat(e.getCause()).isInstanceOf(SinkException.class);
        return (SinkException) e.getCause();
    }

    /**
     * Makes Kinesis fail chosen records, as throttling does: removes them from the request before it is sent and
     * reports them as failed in the response, in the first {@code failingAttempts} calls.
     */
    private static final class RecordFaults implements ExecutionInterceptor {
        static final String FILLER = "filler";
        private static final ExecutionAttribute<List<Integer>> DROPPED = new ExecutionAttribute<>("dropped");
        private static final ExecutionAttribute<Boolean> FILLED = new ExecutionAttribute<>("filled");
        private final Predicate<PutRecordsRequestEntry> fails;
        private final AtomicInteger attemptsLeft;

        RecordFaults(Predicate<PutRecordsRequestEntry> fails, int failingAttempts) {
            this.fails = fails;
            this.attemptsLeft = new AtomicInteger(failingAttempts);
        }

        @Override
        public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
            if (!(context.request() instanceof PutRecordsRequest r) || attemptsLeft.getAndDecrement() <= 0) {
                return context.request();
            }
            List<Integer> dropped = new ArrayList<>();
            List<PutRecordsRequestEntry> kept = new ArrayList<>();
            for (int i = 0; i < r.records().size(); i++) {
                if (fails.test(r.records().get(i))) {
                    dropped.add(i);
                } else {
                    kept.add(r.records().get(i));
                }
            }
            if (kept.isEmpty()) { // Kinesis takes no empty call: put a filler record, left out of the response
                kept.add(PutRecordsRequestEntry.builder()
                        .partitionKey(FILLER)
                        .data(SdkBytes.fromUtf8String("filler"))
                        .build());
                attributes.putAttribute(FILLED, true);
            }
            attributes.putAttribute(DROPPED, dropped);
            return r.toBuilder().records(kept).build();
        }

        @Override
        public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
            List<Integer> dropped = attributes.getAttribute(DROPPED);
            if (!(context.response() instanceof PutRecordsResponse r) || dropped == null || dropped.isEmpty()) {
                return context.response();
            }
            List<PutRecordsResultEntry> results = new ArrayList<>(r.records());
            if (Boolean.TRUE.equals(attributes.getAttribute(FILLED))) {
                results.removeLast();
            }
            for (int i : dropped) {
                results.add(
                        i,
                        PutRecordsResultEntry.builder()
                                .errorCode("ProvisionedThroughputExceededException")
                                .errorMessage("Rate exceeded for shard")
                                .build());
            }
            return r.toBuilder()
                    .records(results)
                    .failedRecordCount(dropped.size())
                    .build();
        }
    }
}
