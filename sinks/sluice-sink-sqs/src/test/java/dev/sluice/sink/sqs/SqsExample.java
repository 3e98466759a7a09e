package dev.sluice.sink.sqs;

import dev.sluice.testkit.conformance.SinkExample;
import java.util.List;
import java.util.Map;

/** An SQS sink with static credentials, for the server's secrets test. */
public final class SqsExample implements SinkExample {
    @Override
    public String type() {
        return SqsProvider.TYPE;
    }

    @Override
    public List<Map<String, Object>> destinations() {
        return List.of(Map.of(
                "queue_url", "https://sqs.us-east-1.amazonaws.com/123456789012/orders.fifo",
                "access_key_id", "AKIAEXAMPLESQS",
                "secret_access_key", "sqs-example-secret-4c1a"));
    }
}
