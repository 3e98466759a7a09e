package dev.sluice.functions;

/**
 * An enrichment function: SQL the engine runs against the source database once per batch, with {@code $1} the
 * array of the batch's primary-key values, putting each message's row in {@code metadata.enrichment}. Nothing runs
 * here.
 */
public final class EnrichmentFunction implements Compiled {
    private final FunctionSpec spec;
    private final String sql;

    EnrichmentFunction(FunctionSpec spec, String sql) {
        this.spec = spec;
        this.sql = sql;
    }

    @Override
    public FunctionSpec spec() {
        return spec;
    }

    /** The SQL, as written. */
    public String sql() {
        return sql;
    }

    @Override
    public void close() {}
}
