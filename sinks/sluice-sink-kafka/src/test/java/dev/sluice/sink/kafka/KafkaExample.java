package dev.sluice.sink.kafka;

import dev.sluice.testkit.conformance.SinkExample;
import java.util.List;
import java.util.Map;

/** Kafka sinks setting every secret: a SCRAM password, and AWS keys for MSK IAM. For the server's secrets test. */
public final class KafkaExample implements SinkExample {
    @Override
    public String type() {
        return KafkaProvider.TYPE;
    }

    @Override
    public List<Map<String, Object>> destinations() {
        return List.of(
                Map.of(
                        "hosts", "broker.invalid:9092",
                        "topic", "orders",
                        "username", "sluice",
                        "password", "kafka-example-password-7f3e",
                        "sasl_mechanism", "scram_sha_512"),
                Map.of(
                        "hosts", "b-1.msk.us-east-1.amazonaws.com:9098",
                        "topic", "orders",
                        "tls", true,
                        "sasl_mechanism", "aws_msk_iam",
                        "aws_region", "us-east-1",
                        "aws_access_key_id", "AKIAEXAMPLEKAFKA",
                        "aws_secret_access_key", "kafka-example-aws-secret-2b9d"));
    }
}
