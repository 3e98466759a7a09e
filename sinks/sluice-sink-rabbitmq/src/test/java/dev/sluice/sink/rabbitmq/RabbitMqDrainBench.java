package dev.sluice.sink.rabbitmq;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The rabbitmq sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class RabbitMqDrainBench extends SinkDrainBenchmark<RabbitMqConfig> {
    @Override
    protected SinkHarness<RabbitMqConfig> harness() {
        return new RabbitMqConformanceIT.Harness();
    }
}
