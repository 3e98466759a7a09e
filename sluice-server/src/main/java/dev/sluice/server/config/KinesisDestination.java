package dev.sluice.server.config;

import dev.sluice.sink.kinesis.KinesisConfig;

/** Delivers to a Kinesis data stream (see docs/sinks/kinesis.md). */
public record KinesisDestination(KinesisConfig config) implements DestinationConfig {
    @Override
    public String type() {
        return "kinesis";
    }
}
