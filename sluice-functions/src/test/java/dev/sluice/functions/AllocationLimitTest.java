package dev.sluice.functions;

import static dev.sluice.functions.Messages.insert;
import static dev.sluice.functions.Messages.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.functions.FunctionError.Kind;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Huge allocations fail the call, and leave the JVM and the function working. The module's tests run with a 768 MB
 * heap (see the pom), so the ones the heap cannot hold fail with an out-of-memory error that GraalJS reports as
 * resource exhaustion; the others run into the time limit or GraalJS' own length limits.
 */
class AllocationLimitTest {
    private static final String CODE = """
            function transform(action, record) {
              switch (record.probe) {
                case 'string': return 'x'.repeat(2 ** 30).length;
                case 'big string': return 'x'.repeat(2 ** 29).length;
                case 'array': return new Array(2 ** 31 - 1).fill(1).length;
                case 'arrays': { let a = []; while (true) a.push(new Array(1e6)); }
                case 'typed arrays': { let a = []; while (true) a.push(new Float64Array(1e6)); }
                case 'typed array': return new Float64Array(2 ** 30).length;
                case 'doubling': { let s = 'x'; while (true) s = s + s; }
                default: return record.id;
              }
            }""";

    @Test
    void hugeAllocations_failTheCall_andTheNextCallWorks() throws Exception {
        try (CodeFunction f = Js.transform(CODE, Duration.ofMillis(300))) {
            for (String probe :
                    new String[] {"string", "big string", "array", "arrays", "typed arrays", "typed array", "doubling"
                    }) {
                assertThatThrownBy(() -> f.call(insert("{\"probe\":\"" + probe + "\"}")))
                        .as(probe)
                        .isInstanceOfSatisfying(
                                FunctionError.class, e -> assertThat(e.kind()).isIn(Kind.LIMIT, Kind.RUNTIME));
                assertThat(text(f.call(insert("{\"id\":7}")))).isEqualTo("7");
            }
        }
    }
}
