package dev.sluice.functions;

/**
 * A function ready to run, made by {@link Functions#compile}. Which kind it is says how to run it: a
 * {@link PathFunction} extracts a value, a {@link CodeFunction} runs JavaScript, an {@link EnrichmentFunction} holds
 * SQL for the engine to run.
 *
 * <p>Concurrency: every implementation is thread-safe.
 */
public sealed interface Compiled extends AutoCloseable permits PathFunction, CodeFunction, EnrichmentFunction {
    /** The spec this was compiled from. */
    FunctionSpec spec();

    /** Frees what the function holds (JavaScript contexts); calls after this fail. Idempotent. */
    @Override
    void close();
}
