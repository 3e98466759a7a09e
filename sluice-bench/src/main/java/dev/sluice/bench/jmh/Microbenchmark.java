package dev.sluice.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How every benchmark of this package is measured, in one place: average time per invocation in nanoseconds, one
 * fork, three warm-up and five measured iterations of one second, state per thread. JMH reads these annotations from
 * a benchmark's superclass; a benchmark that needs other settings annotates its own class or method, and JMH's
 * command line ({@code -f}, {@code -wi}, {@code -i}, …) overrides them all.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
abstract class Microbenchmark {}
