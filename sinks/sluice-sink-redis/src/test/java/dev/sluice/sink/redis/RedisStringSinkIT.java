package dev.sluice.sink.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.core.Action;
import dev.sluice.core.sink.Batch;
import dev.sluice.core.sink.SinkException;
import dev.sluice.core.sink.SinkMessage;
import dev.sluice.sink.redis.RedisStringConfig.Mode;
import dev.sluice.testkit.TestMessages;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

/** What is Redis String's own: keys, values, expiry, deletes, routing, per-command failures, rejections. */
class RedisStringSinkIT {
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

    private static RedisStringConfig config(int database, Duration expire, String user, String password) {
        return new RedisStringConfig(
                "127.0.0.1",
                redis.port(),
                database,
                false,
                user,
                password,
                expire,
                Mode.STATIC,
                RedisStringConfig.DEFAULT_MAX_VALUE_BYTES,
                TIMEOUT);
    }

    private static RedisStringConfig config(int database, Duration expire) {
        return config(database, expire, RedisServer.USER, RedisServer.PASSWORD);
    }

    private static SinkMessage delete(SinkMessage m) {
        return new SinkMessage(
                m.position(), m.table(), Action.DELETE, m.committedAt(), m.json(), m.groupId(), m.idempotencyKey());
    }

    private static SinkMessage ofAction(SinkMessage m, Action action) {
        return new SinkMessage(
                m.position(), m.table(), action, m.committedAt(), m.json(), m.groupId(), m.idempotencyKey());
    }

    private static void deliver(RedisStringSink sink, SinkMessage... messages) throws Exception {
        sink.deliver(new Batch(List.of(messages))).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void insertUpdateDelete_setAndDeleteSequinsKey_withTheMessageAsValue_inTheConfiguredDatabase() throws Exception {
        SinkMessage first = TestMessages.insert("o-1", "Ada", 1000, 0, "o-1");
        SinkMessage second = TestMessages.insert("o-1", "Grace", 1001, 0, "o-1");
        SinkMessage other = TestMessages.insert("o-2", "Kay", 1001, 1, "o-2");
        try (RedisStringSink sink = new RedisStringSink(config(3, null))) {
            deliver(sink, first, ofAction(second, Action.UPDATE), other);
            try (Jedis j = redis.admin()) {
                assertThat(j.exists("sequin:orders:o-1"))
                        .as("nothing in database 0")
                        .isFalse();
                j.select(3);
                assertThat(j.get("sequin:orders:o-1")).isEqualTo(TestMessages.body(second));
                assertThat(j.get("sequin:orders:o-2")).isEqualTo(TestMessages.body(other));
                assertThat(j.pttl("sequin:orders:o-1")).as("no expiry").isEqualTo(-1L);
            }
            deliver(sink, delete(other));
            try (Jedis j = redis.admin()) {
                j.select(3);
                assertThat(j.exists("sequin:orders:o-2")).isFalse();
                assertThat(j.exists("sequin:orders:o-1")).isTrue();
            }
        }
    }

    @Test
    void expireMs_setsEachKeysTimeToLive() throws Exception {
        try (RedisStringSink sink = new RedisStringSink(config(4, Duration.ofMinutes(10)))) {
            deliver(sink, TestMessages.insert("e-1", "x", 0));
        }
        try (Jedis j = redis.admin()) {
            j.select(4);
            assertThat(j.pttl("sequin:orders:e-1")).isBetween(1L, 600_000L);
        }
    }

    @Test
    void routing_setsKeyActionAndExpiry_andAJsonStringIsStoredAsItsText() throws Exception {
        SinkMessage m = TestMessages.insert("r-1", "x", 0);
        SinkMessage text = m.with("\"plain text\"".getBytes(StandardCharsets.UTF_8), Map.of("key", "app:r-1"));
        Map<String, Object> numericKeyWithExpiry = Map.of("key", 42L, "expire_ms", 5_000L);
        try (RedisStringSink sink = new RedisStringSink(config(5, Duration.ofMinutes(10)))) {
            deliver(sink, text);
            deliver(sink, m.with(m.json(), numericKeyWithExpiry));
            try (Jedis j = redis.admin()) {
                j.select(5);
                assertThat(j.get("app:r-1")).isEqualTo("plain text");
                assertThat(j.pttl("app:r-1")).as("the sink's expire_ms").isGreaterThan(5_000L);
                assertThat(j.get("42")).isEqualTo(TestMessages.body(m));
                assertThat(j.pttl("42")).as("the routed expire_ms").isBetween(1L, 5_000L);
            }
            deliver(sink, m.with(m.json(), Map.of("key", "app:r-1", "action", "del")));
            deliver(sink, m.with(m.json(), java.util.Collections.singletonMap("expire_ms", null)));
            try (Jedis j = redis.admin()) {
                j.select(5);
                assertThat(j.exists("app:r-1")).as("a routed del of an insert").isFalse();
                assertThat(j.pttl("sequin:orders:r-1"))
                        .as("expire_ms routed to null: none")
                        .isEqualTo(-1L);
            }
        }
    }

    @Test
    void invalidRouting_failsTheBatchRetriably_namingTheKeyAndRule() {
        SinkMessage m = TestMessages.insert("i-1", "x", 0);
        try (RedisStringSink sink = new RedisStringSink(config(6, null))) {
            assertThat(failure(sink.deliver(new Batch(List.of(m.with(m.json(), Map.of("key", "a b")))))))
                    .satisfies(e -> assertThat(e.retriable()).isTrue())
                    .hasMessage("routing: key \"a b\" cannot contain whitespace");
            assertThat(failure(sink.deliver(new Batch(List.of(m.with(m.json(), Map.of("action", "get")))))))
                    .hasMessage("routing: action \"get\" must be \"set\" or \"del\"");
            assertThat(failure(sink.deliver(new Batch(List.of(m.with(m.json(), Map.of("expire_ms", 0L)))))))
                    .hasMessageStartingWith("routing: expire_ms 0 must be a positive number of milliseconds");
            assertThat(failure(sink.deliver(new Batch(List.of(m.with(m.json(), Map.of("key", "k".repeat(513))))))))
                    .hasMessageEndingWith("is 513 characters long; at most 512");
        }
    }

    @Test
    void transformedMessage_keepsTheChangesKey_andTruncate_isRejected_whileTheOthersAreSet() throws Exception {
        SinkMessage transformed =
                TestMessages.insert("t-1", "x", 0).with("{\"only\":\"this\"}".getBytes(StandardCharsets.UTF_8), null);
        SinkMessage truncate = ofAction(TestMessages.insert("t-2", "x", 1), Action.TRUNCATE);
        SinkMessage fine = TestMessages.insert("t-3", "x", 2);
        try (RedisStringSink sink = new RedisStringSink(config(7, null))) {
            SinkException e = failure(sink.deliver(new Batch(List.of(transformed, truncate, fine))));
            assertThat(e.isPartial()).isTrue();
            assertThat(e.rejected(1)).isTrue();
            assertThat(e.toRetry(0) || e.rejected(0) || e.toRetry(2) || e.rejected(2))
                    .isFalse();
            assertThat(e.getMessage()).contains("truncate");
        }
        try (Jedis j = redis.admin()) {
            j.select(7);
            assertThat(j.keys("*")).containsExactlyInAnyOrder("sequin:orders:t-1", "sequin:orders:t-3");
            assertThat(j.get("sequin:orders:t-1")).isEqualTo("{\"only\":\"this\"}");
        }
    }

    @Test
    void refusedCommand_leavesItsMessageAndTheLaterOnesOfItsGroupToRetry_andTheRestIsSet() throws Exception {
        try (Jedis j = redis.admin()) {
            j.aclSetUser("limited", "on", ">limited-pw-31", "~sequin:orders:ok*", "+@all");
        }
        SinkMessage denied = TestMessages.insert("no-1", "x", 1000, 0, "g");
        SinkMessage sameGroup = TestMessages.insert("ok-1", "x", 1000, 1, "g");
        SinkMessage otherGroup = TestMessages.insert("ok-2", "x", 1000, 2, "h");
        try (RedisStringSink sink = new RedisStringSink(config(8, null, "limited", "limited-pw-31"))) {
            SinkException e = failure(sink.deliver(new Batch(List.of(denied, sameGroup, otherGroup))));
            assertThat(e.retriable()).isTrue();
            assertThat(e.toRetry(0) && e.toRetry(1)).isTrue();
            assertThat(e.toRetry(2)).isFalse();
            assertThat(e.getMessage()).contains("NOPERM").doesNotContain("limited-pw-31");
        }
        try (Jedis j = redis.admin()) {
            j.select(8);
            assertThat(j.exists("sequin:orders:ok-2")).isTrue();
        }
    }

    @Test
    void oversizedValue_isRejected_andTheOthersAreSet() throws Exception {
        RedisStringConfig small = new RedisStringConfig(
                "127.0.0.1",
                redis.port(),
                9,
                false,
                RedisServer.USER,
                RedisServer.PASSWORD,
                null,
                Mode.STATIC,
                1024,
                TIMEOUT);
        try (RedisStringSink sink = new RedisStringSink(small)) {
            SinkException e = failure(sink.deliver(new Batch(
                    List.of(TestMessages.sized("big", 2048, 1000, 0), TestMessages.insert("small", "x", 1)))));
            assertThat(e.rejected(0)).isTrue();
            assertThat(e.toRetry(1) || e.rejected(1)).isFalse();
            assertThat(e.getMessage()).contains("over max_value_bytes (1024)");
        }
    }

    private static SinkException failure(CompletionStage<Void> stage) {
        ExecutionException e = assertThrows(
                ExecutionException.class, () -> stage.toCompletableFuture().get(30, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(SinkException.class);
        return (SinkException) e.getCause();
    }
}
