package dev.sluice.sink.nats;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/**
 * The nats sink's drain benchmark against the conformance suite's peer (a JetStream stream, so every batch waits for
 * its PubAcks); run by {@code sluice-bench/run sinks}.
 */
class NatsDrainBench extends SinkDrainBenchmark<NatsConfig> {
    @Override
    protected SinkHarness<NatsConfig> harness() {
        return new NatsConformanceIT.Harness();
    }
}
