package dev.sluice.bench.e2e;

/** The JavaScript of the benchmarks with functions (drains e to g, the live run with a transform, JMH). */
public final class BenchFunctionsCode {
    private BenchFunctionsCode() {}

    /** Keeps every change: the cost of a filter that must look at each one. */
    public static final String FILTER = "function filter(action, record, changes, metadata) {\n"
            + "  return action !== 'truncate' && record.id !== null;\n}";
    /** Reshapes the change and drops keys, as a typical Sequin transform does. */
    public static final String TRANSFORM = "function transform(action, record, changes, metadata) {\n"
            + "  return { id: record.id, action: action, table: metadata.table_name, text: record.string_field,\n"
            + "           amount: record.numeric_field, commit_timestamp: metadata.commit_timestamp };\n}";
    /** Spreads the rows over four topics. */
    public static final String ROUTE = "function route(action, record, changes, metadata) {\n"
            + "  return { topic: 'bench.' + (record.id % 4) };\n}";
}
