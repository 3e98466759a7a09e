package dev.sluice.sink.kinesis;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The kinesis sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class KinesisDrainBench extends SinkDrainBenchmark<KinesisConfig> {
    @Override
    protected SinkHarness<KinesisConfig> harness() {
        return new KinesisConformanceIT.Harness();
    }
}
