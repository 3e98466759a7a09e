package dev.sluice.sink.meilisearch;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The meilisearch sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class MeilisearchDrainBench extends SinkDrainBenchmark<MeilisearchConfig> {
    @Override
    protected SinkHarness<MeilisearchConfig> harness() {
        return new MeilisearchConformanceIT.Harness();
    }
}
