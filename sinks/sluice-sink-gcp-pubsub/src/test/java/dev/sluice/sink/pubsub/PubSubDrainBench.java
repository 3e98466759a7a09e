package dev.sluice.sink.pubsub;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The gcp_pubsub sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class PubSubDrainBench extends SinkDrainBenchmark<PubSubConfig> {
    @Override
    protected SinkHarness<PubSubConfig> harness() {
        return new PubSubConformanceIT.Harness();
    }
}
