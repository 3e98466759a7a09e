package dev.sluice.sink.s2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import dev.sluice.testkit.fakes.FakeS2;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What is S2's own, against {@link FakeS2}: record bodies, append limits, throttling, invalid appends, routing, check. */
class S2SinkIT {
    private static final String BASIN = "sluice-sink-it";
    private static final String TOKEN = "s2-sink-it-token-1b7e";
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static FakeS2 s2;

    @BeforeAll
    static void start() {
        s2 = FakeS2.start();
        s2.createBasin(BASIN, false);
        s2.createBasin("other-basin", true);
        s2.addToken(TOKEN);
        s2.addToken("scoped-token-44", "other-basin");
    }

    @AfterAll
    static void stop() {
        s2.close();
    }

    private static S2Config config(String stream, String token) {
        return new S2Config(BASIN, stream, token, URI.create(s2.endpoint()), TIMEOUT);
    }

    private static S2Sink sink(String stream) {
        s2.createStream(BASIN, stream);
        return new S2Sink(config(stream, TOKEN));
    }

    private static List<String> bodies(String basin, String stream) {
        return s2.records(basin, stream).stream().map(FakeS2.Record::body).toList();
    }

    @Test
    void eachMessage_isOneRecord_whoseBodyIsTheMessageJson_withoutHeaders() throws Exception {
        Batch batch = TestMessages.batch("b", 3);
        try (S2Sink sink = sink("bodies")) {
            sink.deliver(batch).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        assertThat(bodies(BASIN, "bodies"))
                .containsExactlyElementsOf(
                        batch.messages().stream().map(TestMessages::body).toList());
        assertThat(s2.records(BASIN, "bodies"))
                .allSatisfy(r -> assertThat(r.headers()).isEmpty());
    }

    @Test
    void aBatchOverS2sLimits_goesInOrderedAppendsOfAtMost1000RecordsAnd1MiB() throws Exception {
        List<SinkMessage> many = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            many.add(TestMessages.sequenced("g", i));
        }
        List<SinkMessage> large = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            large.add(TestMessages.sized("big" + i, 300_000, 2000, i));
        }
        try (S2Sink sink = sink("split")) {
            int before = s2.appendRequests();
            sink.deliver(new Batch(many)).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertThat(s2.appendRequests() - before).isEqualTo(2);
            before = s2.appendRequests();
            sink.deliver(new Batch(large)).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertThat(s2.appendRequests() - before)
                    .as("3 records of 300 kB per MiB")
                    .isEqualTo(2);
        }
        List<String> got = bodies(BASIN, "split");
        assertThat(got).hasSize(1505);
        for (int i = 0; i < 1500; i++) {
            assertThat(TestMessages.seq(got.get(i))).isEqualTo(i);
        }
    }

    @Test
    void throttledOrUnavailable_isRetriable_andNothingIsAppendedTwice() throws Exception {
        try (S2Sink sink = sink("throttled")) {
            s2.failNextAppends(1, 429, "rate_limited");
            SinkException e = failure(sink.deliver(TestMessages.batch("t", 2)));
            assertThat(e.retriable() && !e.isPartial()).isTrue();
            assertThat(e.getMessage()).contains("HTTP 429 rate_limited").doesNotContain(TOKEN);
            s2.failNextAppends(1, 503, "unavailable");
            assertThat(failure(sink.deliver(TestMessages.batch("t", 2))).retriable())
                    .isTrue();
            sink.deliver(TestMessages.batch("t", 2)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        assertThat(bodies(BASIN, "throttled")).hasSize(2);
    }

    @Test
    void aFailedSecondAppend_leavesItsMessagesToRetry_andTheFirstAppendIsDelivered() throws Exception {
        List<SinkMessage> many = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            many.add(TestMessages.sequenced("g", i));
        }
        try (S2Sink sink = sink("second-fails")) {
            s2.passNextAppends(1);
            s2.failNextAppends(1, 500, "storage");
            SinkException e = failure(sink.deliver(new Batch(many)));
            assertThat(e.isPartial()).isTrue();
            assertThat(e.toRetry(999)).isFalse();
            assertThat(e.toRetry(1000) && e.toRetry(1199)).isTrue();
            assertThat(e.getMessage()).contains("HTTP 500 storage", "200 of 1200 messages to retry");
        }
        assertThat(bodies(BASIN, "second-fails")).hasSize(1000);
    }

    @Test
    void anInvalidAppend_isSentAgainRecordByRecord_soOnlyTheRecordAtFaultIsRejected() throws Exception {
        try (S2Sink sink = sink("invalid")) {
            s2.failNextAppends(1, 422, "invalid"); // the batch's append
            s2.failNextAppends(1, 422, "invalid"); // its first record alone
            SinkException e = failure(sink.deliver(TestMessages.batch("v", 3)));
            assertThat(e.isPartial()).isTrue();
            assertThat(e.rejected(0)).isTrue();
            assertThat(e.toRetry(1) || e.rejected(1) || e.toRetry(2) || e.rejected(2))
                    .isFalse();
            assertThat(e.getMessage()).contains("HTTP 422 invalid");
        }
        assertThat(bodies(BASIN, "invalid")).hasSize(2);
    }

    @Test
    void routing_appendsToTheRoutedBasinAndStream_andChecksThem() throws Exception {
        SinkMessage m = TestMessages.insert("r-1", "x", 0);
        try (S2Sink sink = sink("routing-default")) {
            sink.deliver(new Batch(List.of(m.with(m.json(), Map.of("basin", "other-basin", "stream", "logs/r")))))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            sink.deliver(new Batch(List.of(m.with(m.json(), Map.of("stream", "routing-default")))))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            assertThat(failure(sink.deliver(new Batch(List.of(m.with(m.json(), Map.of("basin", "Bad"))))))
                            .getMessage())
                    .startsWith("routing: basin \"Bad\" is 3 characters long");
        }
        assertThat(bodies("other-basin", "logs/r")).containsExactly(TestMessages.body(m));
        assertThat(bodies(BASIN, "routing-default")).containsExactly(TestMessages.body(m));
    }

    @Test
    void check_isOk_unauthorized_orNotFound_asS2Answers() {
        s2.createStream(BASIN, "checked");
        S2Provider provider = new S2Provider();
        assertThat(provider.check(config("checked", TOKEN), TIMEOUT)).isEqualTo(CheckResult.OK);
        CheckResult scoped = provider.check(config("checked", "scoped-token-44"), TIMEOUT);
        assertThat(scoped.status()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
        assertThat(scoped.detail()).contains("403 permission_denied").doesNotContain("scoped-token-44");
        CheckResult missing = provider.check(config("no-such-stream", TOKEN), TIMEOUT);
        assertThat(missing.status()).isEqualTo(CheckResult.Status.NOT_FOUND);
        assertThat(missing.detail()).contains("404 stream_not_found");
    }

    @Test
    void missingStream_failsTheBatchRetriably() {
        try (S2Sink sink = new S2Sink(config("never-made", TOKEN))) {
            SinkException e = failure(sink.deliver(TestMessages.batch("m", 1)));
            assertThat(e.retriable()).isTrue();
            assertThat(e.getMessage()).contains("404 stream_not_found");
        }
    }

    private static SinkException failure(CompletionStage<Void> stage) {
        ExecutionException e = assertThrows(
                ExecutionException.class, () -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(SinkException.class);
        return (SinkException) e.getCause();
    }
}
