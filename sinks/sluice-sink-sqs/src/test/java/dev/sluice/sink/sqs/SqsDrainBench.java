package dev.sluice.sink.sqs;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The sqs sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class SqsDrainBench extends SinkDrainBenchmark<SqsConfig> {
    @Override
    protected SinkHarness<SqsConfig> harness() {
        return new SqsConformanceIT.Harness();
    }
}
