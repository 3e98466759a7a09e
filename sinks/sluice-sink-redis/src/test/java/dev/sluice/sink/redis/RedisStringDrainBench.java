package dev.sluice.sink.redis;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The redis_string sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class RedisStringDrainBench extends SinkDrainBenchmark<RedisStringConfig> {
    @Override
    protected SinkHarness<RedisStringConfig> harness() {
        return new RedisStringConformanceIT.Harness();
    }
}
