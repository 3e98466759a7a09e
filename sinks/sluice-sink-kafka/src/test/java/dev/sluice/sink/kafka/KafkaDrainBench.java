package dev.sluice.sink.kafka;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The kafka sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class KafkaDrainBench extends SinkDrainBenchmark<KafkaConfig> {
    @Override
    protected SinkHarness<KafkaConfig> harness() {
        return new KafkaConformanceIT.Harness();
    }
}
