package dev.sluice.core.sink;

import dev.sluice.core.Action;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A sink type: what the server knows of a destination. One per sink module, registered in {@code
 * META-INF/services/dev.sluice.core.sink.SinkProvider} and found with {@link java.util.ServiceLoader} (see {@link
 * SinkProviders}). The server reaches sinks only through this interface: its yaml and API validation, secret
 * handling, storage, export and OpenAPI schema are all derived from {@link #schema()}.
 *
 * <p>Lifecycle, as the server drives it:
 *
 * <ol>
 *   <li>{@link #configure} turns values checked against the schema into the typed configuration {@code C}, or
 *       reports problems at their fields. Called whenever a configuration is validated (at start, on every API
 *       change, on {@code config/plan}); it does no I/O.
 *   <li>{@link #create} makes a {@link Sink} from a valid configuration when a sink starts or changes; the engine
 *       then starts it, delivers to it and closes it (see {@link Sink}).
 *   <li>{@link #check} answers {@code test_connection}: it reaches the peer, delivers nothing, and returns within
 *       about {@code timeout}.
 * </ol>
 *
 * <p>Implementations are stateless and thread-safe, with a public no-argument constructor.
 *
 * @param <C> the typed configuration: an immutable record whose {@code toString()} hides secrets
 */
public interface SinkProvider<C> {
    /** The destination's {@code type} as users write it, such as {@code kafka}; unique among providers. */
    String type();

    /** Other names accepted for {@link #type()} on input (never written back); empty by default. */
    default Set<String> aliases() {
        return Set.of();
    }

    /** One line on what the sink does, for docs and the OpenAPI schema. */
    String description();

    /** The configuration fields, which the server validates before {@link #configure}. */
    ConfigSchema schema();

    /**
     * Builds the typed configuration from checked values: cross-field rules and formats the schema cannot express
     * are checked here, each problem reported at its field. No I/O.
     */
    Configured<C> configure(ConfigValues values);

    /** A new sink for {@code config}; it connects when the engine starts it, not here. */
    Sink create(C config, SinkContext context);

    /**
     * Whether the peer is reachable with the configured credentials and the topic, queue, stream or index exists.
     * Delivers nothing. Blocks for at most about {@code timeout}.
     *
     * @throws InterruptedException when interrupted while waiting for the peer
     */
    CheckResult check(C config, Duration timeout) throws InterruptedException;

    /**
     * The message keys a routing function may set for this type (Sequin's: webhook {@code method}, {@code
     * endpoint_path}, {@code headers}; kafka {@code topic}, {@code message_key}; …); empty when the sink takes no
     * routing.
     */
    List<String> routingKeys();

    /**
     * The keys of {@link #routingKeys()} a routing function may not set to null, because the sink cannot do without
     * them (webhook {@code method}, kafka {@code topic}, …); a subset of {@link #routingKeys()}. A required key may
     * still be left out, which keeps the sink's configured value. Empty by default.
     */
    default List<String> requiredRoutingKeys() {
        return List.of();
    }

    /**
     * The {@code actions} of a sink of this type that does not list its own: Sequin's insert, update and delete by
     * default. A type that keeps a replica exact (the {@code postgres} sink) adds {@link Action#TRUNCATE}; an explicit
     * list always wins. Never {@link Action#READ} (backfill reads are always delivered).
     */
    default Set<Action> defaultActions() {
        return EnumSet.of(Action.INSERT, Action.UPDATE, Action.DELETE);
    }

    /** The {@code batch_size} of a sink of this type that does not set one (Sequin's: kafka 200, sqs 10, …). */
    int defaultBatchSize();

    /**
     * Destinations of this type as a user writes them in {@code sluice.yaml} or the API, without {@code type}: each
     * valid on its own (some secret fields only go with some settings), together setting every secret field of the
     * schema, each secret a value that appears nowhere else. The server's tests create them for every installed type
     * (secrets never shown, a masked value sent back keeps the stored one), so a new sink needs no test wiring in
     * the server; the peer need not exist, nothing is delivered. Empty by default, which only a type without secret
     * fields may keep.
     */
    default List<Map<String, Object>> examples() {
        return List.of();
    }
}
