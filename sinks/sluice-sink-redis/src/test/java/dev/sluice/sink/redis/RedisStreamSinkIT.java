package dev.sluice.sink.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.CheckResult;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.testkit.TestMessages;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.resps.StreamEntry;

/** What is Redis' own: the entry fields, the database selected, keys of another type, a missing password. */
class RedisStreamSinkIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static final RedisServer redis = new RedisServer();

    @BeforeAll
    static void start() throws Exception {
        redis.start();
    }

    @AfterAll
    static void stop() throws Exception {
        redis.close();
    }

    private static RedisStreamConfig config(String key, int database) {
        return new RedisStreamConfig(
                "127.0.0.1",
                redis.port(),
                key,
                database,
                false,
                RedisServer.USER,
                RedisServer.PASSWORD,
                RedisStreamConfig.DEFAULT_MAX_ENTRY_BYTES,
                TIMEOUT);
    }

    @Test
    void entries_holdSequinsFieldsAndTheIdempotencyKey_inTheConfiguredDatabase() throws Exception {
        SinkMessage m = TestMessages.insert("o-1", "Ada", 1000, 4, "o-1");
        try (RedisStreamSink sink = new RedisStreamSink(config("fields", 3))) {
            sink.deliver(new Batch(List.of(m))).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        try (Jedis j = redis.admin()) {
            assertThat(j.exists("fields")).as("nothing in database 0").isFalse();
            j.select(3);
            List<StreamEntry> entries = j.xrange("fields", "-", "+");
            assertThat(entries).hasSize(1);
            Map<String, String> f = entries.getFirst().getFields();
            assertThat(f.keySet())
                    .containsExactlyInAnyOrder("record", "changes", "action", "metadata", "idempotency_key");
            assertThat(f.get("action")).isEqualTo("insert");
            assertThat(f.get("changes")).isEqualTo("null");
            assertThat(f.get("record")).contains("\"id\":\"o-1\"", "\"name\":\"Ada\"");
            assertThat(f.get("idempotency_key")).isEqualTo(m.idempotencyKey());
            assertThat(f.get("metadata")).contains("\"idempotency_key\":\"" + m.idempotencyKey() + "\"");
        }
    }

    @Test
    void routedBatch_goesToTheRoutedStream_andOthersToTheConfiguredOne() throws Exception {
        SinkMessage plain = TestMessages.insert("p-1", "plain", 1000, 0, "p-1");
        SinkMessage routed = TestMessages.insert("r-1", "routed", 1000, 1, "r-1");
        SinkMessage routed2 = TestMessages.insert("r-2", "routed", 1000, 2, "r-2");
        Map<String, Object> toB = Map.of("stream_key", "routing-b");
        try (RedisStreamSink sink = new RedisStreamSink(config("routing-a", 0))) {
            sink.deliver(new Batch(List.of(routed.with(routed.json(), toB), routed2.with(routed2.json(), toB))))
                    .toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            sink.deliver(new Batch(List.of(plain))).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        try (Jedis j = redis.admin()) {
            assertThat(j.xrange("routing-b", "-", "+"))
                    .extracting(e -> e.getFields().get("idempotency_key"))
                    .containsExactly(routed.idempotencyKey(), routed2.idempotencyKey());
            assertThat(j.xrange("routing-a", "-", "+"))
                    .extracting(e -> e.getFields().get("idempotency_key"))
                    .containsExactly(plain.idempotencyKey());
        }
    }

    @Test
    void invalidRoutedStreamKey_failsTheBatchRetriablyNamingTheKey() throws Exception {
        SinkMessage m = TestMessages.insert("i-1", "x", 1000, 0, "i-1");
        Map<String, Object> tooLong = Map.of("stream_key", "k".repeat(256));
        Map<String, Object> notAString = Map.of("stream_key", 7L);
        try (RedisStreamSink sink = new RedisStreamSink(config("routing-invalid", 0))) {
            SinkException failure = failure(sink.deliver(new Batch(List.of(m.with(m.json(), tooLong)))));
            assertThat(failure.retriable()).isTrue();
            assertThat(failure.getMessage())
                    .startsWith("routing: stream_key \"kkk")
                    .endsWith("… is 256 characters long; at most 255");
            assertThat(failure(sink.deliver(new Batch(List.of(m.with(m.json(), notAString)))))
                            .getMessage())
                    .isEqualTo("routing: stream_key 7 must be a string, the key of a stream");
        }
        try (Jedis j = redis.admin()) {
            assertThat(j.exists("routing-invalid")).isFalse();
        }
    }

    @Test
    void keyOfAnotherType_failsTheCheck_andTheBatchIsLeftToRetry() throws Exception {
        try (Jedis j = redis.admin()) {
            j.set("not-a-stream", "x");
        }
        RedisStreamConfig c = config("not-a-stream", 0);
        CheckResult result = new RedisStreamProvider().check(c, TIMEOUT);
        assertThat(result.status()).isEqualTo(CheckResult.Status.FAILED);
        assertThat(result.detail()).contains("holds a string, not a stream");
        try (RedisStreamSink sink = new RedisStreamSink(c)) {
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                    ExecutionException.class,
                    () -> sink.deliver(TestMessages.batch("w", 2))
                            .toCompletableFuture()
                            .get(30, TimeUnit.SECONDS));
            SinkException failure = (SinkException) e.getCause();
            assertThat(failure.retriable()).isTrue();
            assertThat(failure.toRetry(0) && failure.toRetry(1)).isTrue();
            assertThat(failure.getMessage()).contains("WRONGTYPE").doesNotContain(RedisServer.PASSWORD);
        }
    }

    @Test
    void noPassword_againstAServerThatRequiresOne_isUnauthorized() {
        RedisStreamConfig c = new RedisStreamConfig("127.0.0.1", redis.port(), "s", 0, false, null, null);
        CheckResult result = new RedisStreamProvider().check(c, TIMEOUT);
        assertThat(result.status()).as(result.detail()).isEqualTo(CheckResult.Status.UNAUTHORIZED);
        assertThat(result.detail()).contains("NOAUTH");
    }

    @Test
    void databaseOutOfRange_failsTheCheck() {
        CheckResult result = new RedisStreamProvider().check(config("s", 99), TIMEOUT);
        assertThat(result.status()).as(result.detail()).isEqualTo(CheckResult.Status.FAILED);
    }

    private static SinkException failure(java.util.concurrent.CompletionStage<Void> stage) {
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
                ExecutionException.class, () -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(SinkException.class);
        return (SinkException) e.getCause();
    }
}
