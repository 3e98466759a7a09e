package dev.sluice.functions;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Prints what a warm call costs (no assertion on time: this machine is shared). For numbers worth comparing, run
 * {@code -Dtest=CallCostTest} alone.
 */
class CallCostTest {
    private static final byte[] MESSAGE = Functions.syntheticMessage();

    @Test
    void printWarmCallCost() throws Exception {
        try (CodeFunction transform = Js.transform(
                        "function transform(action, record, changes, metadata) { return {id: record.id, t: metadata.table_name} }");
                CodeFunction filter = Js.filter("function filter(action, record) { return record.id > 0 }");
                Compiled path = Functions.compile(
                        new FunctionSpec("p", null, FunctionType.PATH, null, "metadata.table_name", null))) {
            PathFunction p = (PathFunction) path;
            int warm = 20_000, measured = 50_000;
            long sink = 0;
            for (int i = 0; i < warm; i++) {
                sink += transform.call(MESSAGE).length + (filter.test(MESSAGE) ? 1 : 0) + p.apply(MESSAGE).length;
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < measured; i++) {
                sink += transform.call(MESSAGE).length;
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < measured; i++) {
                sink += filter.test(MESSAGE) ? 1 : 0;
            }
            long t2 = System.nanoTime();
            for (int i = 0; i < measured; i++) {
                sink += p.apply(MESSAGE).length;
            }
            long t3 = System.nanoTime();
            System.out.printf(
                    "warm call cost (message of %d bytes): transform %.2f us, filter %.2f us, path %.2f us%n",
                    MESSAGE.length, (t1 - t0) / 1e3 / measured, (t2 - t1) / 1e3 / measured, (t3 - t2) / 1e3 / measured);
            long t4 = System.nanoTime();
            int contexts = 10;
            for (int i = 0; i < contexts; i++) {
                Js.filter("function filter(action, record) { return record.id > " + i + " }")
                        .close();
            }
            System.out.printf("compile (a new context) %.1f ms%n", (System.nanoTime() - t4) / 1e6 / contexts);
            assertThat(sink).isPositive();
        }
    }
}
