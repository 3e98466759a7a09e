package dev.sluice.sink.postgres;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The postgres sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class PostgresSinkDrainBench extends SinkDrainBenchmark<PostgresSinkConfig> {
    @Override
    protected SinkHarness<PostgresSinkConfig> harness() {
        return new PostgresSinkConformanceIT.Harness();
    }
}
