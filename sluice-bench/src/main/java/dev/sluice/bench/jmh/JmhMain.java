package dev.sluice.bench.jmh;

/**
 * Runs the JMH benchmarks of this package; takes JMH's command line ({@code -h} lists it).
 *
 * <pre>java -cp "$(cat sluice-bench/target/classpath.txt):sluice-bench/target/classes" \
 *     dev.sluice.bench.jmh.JmhMain 'dev.sluice.bench.jmh' -prof gc</pre>
 *
 * The classpath file is written by {@code ./mvnw -pl sluice-bench -am package -DskipTests}; the
 * annotation processor puts the benchmark list into {@code target/classes/META-INF/BenchmarkList}.
 */
public final class JmhMain {
    private JmhMain() {}

    public static void main(String[] args) throws Exception {
        org.openjdk.jmh.Main.main(args);
    }
}
