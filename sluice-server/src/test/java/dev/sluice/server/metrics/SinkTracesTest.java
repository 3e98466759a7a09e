package dev.sluice.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.engine.DeliveryTrace;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The live trace's watchers: none asked for while nobody watches, each told while it does. */
class SinkTracesTest {
    @Test
    void get_nullUntilWatched_andAgainOnceEveryWatchIsClosed() throws Exception {
        SinkTraces traces = new SinkTraces();
        List<String> told = new ArrayList<>();
        DeliveryTrace first = (batch, exchange, failure, took) -> told.add("first");
        DeliveryTrace second = (batch, exchange, failure, took) -> told.add("second");
        assertThat(traces.get("hook")).isNull();

        AutoCloseable a = traces.watch("hook", first);
        AutoCloseable b = traces.watch("hook", second);
        assertThat(traces.get("other")).isNull();
        traces.get("hook").delivered(null, null, null, java.time.Duration.ZERO);
        assertThat(told).containsExactly("first", "second");

        a.close();
        a.close(); // closing twice is harmless
        assertThat(traces.get("hook")).isNotNull();
        b.close();
        assertThat(traces.get("hook")).isNull();
    }
}
