package dev.sluice.bench.jmh;

import dev.sluice.core.Action;
import dev.sluice.core.TableId;
import dev.sluice.core.TableSchema;
import dev.sluice.server.config.SourceFilter;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;

/**
 * The routing decision for one change and one sink.
 *
 * <p>What the engine does per change: {@code DatabasePipeline.route} asks every sink's {@code
 * SinkPipeline.accepts(table, action)}, which checks the sink is not disabled (a field read), that its
 * action set (an immutable {@code Set.copyOf} of the configured actions) contains the action, and then
 * looks the change's {@link TableSchema} up by identity in an {@link IdentityHashMap} of earlier
 * answers. The sink's table predicate ({@link SourceFilter#matches} in the server) runs only on a
 * cache miss: once per table and schema version (a new {@code TableSchema} follows each Relation
 * message), not per change. An accepted change is then enqueued (a lock, a size estimate and a deque
 * add), which is not measured here: its cost is the hand-off to the delivery thread.
 *
 * <ul>
 *   <li>{@code filterMatch}, {@code filterMiss}: {@code SourceFilter.matches} with {@code
 *       include_tables} of five tables, for the last listed table and for an unlisted one: the
 *       predicate cost on a cache miss, and an upper bound had the engine no cache.
 *   <li>{@code accepts}: the per-change path as the engine runs it, the action check plus the cached
 *       lookup, built from the same public pieces ({@code SinkPipeline} is package-private in the
 *       engine).
 *   <li>{@code acceptsThreeSinks}: {@code accepts} for three sinks with different filters, the loop of
 *       {@code DatabasePipeline.route} without the enqueues.
 * </ul>
 *
 * <p>Run (after {@code ./mvnw -pl sluice-bench -am package -DskipTests}):
 *
 * <pre>java -cp "$(cat sluice-bench/target/classpath.txt):sluice-bench/target/classes" \
 *     org.openjdk.jmh.Main RouteBenchmark -prof gc</pre>
 */
public class RouteBenchmark extends Microbenchmark {
    SourceFilter filter;
    TableSchema table;
    TableId tableId;
    TableId otherTableId;
    Action action;
    Sink[] sinks;

    /** The reader-thread state {@code SinkPipeline.accepts} uses, rebuilt from public types. */
    static final class Sink {
        private final Set<Action> actions;
        private final SourceFilter tables;
        private final Map<TableSchema, Boolean> accepts = new IdentityHashMap<>();

        Sink(Set<Action> actions, SourceFilter tables) {
            this.actions = Set.copyOf(actions);
            this.tables = tables;
        }

        boolean accepts(TableSchema table, Action action) {
            if (!actions.contains(action)) {
                return false;
            }
            return accepts.computeIfAbsent(table, t -> tables.matches(t.id()));
        }
    }

    @Setup
    public void setUp() {
        // Parsed as the server parses include_tables, so the names are other String instances than the
        // ones decoded from the Relation message: matching compares characters, as it does in the server.
        filter = includeTables(
                "public.orders",
                "public.customers",
                "billing.invoices",
                "public.line_items",
                "public." + BenchRow.TABLE);
        table = BenchRow.relationCache().get(BenchRow.RELATION_ID).schema();
        tableId = table.id();
        otherTableId = new TableId("public", "audit_log");
        action = Action.INSERT;
        sinks = new Sink[] {
            new Sink(EnumSet.allOf(Action.class), filter),
            new Sink(EnumSet.of(Action.INSERT, Action.UPDATE, Action.DELETE), SourceFilter.ALL),
            new Sink(EnumSet.of(Action.DELETE), includeTables("public.orders", "public.customers")),
        };
        for (Sink s : sinks) {
            s.accepts(table, action); // the first change of the table fills the cache
        }
    }

    private static SourceFilter includeTables(String... names) {
        List<TableId> ids = Arrays.stream(names).map(TableId::parse).toList();
        return new SourceFilter(null, null, ids, null);
    }

    @Benchmark
    public boolean filterMatch() {
        return filter.matches(tableId);
    }

    @Benchmark
    public boolean filterMiss() {
        return filter.matches(otherTableId);
    }

    @Benchmark
    public boolean accepts() {
        return sinks[0].accepts(table, action);
    }

    @Benchmark
    public int acceptsThreeSinks() {
        int accepted = 0;
        for (Sink s : sinks) {
            if (s.accepts(table, action)) {
                accepted++;
            }
        }
        return accepted;
    }
}
