package dev.sluice.sink.eventhubs;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The azure_event_hub sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class EventHubDrainBench extends SinkDrainBenchmark<EventHubConfig> {
    @Override
    protected SinkHarness<EventHubConfig> harness() {
        return new EventHubConformanceIT.Harness();
    }
}
