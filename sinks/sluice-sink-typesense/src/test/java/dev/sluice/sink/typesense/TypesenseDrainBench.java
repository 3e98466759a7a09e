package dev.sluice.sink.typesense;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The typesense sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class TypesenseDrainBench extends SinkDrainBenchmark<TypesenseConfig> {
    @Override
    protected SinkHarness<TypesenseConfig> harness() {
        return new TypesenseConformanceIT.Harness();
    }
}
