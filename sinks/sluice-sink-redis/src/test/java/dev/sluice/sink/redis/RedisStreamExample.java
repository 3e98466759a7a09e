package dev.sluice.sink.redis;

import dev.sluice.testkit.conformance.SinkExample;
import java.util.List;
import java.util.Map;

/** A Redis Stream sink with an ACL user and password, for the server's secrets test. */
public final class RedisStreamExample implements SinkExample {
    @Override
    public String type() {
        return RedisStreamProvider.TYPE;
    }

    @Override
    public List<Map<String, Object>> destinations() {
        return List.of(Map.of(
                "host", "redis.example.com",
                "stream_key", "orders",
                "username", "sluice",
                "password", "redis-example-secret-7d3b"));
    }
}
