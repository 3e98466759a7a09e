package dev.sluice.sink.kinesis;

import dev.sluice.testkit.conformance.SinkExample;
import java.util.List;
import java.util.Map;

/** A Kinesis sink with static credentials, for the server's secrets test. */
public final class KinesisExample implements SinkExample {
    @Override
    public String type() {
        return KinesisProvider.TYPE;
    }

    @Override
    public List<Map<String, Object>> destinations() {
        return List.of(Map.of(
                "stream_arn", "arn:aws:kinesis:us-east-1:123456789012:stream/orders",
                "access_key_id", "AKIAEXAMPLEKINESIS",
                "secret_access_key", "kinesis-example-secret-9a6e"));
    }
}
