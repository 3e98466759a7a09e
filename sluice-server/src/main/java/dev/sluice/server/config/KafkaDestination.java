package dev.sluice.server.config;

import dev.sluice.sink.kafka.KafkaConfig;

/** Delivers to a Kafka topic (see docs/sinks/kafka.md); the sink's batch_size replaces the config's at start. */
public record KafkaDestination(KafkaConfig config) implements DestinationConfig {
    @Override
    public String type() {
        return "kafka";
    }
}
