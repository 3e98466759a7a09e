package dev.sluice.sink.elasticsearch;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The elasticsearch sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class ElasticsearchDrainBench extends SinkDrainBenchmark<ElasticsearchConfig> {
    @Override
    protected SinkHarness<ElasticsearchConfig> harness() {
        return new ElasticsearchConformanceIT.Harness();
    }
}
