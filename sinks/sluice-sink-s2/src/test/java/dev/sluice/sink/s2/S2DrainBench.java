package dev.sluice.sink.s2;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The s2 sink's drain benchmark against FakeS2, the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class S2DrainBench extends SinkDrainBenchmark<S2Config> {
    @Override
    protected SinkHarness<S2Config> harness() {
        return new S2ConformanceIT.Harness();
    }
}
