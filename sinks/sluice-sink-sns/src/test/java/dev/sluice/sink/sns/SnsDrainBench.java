package dev.sluice.sink.sns;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The sns sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class SnsDrainBench extends SinkDrainBenchmark<SnsConfig> {
    @Override
    protected SinkHarness<SnsConfig> harness() {
        return new SnsConformanceIT.Harness();
    }
}
