package dev.sluice.sink.webhook;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The webhook sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class WebhookDrainBench extends SinkDrainBenchmark<WebhookConfig> {
    @Override
    protected SinkHarness<WebhookConfig> harness() {
        return new WebhookConformanceIT.Harness();
    }
}
