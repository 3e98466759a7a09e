package dev.sluice.sink.redis;

import dev.sluice.testkit.conformance.SinkDrainBenchmark;
import dev.sluice.testkit.conformance.SinkHarness;

/** The redis_stream sink's drain benchmark against the conformance suite's peer; run by {@code sluice-bench/run sinks}. */
class RedisStreamDrainBench extends SinkDrainBenchmark<RedisStreamConfig> {
    @Override
    protected SinkHarness<RedisStreamConfig> harness() {
        return new RedisStreamConformanceIT.Harness();
    }
}
