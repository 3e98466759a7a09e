package dev.sluice.server.config;

import dev.sluice.sink.sqs.SqsConfig;

/** Delivers to an SQS queue, standard or FIFO (see docs/sinks/sqs.md). */
public record SqsDestination(SqsConfig config) implements DestinationConfig {
    @Override
    public String type() {
        return "sqs";
    }
}
